"""Fixtures of the proxy tests: proxies in both pool modes in front of ``real_postgres``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import RealPostgres
from tests.proxy.proxyprocess import ProxyProcess


@pytest.fixture(scope="module")
def transaction_proxy(
    real_postgres: RealPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    upstream = real_postgres.uri("scram_user", real_postgres.password("scram_user"))
    log = tmp_path_factory.mktemp("proxy") / "transaction.log"
    with ProxyProcess(upstream, "--pool-mode", "transaction", "--pool-size", "4", log=log) as p:
        yield p


@pytest.fixture(scope="module")
def session_proxy(
    real_postgres: RealPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    upstream = real_postgres.uri("trust_user", sslmode="disable")  # plain TCP upstream
    log = tmp_path_factory.mktemp("proxy") / "session.log"
    with ProxyProcess(upstream, "--pool-mode", "session", "--pool-size", "8", log=log) as p:
        yield p
