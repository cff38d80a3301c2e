"""The server under test for the real-client interop suite, and helpers shared by its tests.

Every interop test takes the ``target_server`` fixture: a :class:`TargetServer` that says where a
server listens and how to log in.  Which servers exist is the data in :data:`TARGETS`; each
entry declares, at collection time, what the server supports (authentication methods, TLS), and
knows how to start it.  ``pytest_generate_tests`` parametrises every interop test over the
targets that can run it, so an unsupported feature produces no test rather than a skip:

* tests using ``target_server`` run once per target;
* tests also using ``auth_method`` run once per (target, supported method);
* tests marked ``@pytest.mark.needs_tls`` run only on targets with TLS.

To add a server implementation, write a function ``(request) -> TargetServer`` (it may use
``request.getfixturevalue`` for other session fixtures) and append a :class:`TargetSpec`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import psycopg
import pytest

from tests import pgserver
from tests.interop import txserver
from tests.interop.targets import Login, TargetServer, TargetSpec
from tests.pki import Pki


def _real_postgres_target(request: pytest.FixtureRequest) -> TargetServer:
    server: pgserver.RealPostgres = request.getfixturevalue("real_postgres")
    logins = {
        "trust": Login(pgserver.TRUST_USER, None),
        "password": Login(pgserver.PASSWORD_USER, server.password(pgserver.PASSWORD_USER)),
        "md5": Login(pgserver.MD5_USER, server.password(pgserver.MD5_USER)),
        "scram-sha-256": Login(pgserver.SCRAM_USER, server.password(pgserver.SCRAM_USER)),
        "cert": Login(pgserver.CERT_USER, None, ssl_only=True, client_cert=True),
        "ssl-only": Login(
            pgserver.SSL_ONLY_USER, server.password(pgserver.SSL_ONLY_USER), ssl_only=True
        ),
    }
    return TargetServer(
        name="postgresql",
        host=server.host,
        port=server.port,
        database=server.database,
        user=pgserver.SCRAM_USER,
        password=server.password(pgserver.SCRAM_USER),
        ssl=True,
        ca_cert=server.pki.ca_cert,
        client_cert=server.pki.client_cert,
        client_key=server.pki.client_key,
        logins=logins,
    )


@pytest.fixture(scope="session")
def txserver_pool(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki
) -> Iterator[txserver.TxServerPool]:
    """Our server processes of this session (``tests/interop/txserver.py``), stopped at its end."""
    pool = txserver.TxServerPool(Path(tmp_path_factory.mktemp("txserver")), pki)
    try:
        yield pool
    finally:
        pool.stop_all()


def _txpostgres_target(request: pytest.FixtureRequest) -> TargetServer:
    pool: txserver.TxServerPool = request.getfixturevalue("txserver_pool")
    main = pool.sqlite_server("scram-sha-256")
    makers = {
        method: partial(txserver.sqlite_login, pool, method) for method in txserver.AUTH_METHODS
    }
    return TargetServer(
        name="txpostgres",
        host=main.host,
        port=main.port,
        database=pgserver.DATABASE,
        user=pgserver.SCRAM_USER,
        password=txserver.role(pgserver.SCRAM_USER).password,
        ssl=True,
        ca_cert=pool.pki.ca_cert,
        client_cert=pool.pki.client_cert,
        client_key=pool.pki.client_key,
        logins=txserver.LazyLogins(makers),
    )


TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec(
        name="postgresql",
        auth_methods=("trust", "password", "md5", "scram-sha-256", "cert", "ssl-only"),
        tls=True,
        start=_real_postgres_target,
    ),
    TargetSpec(
        name="txpostgres",
        auth_methods=txserver.AUTH_METHODS,
        tls=True,
        start=_txpostgres_target,
    ),
)
_TARGETS_BY_NAME = {spec.name: spec for spec in TARGETS}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target_server" not in metafunc.fixturenames:
        return
    specs = list(TARGETS)
    if metafunc.definition.get_closest_marker("needs_tls"):
        specs = [spec for spec in specs if spec.tls]
    if "auth_method" in metafunc.fixturenames:
        pairs = [(spec.name, method) for spec in specs for method in spec.auth_methods]
        metafunc.parametrize(
            ("target_name", "auth_method"),
            pairs,
            ids=[f"{name}-{method}" for name, method in pairs],
            scope="session",
        )
    else:
        metafunc.parametrize("target_name", [spec.name for spec in specs], scope="session")


@pytest.fixture(scope="session")
def target_server(request: pytest.FixtureRequest, target_name: str) -> TargetServer:
    spec = _TARGETS_BY_NAME[target_name]
    target = spec.start(request)
    if spec.tls and not target.ssl:
        raise AssertionError(f"target {target_name} is declared with TLS but offers none")
    if missing := set(spec.auth_methods) - target.auth_methods:
        raise AssertionError(f"target {target_name} has no login for {sorted(missing)}")
    return target


@pytest.fixture
def login(target_server: TargetServer, auth_method: str) -> Login:
    """The credentials for the ``auth_method`` this test instance is parametrised with."""
    return target_server.logins[auth_method]


@pytest.fixture
def table_name(target_server: TargetServer) -> Iterator[str]:
    """A fresh table name; the table (if the test created it) is dropped afterwards."""
    name = f"interop_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(target_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
