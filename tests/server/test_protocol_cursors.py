"""Cursors (DECLARE/FETCH/MOVE/CLOSE), SQL PREPARE/EXECUTE and LISTEN/NOTIFY."""

from __future__ import annotations

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.types import oids

from .test_protocol import Client, connected, errors, kinds


def values(answers: list[m.BackendMessage]) -> list[bytes | None]:
    return [a.values[0] for a in answers if isinstance(a, m.DataRow)]


def test_psycopg_server_side_cursor_flow() -> None:
    client = connected()
    client.query("BEGIN")
    client.send(
        m.Parse("", 'DECLARE "sc" CURSOR FOR count 25'),
        m.Bind("", "", (), (), (0,)),
        m.Describe("P", ""),
        m.Execute(),
        m.Sync(),
    )
    assert kinds(client.received()) == [
        "ParseComplete",
        "BindComplete",
        "NoData",
        "C:DECLARE CURSOR",
        "Z:T",
    ]
    client.send(m.Describe("P", "sc"), m.Sync())
    assert client.received() == [
        m.RowDescription((m.FieldDescription("n", oids.INT8),)),
        m.ReadyForQuery(m.TransactionStatus.IN_TRANSACTION),
    ]
    answers = client.query('FETCH FORWARD 10 FROM "sc"')
    assert kinds(answers) == ["RowDescription"] + ["DataRow"] * 10 + ["C:FETCH 10", "Z:T"]
    assert values(answers)[0] == b"0"
    assert kinds(client.query('MOVE 10 IN "sc"')) == ["C:MOVE 10", "Z:T"]
    answers = client.query('FETCH ALL FROM "sc"')
    assert values(answers) == [b"20", b"21", b"22", b"23", b"24"]
    assert kinds(answers)[-2:] == ["C:FETCH 5", "Z:T"]
    assert kinds(client.query('FETCH next FROM "sc"')) == ["RowDescription", "C:FETCH 0", "Z:T"]
    assert kinds(client.query('CLOSE "sc"')) == ["C:CLOSE CURSOR", "Z:T"]
    assert kinds(client.query('FETCH 1 FROM "sc"')) == ["E:34000", "Z:E"]
    assert len([c for c in client.backend.calls if c[0] == "execute"]) == 1


def test_cursor_rules() -> None:
    client = connected()
    answers = client.query("declare c cursor for count 3")
    assert errors(answers)[0].message == "DECLARE CURSOR can only be used in transaction blocks"
    assert kinds(client.query("declare c cursor with hold for count 3")) == [
        "C:DECLARE CURSOR",
        "Z:I",
    ]
    # A WITH HOLD cursor outlives its (implicit) transaction.
    assert values(client.query("fetch absolute 2 from c")) == [b"1"]
    assert kinds(client.query("fetch backward 1 from c")) == ["E:55000", "Z:I"]
    assert kinds(client.query("declare c cursor with hold for count 1")) == ["E:42P03", "Z:I"]
    assert kinds(client.query("close all")) == ["C:CLOSE CURSOR ALL", "Z:I"]
    client.query("begin; declare d cursor for count 3")
    client.query("commit")
    assert kinds(client.query("fetch d")) == ["E:34000", "Z:I"]


def test_fetch_through_the_extended_protocol() -> None:
    client = connected()
    client.query("begin; declare c cursor for count 5")
    client.send(
        m.Parse("", "fetch 2 from c"),
        m.Describe("S", ""),
        m.Bind("", "", (), (), (1,)),
        m.Execute(),
        m.Sync(),
    )
    answers = client.received()
    assert answers[2] == m.RowDescription((m.FieldDescription("n", oids.INT8),))
    assert values(answers) == [bytes(8), b"\x00" * 7 + b"\x01"]
    assert kinds(answers)[-2:] == ["C:FETCH 2", "Z:T"]


def test_prepare_and_execute() -> None:
    client = connected()
    assert kinds(client.query("prepare q(int) as param $1")) == ["C:PREPARE", "Z:I"]
    answers = client.query("execute q(42)")
    assert values(answers) == [b"42"]
    assert kinds(client.query("execute q(1, 2)")) == ["E:42601", "Z:I"]
    assert kinds(client.query("prepare q as select 1")) == ["E:42P05", "Z:I"]
    # Protocol-level and SQL-level prepared statements share one namespace.
    client.send(m.Bind("", "q", (), (b"7",)), m.Execute(), m.Sync())
    assert values(client.received()) == [b"7"]
    client.send(m.Parse("", "execute q($1)"), m.Bind("", "", (), (b"8",)), m.Execute(), m.Sync())
    assert values(client.received()) == [b"'8'"]
    assert kinds(client.query("deallocate q; execute q(1)")) == ["C:DEALLOCATE", "E:26000", "Z:I"]


def test_listen_notify_between_connections() -> None:
    listener = connected()
    assert kinds(listener.query("LISTEN jobs")) == ["C:LISTEN", "Z:I"]
    notifier = Client(factory=listener.factory)
    notifier.startup()
    notifier.query("begin; notify jobs, 'one'")
    assert listener.received() == []  # not before commit
    notifier.query("commit")
    assert listener.received() == [
        m.NotificationResponse(notifier.session.process_id, "jobs", "one")
    ]
    notifier.query("begin; notify jobs, 'lost'; rollback")
    assert listener.received() == []
    # A listener in a transaction block gets it after the block ends.
    listener.query("begin")
    notifier.query("notify jobs")
    assert listener.received() == []
    answers = listener.query("commit")
    assert kinds(answers) == ["C:COMMIT", "NotificationResponse", "Z:I"]


def test_notify_self_and_unlisten() -> None:
    client = connected()
    answers = client.query("listen a; notify a, 'x'")
    assert kinds(answers) == ["C:LISTEN", "C:NOTIFY", "NotificationResponse", "Z:I"]
    client.query("unlisten *")
    assert kinds(client.query("notify a")) == ["C:NOTIFY", "Z:I"]
    client.query("listen a")
    client.query("discard all")
    assert kinds(client.query("notify a")) == ["C:NOTIFY", "Z:I"]
    assert client.factory.notifications.listeners("a") == 0


def test_listener_forgotten_on_disconnect() -> None:
    client = connected()
    client.query("listen gone")
    client.disconnect()
    assert client.factory.notifications.listeners("gone") == 0
