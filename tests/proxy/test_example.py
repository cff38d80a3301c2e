"""``examples/proxy_example.py`` runs as its docstring says and relays clients' queries."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from tests.pgserver import TRUST_USER, RealPostgres
from tests.proxy.proxyprocess import ProxyProcess

_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "proxy_example.py"


def test_the_proxy_example_relays_concurrent_clients(
    real_postgres: RealPostgres, tmp_path: Path
) -> None:
    upstream = real_postgres.uri(TRUST_USER, sslmode="disable")
    options = ("--pool-mode", "transaction", "--pool-size", "3", "--multiplex", "4")
    answers: list[tuple[int, int]] = []

    def client(dsn: str, base: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as connection:
            for n in range(base, base + 50):
                row = connection.execute("select %s::int * 3", (n,)).fetchone()
                assert row is not None
                answers.append((n, row[0]))

    with ProxyProcess(upstream, *options, log=tmp_path / "example.log", script=str(_EXAMPLE)) as p:
        threads = [
            threading.Thread(target=client, args=(p.dsn(TRUST_USER), 1000 * k)) for k in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        with psycopg.connect(p.dsn(TRUST_USER)) as connection:
            with pytest.raises(psycopg.errors.DivisionByZero):
                connection.execute("select 1/0")
    assert sorted(answers) == [(n, 3 * n) for k in range(6) for n in range(1000 * k, 1000 * k + 50)]
    assert "Traceback" not in (tmp_path / "example.log").read_text()
