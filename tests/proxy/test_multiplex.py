"""Multiplexing (``--multiplex N``): short units of several clients share one upstream.

The unit rules are checked directly (`unit_shape`, `ShapeTimes`); the behaviour through a real
proxy process in front of a real PostgreSQL.  To make several clients' units arrive in one
read batch, the proxy process is stopped (SIGSTOP) while they send and continued afterwards;
which upstream answered shows in ``pg_backend_pid()``.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.pgserver import DATABASE, TRUST_USER, RealPostgres, client_environment
from tests.proxy.proxyprocess import ProxyProcess
from tests.proxy.rawclient import RawClient
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.proxy.frames import FrameCutter
from txpostgres_proto.proxy.multiplex import SHARE_WITHIN, ShapeTimes
from txpostgres_proto.proxy.statements import StatementMap
from txpostgres_proto.proxy.units import unit_shape

DEPTH = 4
POOL = 8

# -- what a shareable unit is -------------------------------------------------------------------


def _shape(*messages: m.FrontendMessage, statements: StatementMap | None = None) -> bytes | None:
    data, notable = FrameCutter(frozenset(b"QSFPBDCEX")).cut(
        b"".join(message.encode() for message in messages)
    )
    return unit_shape(data, notable, statements or StatementMap())


def test_a_plain_select_is_shareable_and_its_shape_ignores_digits() -> None:
    assert _shape(m.Query("SELECT abalance FROM a WHERE aid = 42;")) == (
        b"SELECT abalance FROM a WHERE aid = ;"
    )
    assert _shape(m.Query("  select 1")) == _shape(m.Query("  select 2")) is not None


@pytest.mark.parametrize(
    "sql",
    [
        "begin",
        "insert into t values (1)",
        "set application_name = 'x'",
        "select 1; select 2",
        "select 1; begin",
        "select * from t for update",
        "select * from t FOR NO KEY UPDATE",
        "select * from t for share",
        "select 1 into new_table",
        "selected",
        "/* comment */ select 1",
    ],
)
def test_anything_but_one_plain_select_is_not(sql: str) -> None:
    assert _shape(m.Query(sql)) is None


def test_extended_units() -> None:
    bind = m.Bind("", "", (), (b"1",), ())
    unnamed = m.Parse("", "select $1::int", ())
    assert _shape(unnamed, bind, m.Describe("P", ""), m.Execute("", 0), m.Sync()) == (
        b"select $::int"
    )
    assert _shape(unnamed, m.Describe("S", ""), bind, m.Execute("", 0), m.Sync()) is not None
    # A Bind of the unnamed statement alone: parsed by an earlier unit, on some connection.
    assert _shape(bind, m.Execute("", 0), m.Sync()) is None
    # Two units, a unit without its Sync, a write.
    assert _shape(unnamed, bind, m.Execute("", 0), m.Sync(), m.Sync()) is None
    assert _shape(unnamed, bind, m.Execute("", 0)) is None
    assert _shape(m.Parse("", "delete from t", ()), bind, m.Execute("", 0), m.Sync()) is None
    # A named statement counts once the client has prepared it through the proxy.
    statements = StatementMap()
    named_bind = m.Bind("", "s1", (), (b"1",), ())
    assert _shape(named_bind, m.Execute("", 0), m.Sync(), statements=statements) is None
    out: list[bytes] = []

    class Target:
        prepared: set[bytes] = set()

        def note_parse(self, name: bytes | None, swallow: bool) -> None:
            pass

    statements.parse(m.Parse("s1", "select $1::int", ()).encode()[5:], Target(), out)
    shape = _shape(named_bind, m.Execute("", 0), m.Sync(), statements=statements)
    assert shape is not None and shape.startswith(b"pxs_")
    statements.parse(m.Parse("s1", "update t set a = 1", ()).encode()[5:], Target(), out)
    assert _shape(named_bind, m.Execute("", 0), m.Sync(), statements=statements) is None
    # Truncated frames are left to the general path, which reports them.
    assert unit_shape(b"Q\x00\x00\x00\x09sel", (0,), StatementMap()) is None


def test_shape_times_share_only_what_was_seen_fast() -> None:
    times = ShapeTimes()
    assert not times.fast(b"select")
    times.record(b"select", SHARE_WITHIN / 10)
    assert times.fast(b"select")
    times.record(b"select", SHARE_WITHIN * 2)
    assert not times.fast(b"select")


# -- through a real proxy -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def multiplex_proxy(
    real_postgres: RealPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    upstream = real_postgres.uri(TRUST_USER, sslmode="disable")
    log = tmp_path_factory.mktemp("multiplex") / "proxy.log"
    options = ("--pool-mode", "transaction", "--pool-size", str(POOL), "--multiplex", str(DEPTH))
    with ProxyProcess(upstream, *options, log=log) as proxy:
        yield proxy
    assert "Traceback" not in log.read_text()


@pytest.fixture
def clients(multiplex_proxy: ProxyProcess) -> Iterator[list[RawClient]]:
    """Eight clients, after every upstream connection of the pool was opened (each client
    holding one in a transaction at once) and given back."""
    opened = [RawClient(multiplex_proxy.host, multiplex_proxy.port) for _ in range(POOL)]
    for client in opened:
        client.exchange([m.Query("begin")], 1, 0.0)
    for client in opened:
        client.exchange([m.Query("commit")], 1, 0.0)
    yield opened
    for client in opened:
        try:
            client.close()
        except OSError:
            pass


def _messages(data: bytes) -> list[tuple[str, bytes]]:
    found, pos = [], 0
    while pos < len(data):
        length = int.from_bytes(data[pos + 1 : pos + 5], "big")
        found.append((chr(data[pos]), data[pos + 5 : pos + 1 + length]))
        pos += 1 + length
    return found


def _row(data: bytes) -> list[str]:
    """The text values of the first DataRow in ``data``."""
    body = next(body for code, body in _messages(data) if code == "D")
    values, pos = [], 2
    for _ in range(int.from_bytes(body[:2], "big")):
        length = int.from_bytes(body[pos : pos + 4], "big", signed=True)
        values.append(body[pos + 4 : pos + 4 + length].decode())
        pos += 4 + length
    return values


def _sqlstate(data: bytes) -> str | None:
    for code, body in _messages(data):
        if code == "E":
            fields = dict((part[:1], part[1:]) for part in body.split(b"\x00") if part)
            return fields[b"C"].decode()
    return None


def _together(
    proxy: ProxyProcess, clients: list[RawClient], units: list[list[m.FrontendMessage]]
) -> list[bytes]:
    """Each client sends its unit while the proxy is stopped; the answers, in client order."""
    with proxy.frozen():
        for client, unit in zip(clients, units, strict=True):
            client.send(unit)
    return [client.read_until_ready(1) for client in clients]


def test_units_arriving_together_share_upstreams_by_depth(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    query = "select pg_backend_pid(), {}"
    clients[0].exchange([m.Query(query.format(0))], 1, 0.0)  # the shape is seen fast once
    answers = _together(
        multiplex_proxy, clients, [[m.Query(query.format(n))] for n in range(len(clients))]
    )
    rows = [_row(answer) for answer in answers]
    assert [int(row[1]) for row in rows] == list(range(len(clients)))  # each its own answer
    by_upstream: dict[str, int] = {}
    for pid, _ in rows:
        by_upstream[pid] = by_upstream.get(pid, 0) + 1
    assert sorted(by_upstream.values()) == [DEPTH, DEPTH]
    for answer in answers:  # exactly PostgreSQL's answer to one Query, nothing else
        assert [code for code, _ in _messages(answer)] == ["T", "D", "C", "Z"]
        assert answer.endswith(b"Z\x00\x00\x00\x05I")


def test_an_error_in_one_unit_leaves_the_others_alone(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    clients[0].exchange([m.Query("select 6/3")], 1, 0.0)
    units = [[m.Query(f"select {n + 1}/{n % 2}")] for n in range(DEPTH)]
    answers = _together(multiplex_proxy, clients[:DEPTH], units)
    for n, answer in enumerate(answers):
        if n % 2:
            assert _row(answer) == [str(n + 1)]
        else:
            assert _sqlstate(answer) == "22012"
        assert answer.endswith(b"Z\x00\x00\x00\x05I")
    assert _row(clients[0].exchange([m.Query("select 7")], 1, 0.0)) == ["7"]


def test_named_statements_are_parsed_where_they_go_and_their_parse_answers_swallowed(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    sql = "select $1::int * 2, pg_backend_pid()"
    for client in clients[:DEPTH]:
        assert client.exchange([m.Parse("twice", sql, ()), m.Sync()], 1, 0.0).startswith(b"1")

    def unit(value: int) -> list[m.FrontendMessage]:
        return [m.Bind("", "twice", (), (str(value).encode(),), ()), m.Execute("", 0), m.Sync()]

    clients[0].exchange(unit(0), 1, 0.0)
    answers = _together(multiplex_proxy, clients[:DEPTH], [unit(n) for n in range(DEPTH)])
    for n, answer in enumerate(answers):
        assert [code for code, _ in _messages(answer)] == ["2", "D", "C", "Z"]
        assert _row(answer)[0] == str(2 * n)
    assert len({_row(answer)[1] for answer in answers}) == 1


def test_a_shape_last_seen_slow_travels_alone(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    query = "select pg_backend_pid(), pg_sleep({}), {}"
    units = [[m.Query(query.format("0.00", n))] for n in range(DEPTH)]
    clients[0].exchange([m.Query(query.format("0.00", 0))], 1, 0.0)
    shared = _together(multiplex_proxy, clients[:DEPTH], units)
    assert len({_row(answer)[0] for answer in shared}) == 1
    clients[0].exchange([m.Query(query.format("0.02", 0))], 1, 0.0)  # 20 ms: too slow to share
    alone = _together(multiplex_proxy, clients[:DEPTH], units)
    assert len({_row(answer)[0] for answer in alone}) == DEPTH


def _sleeper(clients: list[RawClient]) -> None:
    """Prepare ``sleep`` (pg_sleep of a parameter) on each client and have it seen fast."""
    for client in clients:
        client.exchange([m.Parse("sleep", "select pg_sleep($1::float8), 1", ()), m.Sync()], 1, 0)
    clients[0].exchange(_sleep(0), 1, 0.0)


def _sleep(seconds: float) -> list[m.FrontendMessage]:
    bind = m.Bind("", "sleep", (), (str(seconds).encode(),), ())
    return [bind, m.Execute("", 0), m.Sync()]


def test_what_a_client_sends_while_its_unit_rides_follows_in_order(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    first, other = clients[:2]
    _sleeper([first, other])
    with multiplex_proxy.frozen():
        first.send(_sleep(0.3))
        other.send(_sleep(0))
    time.sleep(0.1)
    first.send([m.Query("select 'after'")])
    answers = first.read_until_ready(2)
    assert answers.index(b"\x00\x00\x00\x011") < answers.index(b"after")
    assert other.read_until_ready(1).endswith(b"Z\x00\x00\x00\x05I")


def test_a_client_leaving_mid_ride_does_not_disturb_the_others(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    leaving, staying = clients[:2]
    _sleeper([leaving, staying])
    with multiplex_proxy.frozen():
        leaving.send(_sleep(0.2))
        staying.send(_sleep(0.2))
    time.sleep(0.05)
    leaving.sock.close()
    assert _row(staying.read_until_ready(1)) == ["", "1"]
    assert _row(staying.exchange([m.Query("select 5")], 1, 0.0)) == ["5"]


def test_cancelling_the_last_unit_of_a_ride(
    multiplex_proxy: ProxyProcess, clients: list[RawClient]
) -> None:
    quick, slow = clients[:2]
    _sleeper([quick, slow])
    with multiplex_proxy.frozen():
        quick.send(_sleep(0))
        slow.send(_sleep(5))
    assert quick.read_until_ready(1).endswith(b"Z\x00\x00\x00\x05I")
    started = time.monotonic()
    slow.cancel()  # the quick unit ahead is answered: the slow one is alone on its upstream
    assert _sqlstate(slow.read_until_ready(1)) == "57014"
    assert time.monotonic() - started < 4


def test_an_upstream_dying_under_a_ride_fails_its_riders_and_is_replaced(
    multiplex_proxy: ProxyProcess, clients: list[RawClient], real_postgres: RealPostgres
) -> None:
    riders = clients[:2]
    _sleeper(riders)
    with multiplex_proxy.frozen():
        for client in riders:
            client.send(_sleep(3))
    time.sleep(0.3)
    with psycopg.connect(real_postgres.dsn(TRUST_USER), autocommit=True) as direct:
        killed = direct.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where query like '%pg_sleep($1%' and state = 'active' and pid <> pg_backend_pid()"
        ).fetchall()
    assert killed == [(True,)]
    states = set()
    for client in riders:
        client.sock.settimeout(5)
        answer = b""
        while chunk := client.sock.recv(65536):
            answer += chunk
        states.add(_sqlstate(answer))
    assert states == {"57P01", "08006"}
    fresh = RawClient(multiplex_proxy.host, multiplex_proxy.port)
    assert _row(fresh.exchange([m.Query("select 9")], 1, 0.0)) == ["9"]
    fresh.close()


@pytest.fixture(scope="module")
def pgbench_env(multiplex_proxy: ProxyProcess) -> Iterator[dict[str, str]]:
    """pgbench's tables made through the proxy (COPY and DDL take the usual path), and
    dropped afterwards (other tests make them as another user)."""
    env = client_environment(
        PGHOST=multiplex_proxy.host, PGPORT=str(multiplex_proxy.port), PGUSER=TRUST_USER,
        PGDATABASE=DATABASE, PGSSLMODE="disable",
    )  # fmt: skip
    subprocess.run(
        ["pgbench", "-i", "-s", "1", "-q"], env=env, check=True, capture_output=True, timeout=120
    )
    yield env
    subprocess.run(["pgbench", "-i", "-I", "d"], env=env, check=True, capture_output=True)


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
@pytest.mark.parametrize("script", ["select-only", "tpcb-like"])
def test_pgbench_through_the_multiplexing_proxy(
    pgbench_env: dict[str, str], mode: str, script: str
) -> None:
    result = subprocess.run(
        ["pgbench", "-n", "-b", script, "-M", mode, "-c", "6", "-j", "2", "-T", "2"],
        env=pgbench_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "failed transactions: 0 " in result.stdout
    assert int(result.stdout.split("actually processed: ")[1].split()[0]) > 100


def _mixed_client(dsn: str, seed: int, seconds: float, failures: list[str]) -> None:
    """One client of the stress test: a random mix of what clients send, every answer checked."""
    rng = random.Random(seed)
    prepare = seed % 2 == 0  # half the clients use named prepared statements
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0 if prepare else None) as conn:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            n = rng.randrange(1_000_000)
            kind = rng.randrange(6)
            try:
                if kind == 0:
                    got = conn.execute("select %s::int + 1", (n,)).fetchone()
                    expected: object = (n + 1,)
                elif kind == 1:
                    got = conn.execute(f"select {n}, 'x{n}'").fetchone()
                    expected = (n, f"x{n}")
                elif kind == 2:
                    with conn.transaction():
                        conn.execute("select %s::int", (n,))
                        got = conn.execute("select %s::int * 2", (n,)).fetchone()
                    expected = (2 * n,)
                elif kind == 3:
                    try:
                        conn.execute(f"select {n} / 0")
                        got = "no error"
                    except psycopg.errors.DivisionByZero:
                        got = "22012"
                    expected = "22012"
                elif kind == 4:
                    with conn.pipeline():
                        first = conn.execute("select %s::int", (n,))
                        second = conn.execute("select %s::int", (n + 1,))
                    got = (first.fetchone(), second.fetchone())
                    expected = ((n,), (n + 1,))
                else:
                    rows = conn.execute("select g from generate_series(1, %s::int) g", (n % 50,))
                    got = len(rows.fetchall())
                    expected = n % 50
            except Exception as error:  # noqa: BLE001 - every failure is reported below
                failures.append(f"client {seed} kind {kind}: {error!r}")
                return
            if got != expected:
                failures.append(f"client {seed} kind {kind}: {got!r} != {expected!r}")
                return


def test_many_clients_mixing_everything_each_get_their_own_answers(
    multiplex_proxy: ProxyProcess,
) -> None:
    failures: list[str] = []
    threads = [
        threading.Thread(
            target=_mixed_client, args=(multiplex_proxy.dsn(TRUST_USER), seed, 3.0, failures)
        )
        for seed in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
