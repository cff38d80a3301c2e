"""SQLSTATE exception classes: the generated module matches PostgreSQL's list and registers.

The list is checked against ``errcodes.txt`` of the installed PostgreSQL when it is there (the
generator is re-run and must reproduce the checked-in module byte for byte), and against a
real server's errors in ``tests/client/test_connect.py``.
"""

from __future__ import annotations

import glob
import pickle
from pathlib import Path

import pytest

from txpostgres_proto.protocol import _generate_sqlstates as generator
from txpostgres_proto.protocol import sqlstates as s
from txpostgres_proto.protocol.errors import PostgresError

_ERRCODES = sorted(glob.glob("/usr/share/postgresql/*/errcodes.txt"))


def _fields(sqlstate: str) -> dict[str, str]:
    return {"S": "ERROR", "V": "ERROR", "C": sqlstate, "M": "boom", "D": "details"}


@pytest.mark.parametrize(
    ("sqlstate", "cls", "parents"),
    [
        ("23505", s.UniqueViolation, (s.IntegrityConstraintViolation, s.IntegrityError)),
        ("23503", s.ForeignKeyViolation, (s.IntegrityConstraintViolation, s.IntegrityError)),
        ("22012", s.DivisionByZero, (s.DataException, s.DataError)),
        ("42P01", s.UndefinedTable, (s.SyntaxErrorOrAccessRuleViolation, s.ProgrammingError)),
        ("42601", s.SqlSyntaxError, (s.SyntaxErrorOrAccessRuleViolation, s.ProgrammingError)),
        ("57014", s.QueryCanceled, (s.OperatorIntervention, s.OperationalError)),
        ("57P01", s.AdminShutdown, (s.OperatorIntervention, s.OperationalError)),
        ("28P01", s.InvalidPassword, (s.InvalidAuthorizationSpecification, s.OperationalError)),
        ("40001", s.SerializationFailure, (s.TransactionRollback, s.OperationalError)),
        ("40P01", s.DeadlockDetected, (s.TransactionRollback, s.OperationalError)),
        ("0A000", s.FeatureNotSupported, (s.NotSupportedError,)),
        ("25P02", s.InFailedSqlTransaction, (s.InvalidTransactionState, s.InternalError)),
        ("XX000", s.SqlInternalError, (s.InternalError,)),
        ("01000", s.SqlWarning, (PostgresError,)),
        ("01004", s.StringDataRightTruncationWarning, (s.SqlWarning,)),
        ("22001", s.StringDataRightTruncation, (s.DataException,)),
        ("38002", s.ExternalRoutineModifyingSqlDataNotPermitted, (s.ExternalRoutineException,)),
        ("2F002", s.ModifyingSqlDataNotPermitted, (s.SqlRoutineException,)),
    ],
)
def test_from_fields_picks_the_condition_class(
    sqlstate: str, cls: type[PostgresError], parents: tuple[type, ...]
) -> None:
    error = PostgresError.from_fields(_fields(sqlstate))
    assert type(error) is cls
    assert error.sqlstate == sqlstate
    assert error.message == "boom"
    assert error.detail == "details"
    for parent in parents:
        assert isinstance(error, parent)
    assert isinstance(error, s.DatabaseError)
    assert s.error_class(sqlstate) is cls


def test_unknown_condition_falls_back_to_its_class_then_to_the_base() -> None:
    assert type(PostgresError.from_fields(_fields("23999"))) is s.IntegrityConstraintViolation
    assert type(PostgresError.from_fields(_fields("42ZZZ"))) is (s.SyntaxErrorOrAccessRuleViolation)
    assert type(PostgresError.from_fields(_fields("Q1234"))) is PostgresError
    assert s.error_class("Q1234") is PostgresError


def test_dbapi_groups_do_not_overlap_and_cover_every_error_class() -> None:
    for sqlstate, condition in s.CONDITION_NAMES.items():
        cls = s.error_class(sqlstate)
        groups = [
            group
            for group in (
                s.IntegrityError,
                s.DataError,
                s.NotSupportedError,
                s.ProgrammingError,
                s.OperationalError,
                s.InternalError,
            )
            if issubclass(cls, group)
        ]
        expected = 0 if sqlstate[:2] in ("00", "01", "02") else 1
        assert len(groups) == expected, (sqlstate, condition, groups)


def test_raising_a_class_sends_its_code() -> None:
    assert s.UniqueViolation("duplicate").to_fields()["C"] == "23505"
    assert s.DataError("bad value").sqlstate == "22000"
    assert s.ProgrammingError("bad sql").sqlstate == "42000"
    error = s.UndefinedTable("no such table", table_name="t")
    assert error.to_fields()["t"] == "t"
    assert PostgresError.from_fields(error.to_fields()).table_name == "t"


def test_every_code_has_a_unique_exported_class() -> None:
    classes = {s.error_class(code) for code in s.CONDITION_NAMES}
    assert len(classes) == len(s.CONDITION_NAMES)
    for cls in classes:
        assert cls.__name__ in s.__all__
        assert getattr(s, cls.__name__) is cls
        assert cls.default_sqlstate in s.CONDITION_NAMES


def test_errors_pickle() -> None:
    error = PostgresError.from_fields(_fields("23505"))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is s.UniqueViolation
    assert copy.sqlstate == "23505"


def test_naming_rules() -> None:
    codes = [
        generator.Code("01000", "W", "warning", "Warning"),
        generator.Code("01004", "W", "string_data_right_truncation", "Warning"),
        generator.Code("22000", "E", "data_exception", "Data Exception"),
        generator.Code("22001", "E", "string_data_right_truncation", "Data Exception"),
        generator.Code("22004", "E", "null_value_not_allowed", "Data Exception"),
        generator.Code("39000", "E", "external_routine_invocation_exception", "Ext"),
        generator.Code("39004", "E", "null_value_not_allowed", "Ext"),
        generator.Code("42601", "E", "syntax_error", "Syntax"),
    ]
    assert generator.class_names(codes) == {
        "01000": "SqlWarning",
        "01004": "StringDataRightTruncationWarning",
        "22000": "DataException",
        "22001": "StringDataRightTruncation",
        "22004": "NullValueNotAllowed",
        "39000": "ExternalRoutineInvocationException",
        "39004": "ExternalRoutineInvocationNullValueNotAllowed",
        "42601": "SqlSyntaxError",
    }


@pytest.mark.skipif(not _ERRCODES, reason="PostgreSQL's errcodes.txt is not installed")
def test_checked_in_module_is_what_the_generator_makes_from_errcodes_txt() -> None:
    text = Path(_ERRCODES[-1]).read_text(encoding="utf-8")
    codes = generator.parse_errcodes(text)
    assert {code.sqlstate for code in codes} == set(s.CONDITION_NAMES)
    assert len(codes) > 250
    assert generator.render(codes) == Path(s.__file__).read_text(encoding="utf-8")
