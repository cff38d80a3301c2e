"""LISTEN/NOTIFY timing as PostgreSQL has it (SQL reference "LISTEN", "NOTIFY"), and notices.

LISTEN and UNLISTEN take effect when their transaction commits (a rollback undoes them);
NOTIFYs are sent at commit, identical ones folded; a session gets notifications at once when
idle, otherwise right before its next ReadyForQuery outside a transaction block.
"""

from __future__ import annotations

from txpostgres_proto.protocol import messages as m

from .test_protocol import Client, connected, kinds


def _pair() -> tuple[Client, Client]:
    listener = connected()
    notifier = Client(factory=listener.factory)
    notifier.startup()
    return listener, notifier


def test_listen_in_a_rolled_back_block_never_listens() -> None:
    listener, notifier = _pair()
    listener.query("begin; listen jobs; rollback")
    notifier.query("notify jobs, 'x'")
    assert listener.received() == []
    assert listener.factory.notifications.listeners("jobs") == 0


def test_listen_takes_effect_at_commit() -> None:
    listener, notifier = _pair()
    listener.query("begin; listen jobs")
    notifier.query("notify jobs, 'before commit'")
    assert kinds(listener.query("commit")) == ["C:COMMIT", "Z:I"]  # not yet listening then
    notifier.query("notify jobs, 'after commit'")
    assert listener.received() == [
        m.NotificationResponse(notifier.session.process_id, "jobs", "after commit")
    ]


def test_unlisten_in_a_block_takes_effect_at_commit() -> None:
    listener, notifier = _pair()
    listener.query("listen jobs")
    listener.query("begin; unlisten jobs")
    assert listener.factory.notifications.listeners("jobs") == 1
    listener.query("commit")
    assert listener.factory.notifications.listeners("jobs") == 0


def test_duplicates_in_one_transaction_are_folded_in_order() -> None:
    listener, notifier = _pair()
    listener.query("listen a; listen b")
    notifier.query("begin; notify a, '1'; notify b, '1'; notify a, '1'; notify a, '2'")
    notifier.query("select 1; notify a, '2'; commit")
    payloads = [(n.channel, n.payload) for n in listener.received()]
    assert payloads == [("a", "1"), ("b", "1"), ("a", "2")]


def test_a_busy_session_gets_notifications_before_ready_for_query() -> None:
    listener, notifier = _pair()
    listener.query("listen jobs")
    listener.send(m.Query("wait"))  # the backend holds this query
    notifier.query("notify jobs, 'while busy'")
    assert listener.received() == []
    from txpostgres_proto.server.backend import QueryResult

    listener.backend.waiting[0].callback(QueryResult(command_tag="SELECT 0"))
    assert kinds(listener.received())[-2:] == ["NotificationResponse", "Z:I"]


def test_session_notice_carries_every_field() -> None:
    client = connected()
    client.session.notice(
        "careful", "01000", severity="WARNING", detail="d", hint="h", where="w", table_name="t"
    )
    answers = client.query("select 1")
    (notice,) = [a for a in answers if isinstance(a, m.NoticeResponse)]
    assert notice.fields == {
        "S": "WARNING", "V": "WARNING", "C": "01000", "M": "careful",
        "D": "d", "H": "h", "W": "w", "t": "t",
    }  # fmt: skip
