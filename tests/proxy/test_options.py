"""The ``--proxy`` options of ``python -m txpostgres_proto`` / ``twistd pgproto``."""

from __future__ import annotations

import pytest
from twisted.python import usage

from txpostgres_proto.proxy import PoolMode, ProxyFactory
from txpostgres_proto.tap import Options, make_factory


def _options(*argv: str) -> Options:
    options = Options()
    options.parseOptions(list(argv))
    return options


def test_proxy_options_build_a_proxy_factory() -> None:
    factory = make_factory(
        _options(
            "--proxy",
            "postgresql://u@127.0.0.1:5/db",
            "--pool-mode",
            "session",
            "--pool-size",
            "3",
            "--auth",
            "trust",
        ),  # fmt: skip
    )
    assert isinstance(factory, ProxyFactory)
    assert factory.pool_mode is PoolMode.SESSION and factory.session_pooling
    assert factory.pool.size == 3 and factory.pool.connections == 0  # nothing opened yet


def test_multiplex_applies_to_transaction_pooling() -> None:
    upstream = ("--proxy", "postgresql://u@127.0.0.1:5/db", "--multiplex", "8")
    factory = make_factory(_options(*upstream))
    assert isinstance(factory, ProxyFactory)
    assert factory.multiplexer is not None and factory.multiplexer.depth == 8
    assert factory.multiplexer.flush in factory.read_loop.after_batch
    off = make_factory(_options(*upstream[:2]))
    assert isinstance(off, ProxyFactory) and off.multiplexer is None


@pytest.mark.parametrize(
    "argv",
    [
        ("--proxy", "postgresql://u@h/db", "--pool-mode", "statement"),
        ("--proxy", "postgresql://u@h/db", "--pool-size", "0"),
        ("--proxy", "postgresql://u@h/db", "--multiplex", "-1"),
        ("--proxy", "postgresql://u@h/db", "--multiplex", "4", "--pool-mode", "session"),
        ("--proxy", "postgresql://u@h/db", "--handler", "os.path:join"),
    ],
)
def test_bad_proxy_options_are_refused(argv: tuple[str, ...]) -> None:
    with pytest.raises(usage.UsageError):
        _options(*argv)
