"""Run-time settings (GUCs) of one session: SET, SET LOCAL, SHOW, RESET, with transactions.

PostgreSQL keeps hundreds of settings; clients read a few dozen of them (``SHOW``,
``current_setting()``, ``pg_settings``) and set a handful (``extra_float_digits``,
``application_name``, ``DateStyle``, ``TimeZone``, ``search_path``, ``statement_timeout`` ...).
`Settings` knows those with PostgreSQL 15's defaults, types, units and messages, and accepts
custom ``prefix.name`` settings the way PostgreSQL accepts placeholder variables.

Semantics copied from PostgreSQL (``guc.c``, chapter 20 "Server Configuration"):

* names are case-insensitive; SHOW prints the canonical spelling (``DateStyle``, ``TimeZone``);
* values are validated and printed canonically (booleans as ``on``/``off``, times and sizes in
  the largest exact unit: ``90000`` ms shows as ``90s``, ``65536`` kB as ``64MB``);
* changes are transactional: a ROLLBACK (or ROLLBACK TO SAVEPOINT) undoes the SETs made since,
  SET LOCAL lasts until the end of the transaction, and RESET returns to the session's
  starting value (its startup packet or ``options``);
* ``transaction_isolation``/``transaction_read_only``/``transaction_deferrable`` follow their
  ``default_*`` counterparts unless the current transaction set them;
* settings flagged GUC_REPORT (`REPORTED`) are sent to the client in ParameterStatus whenever
  their value differs from what the client was last told — `changed_reports` computes that.

Errors are `PostgresError` with PostgreSQL's SQLSTATE and wording (42704 unknown name, 22023
invalid value, 55P02 read-only setting).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from functools import cache
from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import resolve_timezone

from .encodings import python_codec

__all__ = [
    "REPORTED",
    "Settings",
    "flatten_set_values",
    "quote_identifier",
    "server_version_num",
]


@dataclass(frozen=True, slots=True)
class _Guc:
    name: str
    default: str
    kind: str  # bool, int, real, enum, string
    description: str
    context: str = "user"  # internal, postmaster, sighup, superuser, user
    unit: str = ""  # ms, s, kB, 8kB
    minimum: float = 0
    maximum: float = 2147483647
    choices: tuple[str, ...] = ()
    report: bool = False
    list_input: bool = False
    list_quote: bool = False
    hidden: bool = False  # not in SHOW ALL
    follows: str = ""  # transaction_*: shows default_* unless set in the transaction


_ISOLATION = ("serializable", "repeatable read", "read committed", "read uncommitted")
_MESSAGE_LEVELS = ("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning",
                   "error")  # fmt: skip

_GUCS: Final[tuple[_Guc, ...]] = (
    _Guc("application_name", "", "string", "Sets the application name to be reported in "
         "statistics and logs.", report=True),
    _Guc("array_nulls", "on", "bool", "Enable input of NULL elements in arrays."),
    _Guc("backslash_quote", "safe_encoding", "enum", "Sets whether \"\\'\" is allowed in "
         "string literals.", choices=("safe_encoding", "on", "off")),
    _Guc("block_size", "8192", "int", "Shows the size of a disk block.", context="internal"),
    _Guc("bytea_output", "hex", "enum", "Sets the output format for bytea.",
         choices=("escape", "hex")),
    _Guc("check_function_bodies", "on", "bool", "Check routine bodies during CREATE FUNCTION "
         "and CREATE PROCEDURE."),
    _Guc("client_encoding", "UTF8", "string", "Sets the client's character set encoding.",
         report=True),
    _Guc("client_min_messages", "notice", "enum", "Sets the message levels that are sent to "
         "the client.", choices=_MESSAGE_LEVELS),
    _Guc("constraint_exclusion", "partition", "enum", "Enables the planner to use constraints "
         "to optimize queries.", choices=("partition", "on", "off")),
    _Guc("cursor_tuple_fraction", "0.1", "real", "Sets the planner's estimate of the fraction "
         "of a cursor's rows that will be retrieved.", maximum=1),
    _Guc("data_checksums", "off", "bool", "Shows whether data checksums are turned on for "
         "this cluster.", context="internal"),
    _Guc("DateStyle", "ISO, MDY", "string", "Sets the display format for date and time "
         "values.", report=True, list_input=True),
    _Guc("default_table_access_method", "heap", "string", "Sets the default table access "
         "method for new tables."),
    _Guc("default_tablespace", "", "string", "Sets the default tablespace to create tables "
         "and indexes in."),
    _Guc("default_text_search_config", "pg_catalog.english", "string", "Sets default text "
         "search configuration."),
    _Guc("default_transaction_deferrable", "off", "bool", "Sets the default deferrable status "
         "of new transactions."),
    _Guc("default_transaction_isolation", "read committed", "enum", "Sets the transaction "
         "isolation level of each new transaction.", choices=_ISOLATION),
    _Guc("default_transaction_read_only", "off", "bool", "Sets the default read-only status "
         "of new transactions.", report=True),
    _Guc("effective_cache_size", "524288", "int", "Sets the planner's assumption about the "
         "total size of the data caches.", unit="8kB", minimum=1),
    _Guc("enable_hashjoin", "on", "bool", "Enables the planner's use of hash join plans."),
    _Guc("enable_indexscan", "on", "bool", "Enables the planner's use of index-scan plans."),
    _Guc("enable_mergejoin", "on", "bool", "Enables the planner's use of merge join plans."),
    _Guc("enable_nestloop", "on", "bool", "Enables the planner's use of nested-loop join "
         "plans."),
    _Guc("enable_partition_pruning", "on", "bool", "Enables plan-time and execution-time "
         "partition pruning."),
    _Guc("enable_seqscan", "on", "bool", "Enables the planner's use of sequential-scan "
         "plans."),
    _Guc("enable_sort", "on", "bool", "Enables the planner's use of explicit sort steps."),
    _Guc("escape_string_warning", "on", "bool", "Warn about backslash escapes in ordinary "
         "string literals."),
    _Guc("extra_float_digits", "1", "int", "Sets the number of digits displayed for "
         "floating-point values.", minimum=-15, maximum=3),
    _Guc("from_collapse_limit", "8", "int", "Sets the FROM-list size beyond which subqueries "
         "are not collapsed.", minimum=1),
    _Guc("geqo", "on", "bool", "Enables genetic query optimization."),
    _Guc("idle_in_transaction_session_timeout", "0", "int", "Sets the maximum allowed idle "
         "time between queries, when in a transaction.", unit="ms"),
    _Guc("idle_session_timeout", "0", "int", "Sets the maximum allowed idle time between "
         "queries, when not in a transaction.", unit="ms"),
    _Guc("in_hot_standby", "off", "bool", "Shows whether hot standby is currently active.",
         context="internal", report=True),
    _Guc("integer_datetimes", "on", "bool", "Shows whether datetimes are integer based.",
         context="internal", report=True),
    _Guc("IntervalStyle", "postgres", "enum", "Sets the display format for interval values.",
         choices=("postgres", "postgres_verbose", "sql_standard", "iso_8601"), report=True),
    _Guc("is_superuser", "on", "bool", "Shows whether the current user is a superuser.",
         context="internal", report=True, hidden=True),
    _Guc("jit", "on", "bool", "Allow JIT compilation."),
    _Guc("join_collapse_limit", "8", "int", "Sets the FROM-list size beyond which JOIN "
         "constructs are not flattened.", minimum=1),
    _Guc("lc_collate", "C.UTF-8", "string", "Shows the collation order locale.",
         context="internal"),
    _Guc("lc_ctype", "C.UTF-8", "string", "Shows the character classification and case "
         "conversion locale.", context="internal"),
    _Guc("lc_messages", "C.UTF-8", "string", "Sets the language in which messages are "
         "displayed.", context="superuser"),
    _Guc("lc_monetary", "C.UTF-8", "string", "Sets the locale for formatting monetary "
         "amounts."),
    _Guc("lc_numeric", "C.UTF-8", "string", "Sets the locale for formatting numbers."),
    _Guc("lc_time", "C.UTF-8", "string", "Sets the locale for formatting date and time "
         "values."),
    _Guc("lock_timeout", "0", "int", "Sets the maximum allowed duration of any wait for a "
         "lock.", unit="ms"),
    _Guc("log_statement", "none", "enum", "Sets the type of statements logged.",
         context="superuser", choices=("none", "ddl", "mod", "all")),
    _Guc("maintenance_work_mem", "65536", "int", "Sets the maximum memory to be used for "
         "maintenance operations.", unit="kB", minimum=1024),
    _Guc("max_connections", "100", "int", "Sets the maximum number of concurrent "
         "connections.", context="postmaster", minimum=1, maximum=262143),
    _Guc("max_function_args", "100", "int", "Shows the maximum number of function "
         "arguments.", context="internal"),
    _Guc("max_identifier_length", "63", "int", "Shows the maximum identifier length.",
         context="internal"),
    _Guc("max_index_keys", "32", "int", "Shows the maximum number of index keys.",
         context="internal"),
    _Guc("max_parallel_workers_per_gather", "2", "int", "Sets the maximum number of parallel "
         "processes per executor node.", maximum=1024),
    _Guc("max_stack_depth", "2048", "int", "Sets the maximum stack depth, in kilobytes.",
         context="superuser", unit="kB", minimum=100),
    _Guc("password_encryption", "scram-sha-256", "enum", "Chooses the algorithm for "
         "encrypting passwords.", choices=("md5", "scram-sha-256")),
    _Guc("plan_cache_mode", "auto", "enum", "Controls the planner's selection of custom or "
         "generic plan.", choices=("auto", "force_generic_plan", "force_custom_plan")),
    _Guc("quote_all_identifiers", "off", "bool", "When generating SQL fragments, quote all "
         "identifiers."),
    _Guc("random_page_cost", "4", "real", "Sets the planner's estimate of the cost of a "
         "nonsequentially fetched disk page.", maximum=1.79769e308),
    _Guc("restrict_nonsystem_relation_kind", "", "string", "Prohibits access to non-system "
         "relations of specified kinds.", list_input=True),
    _Guc("role", "none", "string", "Sets the current role.", hidden=True),
    _Guc("row_security", "on", "bool", "Enable row security."),
    _Guc("search_path", '"$user", public', "string", "Sets the schema search order for names "
         "that are not schema-qualified.", list_input=True, list_quote=True),
    _Guc("seq_page_cost", "1", "real", "Sets the planner's estimate of the cost of a "
         "sequentially fetched disk page.", maximum=1.79769e308),
    _Guc("server_encoding", "UTF8", "string", "Shows the server (database) character set "
         "encoding.", context="internal", report=True),
    _Guc("server_version", "15.18", "string", "Shows the server version.",
         context="internal", report=True),
    _Guc("server_version_num", "150018", "int", "Shows the server version as an integer.",
         context="internal"),
    _Guc("session_authorization", "postgres", "string", "Sets the session user name.",
         context="superuser", report=True, hidden=True),
    _Guc("session_replication_role", "origin", "enum", "Sets the session's behavior for "
         "triggers and rewrite rules.", context="superuser",
         choices=("origin", "replica", "local")),
    _Guc("shared_buffers", "16384", "int", "Sets the number of shared memory buffers used by "
         "the server.", context="postmaster", unit="8kB", minimum=16, maximum=1073741823),
    _Guc("ssl", "off", "bool", "Enables SSL connections.", context="sighup"),
    _Guc("standard_conforming_strings", "on", "bool", "Causes '...' strings to treat "
         "backslashes literally.", report=True),
    _Guc("statement_timeout", "0", "int", "Sets the maximum allowed duration of any "
         "statement.", unit="ms"),
    _Guc("synchronize_seqscans", "on", "bool", "Enable synchronized sequential scans."),
    _Guc("synchronous_commit", "on", "enum", "Sets the current transaction's synchronization "
         "level.", choices=("local", "remote_write", "remote_apply", "on", "off")),
    _Guc("temp_buffers", "1024", "int", "Sets the maximum number of temporary buffers used by "
         "each session.", unit="8kB", minimum=100, maximum=1073741823),
    _Guc("temp_tablespaces", "", "string", "Sets the tablespace(s) to use for temporary "
         "tables and sort files.", list_input=True, list_quote=True),
    _Guc("TimeZone", "UTC", "string", "Sets the time zone for displaying and interpreting "
         "time stamps.", report=True),
    _Guc("timezone_abbreviations", "Default", "string", "Selects a file of time zone "
         "abbreviations."),
    _Guc("transaction_deferrable", "off", "bool", "Whether to defer a read-only serializable "
         "transaction until it can be executed with no possible serialization failures.",
         follows="default_transaction_deferrable"),
    _Guc("transaction_isolation", "read committed", "enum", "Sets the current transaction's "
         "isolation level.", choices=_ISOLATION, follows="default_transaction_isolation"),
    _Guc("transaction_read_only", "off", "bool", "Sets the current transaction's read-only "
         "status.", follows="default_transaction_read_only"),
    _Guc("transform_null_equals", "off", "bool", "Treats \"expr=NULL\" as \"expr IS NULL\"."),
    _Guc("work_mem", "4096", "int", "Sets the maximum memory to be used for query "
         "workspaces.", unit="kB", minimum=64),
    _Guc("xmloption", "content", "enum", "Sets whether XML data in implicit parsing and "
         "serialization operations is to be considered as documents or content fragments.",
         choices=("content", "document")),
)  # fmt: skip

_BY_KEY: Final[dict[str, _Guc]] = {guc.name.lower(): guc for guc in _GUCS}

#: Settings whose changes PostgreSQL 15 reports with ParameterStatus (GUC_REPORT), in the
#: order it sends them after authentication.
REPORTED: Final[tuple[str, ...]] = tuple(
    sorted((guc.name for guc in _GUCS if guc.report), key=str.lower)
)

_TIME_UNITS: Final = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000,
                      "d": 86_400_000}  # fmt: skip
_MEMORY_UNITS: Final = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3}
_TIME_OUTPUT: Final = (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000),
                       ("ms", 1))  # fmt: skip
_MEMORY_OUTPUT: Final = (("TB", 1024**3), ("GB", 1024**2), ("MB", 1024), ("kB", 1))
_NUMBER_WITH_UNIT: Final = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*")
_CUSTOM_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)+")
_SAFE_IDENTIFIER: Final = re.compile(r"[a-z_][a-z0-9_$]*")


def server_version_num(version: str) -> str:
    """``server_version_num`` for a ``server_version`` such as ``15.18`` (-> ``150018``)."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    if match is None:
        return "150018"
    major, minor = int(match[1]), int(match[2] or 0)
    return str(major * 10000 + minor) if major >= 10 else str(major * 10000 + minor * 100)


def quote_identifier(name: str) -> str:
    """Double-quote ``name`` unless it is a plain lower-case identifier (``quote_ident``)."""
    if _SAFE_IDENTIFIER.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _invalid(guc_name: str, value: str, hint: str | None = None) -> PostgresError:
    return PostgresError(f'invalid value for parameter "{guc_name}": "{value}"', "22023", hint=hint)


def _parse_bool(guc: _Guc, value: str) -> str:
    text = value.strip().lower()
    if text in ("1", "0"):
        return "on" if text == "1" else "off"
    if text in ("on", "off"):
        return text
    for word, result in (("true", "on"), ("false", "off"), ("yes", "on"), ("no", "off")):
        if text and word.startswith(text):
            return result
    raise PostgresError(f'parameter "{guc.name}" requires a Boolean value', "22023")


def _format_number(value: float) -> str:
    return f"{value:g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))


def _parse_int(guc: _Guc, value: str) -> str:
    match = _NUMBER_WITH_UNIT.fullmatch(value)
    if match is None:
        raise _invalid(guc.name, value)
    number_text, unit = match.groups()
    try:
        number = float(number_text) if not number_text.lstrip("+-").isdigit() else int(number_text)
    except ValueError:
        raise _invalid(guc.name, value) from None
    if unit:
        if not guc.unit:
            raise _invalid(guc.name, value)
        units = _TIME_UNITS if guc.unit in ("ms", "s") else _MEMORY_UNITS
        if unit not in units:
            valid = ", ".join(f'"{name}"' for name in units)
            raise _invalid(guc.name, value, f"Valid units for this parameter are {valid}.")
        base = {"ms": 1, "s": 1000, "kB": 1, "8kB": 8}[guc.unit]
        number = number * units[unit] / base
    result = round(number)
    if not guc.minimum <= result <= guc.maximum:
        unit_text = f" {guc.unit}" if guc.unit else ""
        raise PostgresError(
            f"{result}{unit_text} is outside the valid range for parameter "
            f'"{guc.name}" ({int(guc.minimum)} .. {int(guc.maximum)})',
            "22023",
        )
    return str(result)


def _show_int(guc: _Guc, stored: str) -> str:
    """PostgreSQL prints sized and timed settings in the largest unit that divides exactly."""
    value = int(stored)
    if not guc.unit or value <= 0:
        return stored
    table: tuple[tuple[str, int], ...]
    if guc.unit in ("ms", "s"):
        value *= 1000 if guc.unit == "s" else 1
        table = _TIME_OUTPUT
    else:
        value *= 8 if guc.unit == "8kB" else 1
        table = _MEMORY_OUTPUT
    for name, size in table:
        if value % size == 0:
            return f"{value // size}{name}"
    return stored  # unreachable: the smallest unit always divides


def _parse_real(guc: _Guc, value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        raise _invalid(guc.name, value) from None
    if not guc.minimum <= number <= guc.maximum:
        raise PostgresError(
            f"{_format_number(number)} is outside the valid range for parameter "
            f'"{guc.name}" ({_format_number(guc.minimum)} .. {_format_number(guc.maximum)})',
            "22023",
        )
    return _format_number(number)


def _parse_enum(guc: _Guc, value: str) -> str:
    text = value.strip().lower()
    if text in guc.choices:
        return text
    if guc.name == "synchronous_commit" or guc.name == "constraint_exclusion":
        try:
            return _parse_bool(guc, value)
        except PostgresError:
            pass
    raise _invalid(guc.name, value, f"Available values: {', '.join(guc.choices)}.")


_DATE_STYLES: Final = {"iso": "ISO", "sql": "SQL", "postgres": "Postgres", "german": "German"}
_DATE_ORDERS: Final = {
    "ymd": "YMD",
    "dmy": "DMY",
    "euro": "DMY",
    "european": "DMY",
    "mdy": "MDY",
    "us": "MDY",
    "noneuro": "MDY",
    "noneuropean": "MDY",
}


def _parse_datestyle(value: str, current: str) -> str:
    style, order = (part.strip() for part in current.split(","))
    have_style = have_order = False
    for word in re.split(r"[\s,]+", value.strip()):
        key = word.lower()
        if not key:
            continue
        if key in _DATE_STYLES:
            if have_style and style != _DATE_STYLES[key]:
                raise _conflicting_datestyle(value)
            style, have_style = _DATE_STYLES[key], True
        elif key in _DATE_ORDERS:
            if have_order and order != _DATE_ORDERS[key]:
                raise _conflicting_datestyle(value)
            order, have_order = _DATE_ORDERS[key], True
        elif key == "default":
            style, order = "ISO", "MDY"
        else:
            error = _invalid("DateStyle", value)
            error.detail = f'Unrecognized key word: "{word}".'
            raise error
    if style == "German" and not have_order:
        order = "DMY"
    return f"{style}, {order}"


def _conflicting_datestyle(value: str) -> PostgresError:
    error = _invalid("DateStyle", value)
    error.detail = 'Conflicting "datestyle" specifications.'
    return error


@cache
def _zone_names() -> dict[str, str]:
    names = {name.lower(): name for name in zoneinfo.available_timezones()}
    names.setdefault("utc", "UTC")
    return names


def offset_zone_name(hours_east: float) -> str:
    """The POSIX-style name PostgreSQL shows for a fixed offset (``<+05>-05`` is UTC+5)."""
    seconds = round(hours_east * 3600)
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}" + (f":{minutes:02d}" if minutes or secs else "")
    clock += f":{secs:02d}" if secs else ""
    sign, posix_sign = ("+", "-") if seconds >= 0 else ("-", "+")
    return f"<{sign}{clock}>{posix_sign}{clock}"


_POSIX_OFFSET: Final = re.compile(r"[+-]?\d{1,2}(?::\d\d){0,2}")


def _parse_timezone(value: str) -> str:
    text = value.strip()
    try:
        hours = float(text)
    except ValueError:
        pass
    else:
        if abs(hours) > 15 * 24:
            raise _invalid("TimeZone", value)
        return offset_zone_name(hours)
    if _POSIX_OFFSET.fullmatch(text):
        return text  # a POSIX zone spec: kept as written, as PostgreSQL does
    name = _zone_names().get(text.lower())
    if name is None:
        raise _invalid("TimeZone", value)
    return name


def _parse_client_encoding(value: str) -> str:
    """Any encoding name PostgreSQL knows is accepted; the server always speaks UTF8."""
    if python_codec(value) is None:
        raise _invalid("client_encoding", value)
    return "UTF8"


def _parse_application_name(value: str) -> str:
    printable = "".join(char if " " <= char <= "~" else "?" for char in value)
    return printable.encode("utf-8")[:63].decode("utf-8", "ignore")


_STRING_CHECKS: Final[dict[str, Callable[[str], str]]] = {
    "timezone": _parse_timezone,
    "client_encoding": _parse_client_encoding,
    "application_name": _parse_application_name,
}


@cache
def session_tzinfo(value: str) -> tzinfo | None:
    """The ``tzinfo`` for a TimeZone setting, for timestamptz codecs (None if unknown)."""
    try:
        return resolve_timezone(value)
    except (ValueError, KeyError):
        pass
    if not _POSIX_OFFSET.fullmatch(value):
        return None
    sign = -1 if value.startswith("-") else 1
    parts = [int(part) for part in value.lstrip("+-").split(":")] + [0, 0]
    offset = timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
    return timezone(-sign * offset)  # POSIX counts hours west of Greenwich


def flatten_set_values(name: str, values: Sequence[str]) -> str:
    """The single string the arguments of a SET give a setting, as PostgreSQL builds it.

    Several arguments are only allowed for list settings (DateStyle, search_path ...); in
    search_path-like settings every element is quoted as an identifier when needed.
    """
    guc = _BY_KEY.get(name.lower())
    if len(values) > 1 and (guc is None or not guc.list_input):
        display = guc.name if guc is not None else name
        raise PostgresError(f"SET {display} takes only one argument", "22023")
    if guc is not None and guc.list_quote:
        return ", ".join(quote_identifier(value) for value in values)
    return ", ".join(values)


class Settings:
    """The settings of one session; see the module docstring.

    Values set with ``source="startup"`` (the startup packet and its ``options``) or
    ``"internal"`` (the server's configuration) become the values RESET returns to.  Custom
    ``prefix.name`` settings live alongside the known ones.
    """

    def __init__(self) -> None:
        self._reset: dict[str, str] = {key: guc.default for key, guc in _BY_KEY.items()}
        self._session: dict[str, str] = dict(self._reset)
        self._local: dict[str, str] = {}
        self._custom_names: dict[str, str] = {}
        self._snapshots: list[tuple[dict[str, str], dict[str, str]]] = []
        self._in_transaction = False
        #: Bumped by every change, so callers can tell cheaply whether anything changed.
        self.version = 0
        # What `get` answered since the last change (statements read a few settings each).
        self._answers: dict[str, str] = {}
        self._answers_version = 0

    # -- reading ---------------------------------------------------------------------------

    def canonical_name(self, name: str) -> str:
        """The spelling SHOW uses for ``name``; 42704 if no such setting exists."""
        key = name.lower()
        guc = _BY_KEY.get(key)
        if guc is not None:
            return guc.name
        if key in self._custom_names and key in self._session:
            return self._custom_names[key]
        raise PostgresError(f'unrecognized configuration parameter "{name}"', "42704")

    def get(self, name: str) -> str:
        """The value SHOW prints for ``name``; 42704 if no such setting exists."""
        if self._answers_version != self.version:
            self._answers = {}
            self._answers_version = self.version
        answer = self._answers.get(name)
        if answer is not None:
            return answer
        answer = self._answers[name] = self._get(name)
        return answer

    def _get(self, name: str) -> str:
        self.canonical_name(name)
        key = name.lower()
        guc = _BY_KEY.get(key)
        value = self._local.get(key)
        if value is None and guc is not None and guc.follows:
            value = self._effective(guc.follows)
        if value is None:
            value = self._session[key]
        if guc is not None and guc.kind == "int" and guc.unit:
            return _show_int(guc, value)
        return value

    def _effective(self, key: str) -> str:
        return self._local.get(key, self._session[key])

    def find(self, name: str) -> str | None:
        """Like `get`, but None for an unknown name."""
        try:
            return self.get(name)
        except PostgresError:
            return None

    def show_all(self) -> list[tuple[str, str, str]]:
        """(name, setting, description) of every visible setting, as SHOW ALL lists them."""
        return [
            (guc.name, self.get(guc.name), guc.description)
            for guc in sorted(_GUCS, key=lambda guc: guc.name.lower())
            if not guc.hidden
        ]

    def items(self) -> Iterable[tuple[str, str]]:
        """(canonical name, value) of every setting, custom ones included."""
        for guc in _GUCS:
            yield guc.name, self.get(guc.name)
        for key, name in self._custom_names.items():
            if key in self._session:
                yield name, self.get(key)

    def reported_values(self) -> dict[str, str]:
        """The current value of every GUC_REPORT setting, in PostgreSQL's startup order."""
        return {name: self.get(name) for name in REPORTED}

    # -- changing --------------------------------------------------------------------------

    def set(
        self,
        name: str,
        value: str | None,
        *,
        local: bool = False,
        source: str = "session",
    ) -> str:
        """Set ``name`` (None: its reset value) and return the stored value.

        ``source`` is ``session`` (SET, set_config), ``startup`` (changes the reset value too)
        or ``internal`` (the server itself, allowed for read-only settings).
        """
        self._remember()
        key = name.lower()
        guc = _BY_KEY.get(key)
        if guc is None:
            if not _CUSTOM_NAME.fullmatch(name):
                raise PostgresError(f'unrecognized configuration parameter "{name}"', "42704")
            self._custom_names.setdefault(key, name.lower())
            self._reset.setdefault(key, "")
            self._session.setdefault(key, "")
        elif source != "internal":
            self._check_changeable(guc, source)
        stored = self._reset[key] if value is None else self._validate(guc, name, value)
        if guc is not None and guc.follows:
            local = True  # transaction_* settings only ever apply to the current transaction
        if local:
            self._local[key] = stored
        else:
            self._session[key] = stored
            self._local.pop(key, None)
            if source in ("startup", "internal"):
                self._reset[key] = stored
        self.version += 1
        return stored

    def _check_changeable(self, guc: _Guc, source: str) -> None:
        if guc.context == "internal":
            raise PostgresError(f'parameter "{guc.name}" cannot be changed', "55P02")
        if guc.context == "postmaster":
            raise PostgresError(
                f'parameter "{guc.name}" cannot be changed without restarting the server',
                "55P02",
            )
        if guc.context == "sighup":
            raise PostgresError(f'parameter "{guc.name}" cannot be changed now', "55P02")

    def _validate(self, guc: _Guc | None, name: str, value: str) -> str:
        if guc is None:
            return value
        if guc.kind == "bool":
            return _parse_bool(guc, value)
        if guc.kind == "int":
            return _parse_int(guc, value)
        if guc.kind == "real":
            return _parse_real(guc, value)
        if guc.kind == "enum":
            return _parse_enum(guc, value)
        if guc.name == "DateStyle":
            return _parse_datestyle(value, self._effective("datestyle"))
        check = _STRING_CHECKS.get(guc.name.lower())
        return check(value) if check is not None else value

    def reset(self, name: str) -> None:
        """RESET ``name``: back to the session's starting value."""
        self.set(name, None)

    def reset_all(self) -> None:
        """RESET ALL: every user-settable setting back to its starting value."""
        self._remember()
        for key, guc in _BY_KEY.items():
            if guc.context in ("user", "superuser") and not guc.follows:
                self._session[key] = self._reset[key]
                self._local.pop(key, None)
        for key in self._custom_names:
            self._session[key] = self._reset[key]
            self._local.pop(key, None)
        self.version += 1

    # -- transactions ----------------------------------------------------------------------

    def begin(self) -> None:
        """A transaction starts: remember the values a ROLLBACK returns to.

        Beginning again inside a transaction changes nothing (an explicit BEGIN after
        statements of an implicit transaction makes them part of the block, as in PostgreSQL).
        """
        # The values are copied only when the transaction first changes one (`_remember`):
        # most transactions (every statement outside a block is one) never do.
        self._in_transaction = True

    def _remember(self) -> None:
        """Copy the values a ROLLBACK returns to, if this transaction has not yet."""
        if self._in_transaction and not self._snapshots:
            self._snapshots = [(dict(self._session), dict(self._local))]

    def savepoint(self) -> int:
        """Remember the values for a ROLLBACK TO; returns the savepoint's level."""
        self._remember()
        self._snapshots.append((dict(self._session), dict(self._local)))
        return len(self._snapshots) - 1

    def rollback_to(self, level: int) -> None:
        """ROLLBACK TO the savepoint at ``level`` (which stays)."""
        session, local = self._snapshots[level]
        self._session, self._local = dict(session), dict(local)
        del self._snapshots[level + 1 :]
        self.version += 1

    def release(self, level: int) -> None:
        """RELEASE the savepoint at ``level`` and every later one; the values stay."""
        del self._snapshots[level:]

    def commit(self) -> None:
        """End of a transaction that keeps its SETs; SET LOCAL values end."""
        if self._local:
            self._local.clear()
            self.version += 1
        self._snapshots.clear()
        self._in_transaction = False

    def rollback(self) -> None:
        """End of a transaction that is undone, SETs included."""
        if self._snapshots or self._local:
            if self._snapshots:
                self._session = dict(self._snapshots[0][0])
            self.version += 1
        self._local.clear()
        self._snapshots.clear()
        self._in_transaction = False
