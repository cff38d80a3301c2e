"""The extended query protocol: statements, portals, Describe, PortalSuspended, binary."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.types import oids

from .test_protocol import NUMBER, Backend, connected, errors, kinds


def executions(client: Any) -> list[tuple[Any, ...]]:
    return [call for call in client.backend.calls if call[0] == "execute"]


def test_asyncpg_style_describe_with_flush_and_no_sync() -> None:
    client = connected()
    client.send(m.Parse("s1", "select $1"), m.Describe("S", "s1"), m.Flush())
    answers = client.received()
    assert answers == [
        m.ParseComplete(),
        m.ParameterDescription((oids.INT4,)),
        m.RowDescription((m.FieldDescription("?column?", oids.INT4),)),
    ]
    assert executions(client) == []
    client.send(m.Bind("", "s1", (1,), (struct.pack("!i", 42),), (1,)), m.Execute(), m.Sync())
    answers = client.received()
    assert answers == [
        m.BindComplete(),
        m.DataRow((struct.pack("!i", 42),)),
        m.CommandComplete("SELECT 1"),
        m.ReadyForQuery(),
    ]
    assert executions(client) == [("execute", "select $1", (42,))]


def test_describe_portal_does_not_execute_twice() -> None:
    client = connected()
    client.send(
        m.Parse("", "items"),
        m.Bind("", "", (), (), ()),
        m.Describe("P", ""),
        m.Execute(),
        m.Sync(),
    )
    answers = client.received()
    assert kinds(answers) == [
        "ParseComplete",
        "BindComplete",
        "RowDescription",
        "DataRow",
        "DataRow",
        "DataRow",
        "C:SELECT 3",
        "Z:I",
    ]
    assert len(executions(client)) == 1


def test_describe_portal_uses_the_statement_description_and_result_formats() -> None:
    client = connected()
    client.send(
        m.Parse("s", "items"),
        m.Describe("S", "s"),
        m.Bind("", "s", (), (), (0, 1)),
        m.Describe("P", ""),
        m.Execute(),
        m.Sync(),
    )
    answers = client.received()
    described = answers[4]
    assert described == m.RowDescription(
        (
            m.FieldDescription("id", oids.INT4, format=0),
            m.FieldDescription("name", oids.TEXT, format=1),
        )
    )
    assert answers[5] == m.DataRow((b"1", b"one"))
    assert [call[0] for call in client.backend.calls] == ["describe", "execute"]


def test_binary_results() -> None:
    client = connected()
    client.send(m.Parse("", "items"), m.Bind("", "", (), (), (1,)), m.Execute(), m.Sync())
    rows = [a.values for a in client.received() if isinstance(a, m.DataRow)]
    assert rows == [
        (struct.pack("!i", 1), b"one"),
        (struct.pack("!i", 2), b"two"),
        (b"\x00\x00\x00\x03", None),
    ]


def test_psycopg_pipeline_many_statements_one_sync() -> None:
    client = connected()
    client.send(
        m.Parse("", "select 1"),
        m.Bind("", "", (), (), (0,)),
        m.Describe("P", ""),
        m.Execute(),
        m.Parse("", "select $1", (oids.INT2,)),
        m.Bind("", "", (1,), (b"\x00\x02",), (0,)),
        m.Describe("P", ""),
        m.Execute(),
        m.Sync(),
        m.Flush(),
    )
    answers = client.received()
    assert kinds(answers) == [
        "ParseComplete",
        "BindComplete",
        "RowDescription",
        "DataRow",
        "C:SELECT 1",
        "ParseComplete",
        "BindComplete",
        "RowDescription",
        "DataRow",
        "C:SELECT 1",
        "Z:I",
    ]
    assert executions(client)[1] == ("execute", "select $1", (2,))


def test_error_discards_everything_until_sync() -> None:
    client = connected()
    client.send(
        m.Parse("", "fail 22012"),
        m.Bind("", "", (), (), ()),
        m.Execute(),
        m.Parse("", "select 1"),
        m.Bind("", "", (), (), ()),
        m.Execute(),
        m.Sync(),
        m.Parse("", "select 2"),
        m.Bind("", "", (), (), ()),
        m.Execute(),
        m.Sync(),
    )
    answers = client.received()
    assert kinds(answers) == [
        "ParseComplete",
        "BindComplete",
        "E:22012",
        "Z:I",
        "ParseComplete",
        "BindComplete",
        "DataRow",
        "C:SELECT 1",
        "Z:I",
    ]
    assert [call[1] for call in executions(client)] == ["fail 22012", "select 2"]


def test_portal_suspended_and_resumed() -> None:
    client = connected()
    client.query("begin")
    client.send(m.Parse("", "count 25"), m.Bind("c", ""), m.Execute("c", 10), m.Sync())
    answers = client.received()
    assert kinds(answers) == ["ParseComplete", "BindComplete"] + ["DataRow"] * 10 + [
        "PortalSuspended",
        "Z:T",
    ]
    client.send(m.Execute("c", 10), m.Sync())
    answers = client.received()
    assert [a.values for a in answers if isinstance(a, m.DataRow)][0] == (b"10",)
    assert kinds(answers)[-2:] == ["PortalSuspended", "Z:T"]
    client.send(m.Execute("c", 10), m.Sync())
    answers = client.received()
    assert kinds(answers) == ["DataRow"] * 5 + ["C:SELECT 5", "Z:T"]
    assert len(executions(client)) == 1


def test_exactly_max_rows_then_select_0_like_jdbc_sees() -> None:
    client = connected()
    client.query("begin")
    client.send(m.Parse("", "count 10"), m.Bind("C_2", ""), m.Describe("P", "C_2"))
    client.send(m.Execute("C_2", 10), m.Sync())
    assert kinds(client.received())[-2:] == ["PortalSuspended", "Z:T"]
    client.send(m.Execute("C_2", 10), m.Sync())
    assert kinds(client.received()) == ["C:SELECT 0", "Z:T"]
    client.send(m.Close("P", "C_2"), m.Sync())
    assert kinds(client.received()) == ["CloseComplete", "Z:T"]


def test_portals_end_with_the_implicit_transaction() -> None:
    client = connected()
    client.send(m.Parse("", "select 1"), m.Bind("p1", ""), m.Sync(), m.Execute("p1"), m.Sync())
    answers = client.received()
    assert kinds(answers) == ["ParseComplete", "BindComplete", "Z:I", "E:34000", "Z:I"]
    assert errors(answers)[0].message == 'portal "p1" does not exist'


def test_portals_live_until_commit_inside_a_block() -> None:
    client = connected()
    client.query("begin")
    client.send(m.Parse("", "select 1"), m.Bind("p1", ""), m.Sync(), m.Execute("p1"), m.Sync())
    assert kinds(client.received())[-3:] == ["DataRow", "C:SELECT 1", "Z:T"]
    client.query("commit")
    client.send(m.Execute("p1"), m.Sync())
    assert kinds(client.received()) == ["E:34000", "Z:I"]


def test_missing_statement_and_portal() -> None:
    client = connected()
    client.send(m.Bind("", "zz"), m.Sync(), m.Describe("S", "zz"), m.Sync())
    client.send(m.Close("S", ""), m.Bind("", ""), m.Sync())
    client.send(m.Describe("P", "nope"), m.Sync(), m.Execute("nope"), m.Sync())
    answers = client.received()
    found = [(e.sqlstate, e.message) for e in errors(answers)]
    assert found == [
        ("26000", 'prepared statement "zz" does not exist'),
        ("26000", 'prepared statement "zz" does not exist'),
        ("26000", "unnamed prepared statement does not exist"),
        ("34000", 'portal "nope" does not exist'),
        ("34000", 'portal "nope" does not exist'),
    ]


def test_closing_missing_objects_is_not_an_error() -> None:
    client = connected()
    client.send(m.Close("S", "nope"), m.Close("P", "nope"), m.Sync())
    assert kinds(client.received()) == ["CloseComplete", "CloseComplete", "Z:I"]


def test_named_statements_are_unique_and_reusable() -> None:
    client = connected()
    client.send(m.Parse("a", "select $1"), m.Parse("a", "select 2"), m.Sync())
    answers = client.received()
    assert kinds(answers) == ["ParseComplete", "E:42P05", "Z:I"]
    assert errors(answers)[0].message == 'prepared statement "a" already exists'
    for value in (b"5", b"6"):
        client.send(m.Bind("", "a", (), (value,)), m.Execute(), m.Sync())
        assert kinds(client.received()) == ["BindComplete", "DataRow", "C:SELECT 1", "Z:I"]
    client.send(m.Parse("", "select 1"), m.Parse("", "select 2"), m.Sync())
    assert kinds(client.received()) == ["ParseComplete", "ParseComplete", "Z:I"]


def test_bind_parameter_count_mismatch() -> None:
    client = connected()
    client.send(m.Parse("", "select $1::int"), m.Bind("", "", (), (b"1", b"2")), m.Sync())
    answers = client.received()
    assert errors(answers)[0].fields["C"] == "08P01"
    assert errors(answers)[0].message == (
        'bind message supplies 2 parameters, but prepared statement "" requires 1'
    )
    client.send(m.Parse("", "select $1"), m.Bind("", "", (0, 1), (b"1",)), m.Sync())
    assert errors(client.received())[0].message == (
        "bind message has 2 parameter formats but 1 parameters"
    )
    assert not client.closed


def test_result_format_count_mismatch() -> None:
    client = connected()
    client.send(m.Parse("", "items"), m.Bind("", "", (), (), (0, 1, 0)), m.Execute(), m.Sync())
    answers = client.received()
    assert errors(answers)[0].message == "bind message has 3 result formats but query has 2 columns"


def test_multiple_statements_cannot_be_prepared() -> None:
    client = connected()
    client.send(m.Parse("", "select 1; select 2"), m.Sync())
    answers = client.received()
    assert kinds(answers) == ["E:42601", "Z:I"]
    assert errors(answers)[0].message == "cannot insert multiple commands into a prepared statement"


def test_empty_statement() -> None:
    client = connected()
    client.send(m.Parse("", ""), m.Bind("", ""), m.Describe("P", ""), m.Execute(), m.Sync())
    assert kinds(client.received()) == [
        "ParseComplete",
        "BindComplete",
        "NoData",
        "EmptyQueryResponse",
        "Z:I",
    ]


def test_parameters_decoded_by_type_and_format() -> None:
    client = connected()
    client.send(
        m.Parse("", "param $1 $2 $3 $4", (oids.INT4, 0, oids.BOOL, 0)),
        m.Bind("", "", (0, 0, 1, 0), (b"12", b"text", b"\x01", None)),
        m.Execute(),
        m.Sync(),
    )
    answers = client.received()
    assert [a.values[0] for a in answers if isinstance(a, m.DataRow)] == [
        b"12",
        b"'text'",
        b"True",
        b"None",
    ]


def test_binary_parameter_of_unspecified_type_uses_the_description() -> None:
    client = connected()
    client.send(m.Parse("", "select $1"), m.Bind("", "", (1,), (struct.pack("!i", 9),)))
    client.send(m.Execute(), m.Sync())
    assert kinds(client.received())[-2:] == ["C:SELECT 1", "Z:I"]
    assert executions(client) == [("execute", "select $1", (9,))]


def test_bad_parameter_values() -> None:
    client = connected()
    client.send(m.Parse("", "param $1", (oids.INT4,)), m.Bind("", "", (), (b"x",)), m.Sync())
    [error] = errors(client.received())
    assert error.sqlstate == "22P02"
    assert error.message == 'invalid input syntax for type integer: "x"'
    client.send(m.Parse("", "param $1", (oids.INT4,)), m.Bind("", "", (1,), (b"1",)), m.Sync())
    [error] = errors(client.received())
    assert error.sqlstate == "22P03"


def test_failed_block_refuses_extended_statements() -> None:
    client = connected()
    client.query("begin; fail 22012")
    client.send(m.Parse("", "select 1"), m.Sync())
    assert kinds(client.received()) == ["E:25P02", "Z:E"]
    client.send(m.Parse("", "rollback"), m.Bind("", ""), m.Execute(), m.Sync())
    assert kinds(client.received()) == ["ParseComplete", "BindComplete", "C:ROLLBACK", "Z:I"]


def test_utility_statements_through_the_extended_protocol() -> None:
    client = connected()
    client.send(
        m.Parse("", "SET application_name = 'PostgreSQL JDBC Driver'"),
        m.Bind("", ""),
        m.Execute("", 1),
        m.Sync(),
    )
    assert kinds(client.received()) == [
        "ParseComplete",
        "BindComplete",
        "C:SET",
        "ParameterStatus",
        "Z:I",
    ]
    client.send(
        m.Parse("", "show application_name"),
        m.Describe("S", ""),
        m.Bind("", "", (), (), (1,)),
        m.Describe("P", ""),
        m.Execute(),
        m.Sync(),
    )
    answers = client.received()
    assert answers[1:] == [
        m.ParameterDescription(()),
        m.RowDescription((m.FieldDescription("application_name", oids.TEXT),)),
        m.BindComplete(),
        m.RowDescription((m.FieldDescription("application_name", oids.TEXT, format=1),)),
        m.DataRow((b"PostgreSQL JDBC Driver",)),
        m.CommandComplete("SHOW"),
        m.ReadyForQuery(),
    ]
    client.send(m.Parse("", "commit"), m.Describe("S", ""), m.Sync())
    assert kinds(client.received()) == ["ParseComplete", "ParameterDescription", "NoData", "Z:I"]
    assert all(call[0] != "execute" for call in client.backend.calls)


def test_describe_error_is_reported() -> None:
    client = connected()
    client.send(m.Parse("", "fail 42601"), m.Describe("S", ""), m.Sync())
    assert kinds(client.received()) == ["ParseComplete", "E:42601", "Z:I"]


def test_result_columns_must_match_the_description() -> None:
    class Mismatch(Backend):
        def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
            return QueryResult(NUMBER * 2, [(1, 2)])

    client = connected(backend_factory=Mismatch)
    client.send(m.Parse("", "select 1"), m.Describe("S", ""), m.Bind("", ""), m.Execute())
    client.send(m.Sync())
    assert kinds(client.received())[-2:] == ["E:XX000", "Z:I"]


def test_deallocate_and_discard_all_drop_named_statements() -> None:
    client = connected()
    client.send(m.Parse("a", "select 1"), m.Parse("b", "select 2"), m.Sync())
    client.received()
    assert kinds(client.query("deallocate a")) == ["C:DEALLOCATE", "Z:I"]
    assert kinds(client.query("deallocate a")) == ["E:26000", "Z:I"]
    assert kinds(client.query("discard all")) == ["C:DISCARD ALL", "Z:I"]
    client.send(m.Bind("", "b"), m.Sync())
    assert kinds(client.received()) == ["E:26000", "Z:I"]


def test_text_parameters_use_the_described_types_like_pg8000_sends_them() -> None:
    client = connected()
    client.send(m.Parse("", "select $1"), m.Flush(), m.Sync())
    client.send(m.Describe("S", ""), m.Flush(), m.Sync())
    assert client.received()[-3] == m.ParameterDescription((oids.INT4,))
    client.send(m.Bind("", "", (), (b"3",), ()), m.Execute(), m.Sync())
    assert kinds(client.received()) == ["BindComplete", "DataRow", "C:SELECT 1", "Z:I"]
    assert executions(client) == [("execute", "select $1", (3,))]


def test_repeated_unnamed_parse_keeps_its_statement_until_something_changes() -> None:
    """Parse of the same unnamed statement again keeps the statement it made (with its
    plans); a statement the backend described since, or changed settings, make a new one."""
    client = connected()

    def run() -> Any:
        client.send(
            m.Parse("", "select $1", ()),
            m.Bind("", "", (), (b"5",), ()),
            m.Execute("", 0),
            m.Sync(),
        )
        assert isinstance(client.received()[-1], m.ReadyForQuery)
        return client.session.statements[""]

    first = run()
    assert run() is first and first.bind_plan is not None
    client.send(m.Parse("", "select $1", ()), m.Describe("S", ""), m.Sync())
    client.received()
    described = client.session.statements[""]
    assert described.description is not None
    after_describe = run()
    assert after_describe is not described and after_describe.description is None
    assert after_describe.bind_plan is first.bind_plan  # the decoders still fit
    client.query("set application_name = 'x'")
    assert run() is not after_describe


@pytest.mark.parametrize(
    ("oid", "expected"),
    [
        (oids.BOOL, ("22P02", 'invalid input syntax for type boolean: "zz"')),
        (oids.INT8, ("22P02", 'invalid input syntax for type bigint: "zz"')),
        (oids.FLOAT8, ("22P02", 'invalid input syntax for type double precision: "zz"')),
        (oids.DATE, ("22007", 'invalid input syntax for type date: "zz"')),
        (oids.TIMESTAMP, ("22007", 'invalid input syntax for type timestamp: "zz"')),
        (
            oids.TIMESTAMPTZ,
            ("22007", 'invalid input syntax for type timestamp with time zone: "zz"'),
        ),
        (oids.INTERVAL, ("22007", 'invalid input syntax for type interval: "zz"')),
        (oids.UUID, ("22P02", 'invalid input syntax for type uuid: "zz"')),
    ],
)
def test_a_refused_parameter_names_its_type_as_postgres_does(
    oid: int, expected: tuple[str, str]
) -> None:
    """PostgreSQL 15's own wording and SQLSTATE for ``select 'zz'::<type>``."""
    client = connected()
    client.send(m.Parse("", "param $1", (oid,)), m.Bind("", "", (), (b"zz",)), m.Sync())
    [error] = errors(client.received())
    assert (error.sqlstate, error.message) == expected
