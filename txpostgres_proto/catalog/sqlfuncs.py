"""PostgreSQL functions and aggregates as SQLite user functions.

The compiler (``compiler.py``) turns a call of PostgreSQL function ``f`` into a call of the
SQLite function ``pgf_f`` registered here (or of a native SQLite function with the same
meaning, see ``functions.py``).  Values arrive as SQLite stores them (see ``store.py``):
integers, text, JSON array text; NULL is ``None``.  Functions are strict like their PostgreSQL
counterparts (NULL in, NULL out) unless PostgreSQL says otherwise.

Session-dependent functions (``current_user``, ``current_setting``, ``set_config``,
``pg_backend_pid``, visibility along ``search_path``) read the :class:`FunctionContext`, which
the engine points at the session running the current query.  An error a function raises on
purpose (``'nope'::regclass``) is a :class:`PostgresError`; SQLite only lets a user function
fail with a generic message, so the context keeps the real error for the engine to re-raise.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
import sqlite3
from collections.abc import Callable
from typing import Any, Final

from txpostgres_proto.catalog.arrays import format_array_literal, from_storage, to_storage
from txpostgres_proto.catalog.directory import Directory
from txpostgres_proto.catalog.session import SessionInfo, parse_search_path
from txpostgres_proto.protocol.errors import PostgresError

_ENCODINGS: Final = {0: "SQL_ASCII", 6: "UTF8", 8: "LATIN1"}
_RELATION_KINDS: Final = {
    "r": "table", "p": "table", "v": "view", "m": "materialized view", "i": "index",
    "I": "index", "S": "sequence", "f": "foreign table", "c": "composite type",
}  # fmt: skip
_POSIX_CLASSES: Final = {
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:alnum:]": "a-zA-Z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:space:]": r"\s",
    "[:punct:]": r"!-/:-@\[-`{-~",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:word:]": r"\w",
}


class FunctionContext:
    """What the functions know about the server and the session running the query."""

    def __init__(self, directory: Directory, server_version: str, start_time: datetime.datetime):
        self.directory = directory
        self.server_version = server_version
        self.start_time = start_time
        self.session: SessionInfo | None = None
        self.error: PostgresError | None = None
        self.query_time = start_time
        self._path: list[int] | None = None

    def begin(self, session: SessionInfo) -> None:
        """Point at ``session`` for the next statement."""
        self.session = session
        self.error = None
        self._path = None
        self.query_time = datetime.datetime.now(datetime.UTC)

    def fail(self, error: PostgresError) -> PostgresError:
        self.error = error
        return error

    def setting(self, name: str) -> str | None:
        """The session's value, else PostgreSQL 15's built-in one, else None."""
        key = name.lower()
        if self.session is not None:
            value = self.session.get_setting(key)
            if value is not None:
                return value
        if key == "server_version":
            return self.server_version
        if key == "server_version_num":
            major, _, minor = self.server_version.partition(".")
            return f"{int(major):d}{int(minor or 0):04d}"
        show = self.directory.builtin.show
        for candidate, value in show.items():
            if candidate.lower() == key:
                return value
        return None

    @property
    def user(self) -> str:
        return self.session.user if self.session is not None else self.directory.owner

    def search_path(self) -> list[int]:
        if self._path is None:
            path = parse_search_path(self.setting("search_path") or "public")
            self._path = self.directory.effective_path(path, self.user)
        return self._path


def strict(function: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in any argument gives NULL, like a STRICT PostgreSQL function."""

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        if any(arg is None for arg in args):
            return None
        return function(*args)

    return wrapper


def _int(value: Any) -> int:
    return int(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("t", "true", "1", "y", "yes", "on")
    return bool(value)


@functools.lru_cache(maxsize=256)
def posix_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """Compile a PostgreSQL (POSIX ARE) regular expression with Python's ``re``."""
    for posix, python in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, python)
    pattern = pattern.replace(r"\m", r"\b").replace(r"\M", r"\b").replace(r"\y", r"\b")
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


class SqlFunctions:
    """The ``pgf_*`` scalar functions; each method named ``pgf_x`` is registered as such."""

    def __init__(self, context: FunctionContext):
        self.ctx = context

    @property
    def _dir(self) -> Directory:
        return self.ctx.directory

    # -- session and server ------------------------------------------------------------

    def pgf_version(self) -> str:
        return (
            f"PostgreSQL {self.ctx.server_version} on x86_64-pc-linux-gnu, compiled by gcc "
            "(Debian 12.2.0-14) 12.2.0, 64-bit"
        )

    def pgf_current_user(self) -> str:
        return self.ctx.user

    def pgf_current_database(self) -> str:
        session = self.ctx.session
        return session.database if session is not None else "postgres"

    def pgf_current_schema(self) -> str | None:
        schemas = self._schemas(False)
        return schemas[0] if schemas else None

    def _schemas(self, implicit: bool) -> list[str]:
        path = self.ctx.search_path()
        names = [self._dir.namespaces[oid] for oid in path]
        explicit = parse_search_path(self.ctx.setting("search_path") or "")
        if not implicit and "pg_catalog" not in explicit and names[:1] == ["pg_catalog"]:
            names = names[1:]
        return names

    def pgf_current_schemas(self, implicit: Any) -> str | None:
        if implicit is None:
            return None
        return to_storage(self._schemas(_bool(implicit)))

    def pgf_backend_pid(self) -> int:
        session = self.ctx.session
        return session.backend_pid if session is not None else 0

    def pgf_current_setting(self, name: Any, missing_ok: Any = False) -> str | None:
        if name is None:
            return None
        value = self.ctx.setting(str(name))
        if value is None and not _bool(missing_ok):
            raise self.ctx.fail(
                PostgresError(f'unrecognized configuration parameter "{name}"', "42704")
            )
        return value

    def pgf_set_config(self, name: Any, value: Any, is_local: Any) -> str | None:
        if name is None:
            raise self.ctx.fail(PostgresError("SET requires parameter name", "22023"))
        text = "" if value is None else str(value)
        if self.ctx.session is not None:
            self.ctx.session.set_setting(str(name).lower(), text, _bool(is_local))
        self.ctx._path = None
        return text

    def pgf_now(self) -> str:
        return self.ctx.query_time.isoformat(sep=" ")

    def pgf_postmaster_start_time(self) -> str:
        return self.ctx.start_time.isoformat(sep=" ")

    # -- visibility and names ----------------------------------------------------------

    @strict
    def pgf_table_is_visible(self, oid: Any) -> bool:
        return self._dir.relation_visible(_int(oid), self.ctx.search_path())

    @strict
    def pgf_type_is_visible(self, oid: Any) -> bool:
        return self._dir.type_visible(_int(oid), self.ctx.search_path())

    @strict
    def pgf_function_is_visible(self, oid: Any) -> bool:
        return self._dir.function_visible(_int(oid), self.ctx.search_path())

    @strict
    def pgf_get_userbyid(self, oid: Any) -> str:
        return self._dir.role_name(_int(oid))

    def pgf_format_type(self, oid: Any, typmod: Any) -> str | None:
        """format_type is not strict in its typmod: NULL means "no modifier"."""
        if oid is None:
            return None
        mod = None if typmod is None else _int(typmod)
        return self._dir.format_type(_int(oid), mod, self.ctx.search_path())

    def _lookup(self, kind: str, text: Any) -> int:
        try:
            return reg_lookup(self._dir, self.ctx.search_path(), kind, str(text))
        except PostgresError as error:
            raise self.ctx.fail(error) from None

    def pgf_reg_in(self, kind: Any, value: Any) -> int | None:
        """``'text'::regclass`` and friends: an OID from a name (or a numeric string)."""
        if value is None:
            return None
        if isinstance(value, int):
            return value
        return self._lookup(str(kind), value)

    def pgf_to_reg(self, kind: Any, value: Any) -> int | None:
        """``to_regclass('name')``: like the cast, but NULL when nothing matches."""
        if value is None:
            return None
        try:
            return self._lookup(str(kind), value)
        except PostgresError:
            self.ctx.error = None
            return None

    def pgf_reg_out(self, kind: Any, oid: Any) -> str | None:
        """``oid::regclass::text``: the object's name (schema-qualified if not visible)."""
        if oid is None:
            return None
        return reg_name(self._dir, self.ctx.search_path(), str(kind), _int(oid))

    # -- descriptions and definitions --------------------------------------------------

    @strict
    def pgf_obj_description(self, oid: Any, catalog: Any = "pg_class") -> str | None:
        return self._dir.description(_int(oid), str(catalog))

    @strict
    def pgf_col_description(self, relid: Any, attnum: Any) -> str | None:
        return self._dir.description(_int(relid), "pg_class", _int(attnum))

    @strict
    def pgf_shobj_description(self, oid: Any, catalog: Any) -> str | None:
        key = (_int(oid), 1262 if str(catalog).endswith("pg_database") else 0)
        return self._dir.shared_descriptions.get(key)

    def pgf_get_expr(self, node: Any, relid: Any = None, pretty: Any = None) -> str | None:
        return None if node is None else str(node)

    @strict
    def pgf_get_indexdef(self, oid: Any, column: Any = 0, pretty: Any = False) -> str | None:
        return self._dir.index_definition(_int(oid), _int(column))

    @strict
    def pgf_get_constraintdef(self, oid: Any, pretty: Any = False) -> str | None:
        return self._dir.constraint_definition(_int(oid))

    @strict
    def pgf_get_viewdef(self, view: Any, pretty: Any = False) -> str | None:
        oid = view if isinstance(view, int) else self._lookup("regclass", view)
        app = self._dir.app_relations.get(_int(oid))
        return app.definition if app is not None else None

    def _function_text(self, oid: Any, index: int) -> str | None:
        texts = self._dir.function_texts(_int(oid)) if oid is not None else None
        return texts[index] if texts is not None else None

    def pgf_get_function_result(self, oid: Any) -> str | None:
        return self._function_text(oid, 0)

    def pgf_get_function_arguments(self, oid: Any) -> str | None:
        return self._function_text(oid, 1)

    def pgf_get_function_identity_arguments(self, oid: Any) -> str | None:
        return self._function_text(oid, 2)

    @strict
    def pgf_describe_object(self, classid: Any, objid: Any, objsubid: Any) -> str | None:
        """``pg_describe_object``: "table items", "column id of table items", "type int4"."""
        directory, path = self._dir, self.ctx.search_path()
        catalog, oid = _int(classid), _int(objid)
        if catalog == 1259 and oid in directory.relations:
            kind = _RELATION_KINDS.get(directory.relations[oid].kind, "relation")
            text = f"{kind} {directory.relation_name(oid, path)}"
            column = dict(directory.attributes.get(oid, ())).get(_int(objsubid))
            return f"column {column} of {text}" if column else text
        if catalog == 1247 and oid in directory.types:
            return f"type {directory.type_name(oid, path)}"
        if catalog == 1255:
            texts = directory.function_texts(oid)
            name = directory.function_name(oid, path)
            return f"function {name}({texts[2] if texts else ''})"
        if catalog == 2615 and oid in directory.namespaces:
            return f"schema {directory.namespaces[oid]}"
        return None

    @strict
    def pgf_get_serial_sequence(self, table: Any, column: Any) -> str | None:
        relid = self._lookup("regclass", table)
        oid = self._dir.serial_sequences.get((relid, str(column)))
        if oid is None:
            return None
        rel = self._dir.relations[oid]
        schema = self._dir.namespaces[rel.namespace]
        return f"{self._dir.quote_ident(schema)}.{self._dir.quote_ident(rel.name)}"

    @strict
    def pgf_relation_is_publishable(self, oid: Any) -> bool:
        rel = self._dir.relations.get(_int(oid))
        return rel is not None and rel.kind in ("r", "p") and _int(oid) >= 16384

    @strict
    def pgf_encoding_to_char(self, encoding: Any) -> str:
        return _ENCODINGS.get(_int(encoding), "")

    @strict
    def pgf_char_to_encoding(self, name: Any) -> int:
        for number, encoding in _ENCODINGS.items():
            if encoding == str(name).upper():
                return number
        return -1

    @strict
    def pgf_quote_ident(self, name: Any) -> str:
        return self._dir.quote_ident(str(name))

    @strict
    def pgf_quote_literal(self, value: Any) -> str:
        text = str(value)
        quoted = "'" + text.replace("'", "''").replace("\\", "\\\\") + "'"
        return ("E" + quoted) if "\\" in text else quoted

    def pgf_quote_nullable(self, value: Any) -> str:
        return "NULL" if value is None else self.pgf_quote_literal(value)

    @strict
    def pgf_size_pretty(self, size: Any) -> str:
        value = _int(size)
        for unit in ("bytes", "kB", "MB", "GB", "TB"):
            if abs(value) < 10240 or unit == "TB":
                return f"{value} {unit}"
            value = (value + 512) // 1024
        return f"{value} PB"

    # -- strings and regular expressions -----------------------------------------------

    @strict
    def pgf_regex(self, text: Any, pattern: Any, ignore_case: Any) -> bool:
        return posix_regex(str(pattern), bool(ignore_case)).search(str(text)) is not None

    @strict
    def pgf_regexp_replace(self, text: Any, pattern: Any, replacement: Any, flags: Any = "") -> str:
        regex = posix_regex(str(pattern), "i" in str(flags))
        python_replacement = re.sub(r"\\(\d)", r"\\g<\1>", str(replacement))
        count = 0 if "g" in str(flags) else 1
        return regex.sub(python_replacement, str(text), count=count)

    @strict
    def pgf_ilike(self, text: Any, pattern: Any) -> bool:
        regex = ""
        chars = iter(str(pattern))
        for char in chars:
            if char == "\\":
                regex += re.escape(next(chars, ""))
            elif char == "%":
                regex += ".*"
            elif char == "_":
                regex += "."
            else:
                regex += re.escape(char)
        return re.fullmatch(regex, str(text), re.IGNORECASE | re.DOTALL) is not None

    @strict
    def pgf_split_part(self, text: Any, delimiter: Any, field: Any) -> str:
        parts = str(text).split(str(delimiter)) if delimiter else [str(text)]
        index = _int(field)
        if index < 0:
            index = len(parts) + index + 1
        return parts[index - 1] if 1 <= index <= len(parts) else ""

    @strict
    def pgf_left(self, text: Any, count: Any) -> str:
        n = _int(count)
        return str(text)[:n] if n >= 0 else str(text)[:n]

    @strict
    def pgf_right(self, text: Any, count: Any) -> str:
        n = _int(count)
        value = str(text)
        return (value[-n:] if n > 0 else "") if n >= 0 else value[-n:]

    @strict
    def pgf_strpos(self, text: Any, needle: Any) -> int:
        return str(text).find(str(needle)) + 1

    @strict
    def pgf_starts_with(self, text: Any, prefix: Any) -> bool:
        return str(text).startswith(str(prefix))

    @strict
    def pgf_repeat(self, text: Any, count: Any) -> str:
        return str(text) * max(_int(count), 0)

    @strict
    def pgf_lpad(self, text: Any, length: Any, fill: Any = " ") -> str:
        value, n = str(text), _int(length)
        if len(value) >= n or not fill:
            return value[:n]
        padding = (str(fill) * n)[: n - len(value)]
        return padding + value

    @strict
    def pgf_rpad(self, text: Any, length: Any, fill: Any = " ") -> str:
        value, n = str(text), _int(length)
        if len(value) >= n or not fill:
            return value[:n]
        return value + (str(fill) * n)[: n - len(value)]

    @strict
    def pgf_initcap(self, text: Any) -> str:
        return re.sub(r"[A-Za-z0-9]+", lambda m: m.group(0).capitalize(), str(text))

    @strict
    def pgf_md5(self, text: Any) -> str:
        import hashlib

        return hashlib.md5(str(text).encode()).hexdigest()

    def pgf_concat(self, *values: Any) -> str:
        return "".join(_text(value) for value in values if value is not None)

    def pgf_concat_ws(self, separator: Any, *values: Any) -> str | None:
        if separator is None:
            return None
        return str(separator).join(_text(value) for value in values if value is not None)

    def pgf_format(self, template: Any, *args: Any) -> str | None:
        if template is None:
            return None
        values = iter(args)

        def substitute(match: re.Match[str]) -> str:
            kind = match.group(1)
            if kind == "%":
                return "%"
            value = next(values, None)
            if kind == "I":
                return self._dir.quote_ident(_text(value))
            if kind == "L":
                return self.pgf_quote_nullable(value)
            return "" if value is None else _text(value)

        return re.sub(r"%([sIL%])", substitute, str(template))

    # -- numbers -----------------------------------------------------------------------

    def pgf_greatest(self, *values: Any) -> Any:
        present = [value for value in values if value is not None]
        return max(present) if present else None

    def pgf_least(self, *values: Any) -> Any:
        present = [value for value in values if value is not None]
        return min(present) if present else None

    @strict
    def pgf_power(self, base: Any, exponent: Any) -> float:
        return float(math.pow(float(base), float(exponent)))

    @strict
    def pgf_extract(self, field: Any, value: Any) -> float | None:
        moment = datetime.datetime.fromisoformat(str(value))
        name = str(field).lower()
        if name == "epoch":
            return moment.timestamp()
        return float(getattr(moment, name, 0))

    # -- arrays ------------------------------------------------------------------------

    def pgf_array(self, *items: Any) -> str:
        return to_storage(list(items)) or "[]"

    def pgf_array_in(self, value: Any) -> str | None:
        """A PostgreSQL array literal (or already JSON) as the JSON storage form."""
        if value is None:
            return None
        text = str(value)
        if text.startswith("["):
            return text
        try:
            return to_storage(_typed_items(from_storage(text) or []))
        except ValueError as error:
            raise self.ctx.fail(PostgresError(str(error), "22P02")) from None

    def pgf_array_out(self, value: Any) -> str | None:
        items = from_storage(value)
        return None if items is None else format_array_literal(items)

    def pgf_array_get(self, value: Any, index: Any) -> Any:
        items = from_storage(value)
        if items is None or index is None:
            return None
        position = _int(index)
        if 1 <= position <= len(items):
            item = items[position - 1]
            return to_storage(item) if isinstance(item, list) else item
        return None

    def pgf_array_length(self, value: Any, dimension: Any = 1) -> int | None:
        items = from_storage(value)
        if not items or dimension is None or _int(dimension) != 1:
            return None
        return len(items)

    def pgf_array_lower(self, value: Any, dimension: Any = 1) -> int | None:
        items = from_storage(value)
        return 1 if items and dimension is not None and _int(dimension) == 1 else None

    def pgf_cardinality(self, value: Any) -> int | None:
        items = from_storage(value)
        return None if items is None else len(items)

    def pgf_array_ndims(self, value: Any) -> int | None:
        items = from_storage(value)
        return 1 if items else None

    def pgf_array_dims(self, value: Any) -> str | None:
        items = from_storage(value)
        return f"[1:{len(items)}]" if items else None

    def pgf_array_to_string(self, value: Any, separator: Any, null_text: Any = None) -> str | None:
        items = from_storage(value)
        if items is None or separator is None:
            return None
        parts = [
            _text(item) if item is not None else null_text
            for item in items
            if item is not None or null_text is not None
        ]
        return str(separator).join(str(part) for part in parts)

    def pgf_array_position(self, value: Any, element: Any) -> int | None:
        items = from_storage(value)
        if items is None:
            return None
        for position, item in enumerate(items, start=1):
            if item == element or (item is not None and str(item) == str(element)):
                return position
        return None

    def pgf_array_cat(self, left: Any, right: Any) -> str | None:
        """``||`` and array_cat/array_append/array_prepend on arrays (or an element)."""
        if left is None and right is None:
            return None
        left_items = _as_items(left)
        right_items = _as_items(right)
        return to_storage(left_items + right_items)

    def pgf_array_append(self, value: Any, element: Any) -> str:
        return to_storage((from_storage(value) or []) + [element]) or "[]"

    def pgf_array_prepend(self, element: Any, value: Any) -> str:
        return to_storage([element] + (from_storage(value) or [])) or "[]"

    def pgf_array_remove(self, value: Any, element: Any) -> str | None:
        items = from_storage(value)
        return None if items is None else to_storage([i for i in items if i != element])

    def pgf_string_to_array(self, text: Any, delimiter: Any, null_text: Any = None) -> str | None:
        if text is None:
            return None
        parts = list(str(text)) if delimiter is None else str(text).split(str(delimiter))
        if str(text) == "":
            parts = []
        return to_storage([None if part == null_text else part for part in parts])

    def pgf_array_contains(self, left: Any, right: Any) -> bool | None:
        left_items, right_items = from_storage(left), from_storage(right)
        if left_items is None or right_items is None:
            return None
        return all(item in left_items for item in right_items)

    def pgf_array_overlaps(self, left: Any, right: Any) -> bool | None:
        left_items, right_items = from_storage(left), from_storage(right)
        if left_items is None or right_items is None:
            return None
        return any(item in left_items for item in right_items)

    def pgf_series(self, start: Any, stop: Any, step: Any = 1) -> str:
        """generate_series as a JSON array (for ``json_each``)."""
        if start is None or stop is None or step is None:
            return "[]"
        first, last, increment = _int(start), _int(stop), _int(step)
        if increment == 0:
            raise self.ctx.fail(PostgresError("step size cannot equal zero", "22023"))
        values = range(first, last + (1 if increment > 0 else -1), increment)
        return to_storage(list(values)) or "[]"

    def pgf_options(self, value: Any) -> str:
        """pg_options_to_table: ``["k=v"]`` → ``[["k","v"]]``."""
        pairs = []
        for item in from_storage(value) or []:
            name, _, setting = str(item).partition("=")
            pairs.append([name, setting])
        return to_storage(pairs) or "[]"

    def pgf_record_out(self, value: Any) -> str | None:
        if value is None:
            return None
        record = json.loads(value)
        fields = record.values() if isinstance(record, dict) else record
        return "(" + ",".join("" if field is None else str(field) for field in fields) + ")"

    def pgf_bool_out(self, value: Any) -> str | None:
        return None if value is None else ("true" if _bool(value) else "false")

    def pgf_bool_in(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return int(bool(value))
        text = str(value).strip().lower()
        if text in ("t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"):
            return 1
        if text in ("f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"):
            return 0
        raise self.ctx.fail(
            PostgresError(f'invalid input syntax for type boolean: "{value}"', "22P02")
        )

    def pgf_int_in(self, value: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise self.ctx.fail(
                PostgresError(f'invalid input syntax for type integer: "{value}"', "22P02")
            ) from None

    def pgf_true(self, *args: Any) -> bool:
        """The privilege checks: the emulated catalog grants everything."""
        return True

    def pgf_false(self, *args: Any) -> bool:
        return False

    def pgf_zero(self, *args: Any) -> int:
        return 0

    def pgf_null(self, *args: Any) -> None:
        return None


def reg_lookup(directory: Directory, path: list[int], kind: str, text: str) -> int:
    """The OID a reg* type ``kind`` (``regclass``, ``regtype`` ...) reads from ``text``."""
    if kind == "regclass":
        return directory.lookup_relation(text, path)
    if kind == "regtype":
        return directory.lookup_type(text, path)
    if kind in ("regproc", "regprocedure"):
        return directory.lookup_function(text, path)
    if kind == "regnamespace":
        return directory.lookup_namespace(text)
    if kind == "regrole":
        return directory.lookup_role(text)
    return int(text)


def reg_name(directory: Directory, path: list[int], kind: str, oid: int) -> str:
    """The text form of ``oid`` as a value of reg* type ``kind`` (``regclass`` ...)."""
    if kind == "regclass":
        return directory.relation_name(oid, path)
    if kind == "regtype":
        return directory.type_name(oid, path)
    if kind in ("regproc", "regprocedure"):
        return directory.function_name(oid, path)
    if kind == "regnamespace":
        return directory.namespaces.get(oid, str(oid))
    if kind == "regrole":
        return directory.roles.get(oid, str(oid))
    return str(oid)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _typed_items(items: list[Any]) -> list[Any]:
    """Array literal elements: integers where every element is one, else text."""
    if all(item is None or re.fullmatch(r"-?\d+", item) for item in items):
        return [None if item is None else int(item) for item in items]
    return items


def _as_items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) and value.startswith("["):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, list) else [loaded]
    return [value]


class _OrderedAggregate:
    """Collects values with their ORDER BY keys and sorts them at the end.

    ``directions`` has one letter per ORDER BY key: ``a``/``d`` (ascending/descending), upper
    case when NULLs sort first.
    """

    def __init__(self) -> None:
        self.items: list[tuple[Any, tuple[Any, ...]]] = []
        self.directions = ""

    def add(self, value: Any, directions: Any, keys: tuple[Any, ...]) -> None:
        self.directions = str(directions or "")
        self.items.append((value, keys))

    def ordered(self) -> list[Any]:
        items = list(self.items)
        for position in reversed(range(len(self.directions))):
            flag = self.directions[position]
            present = [item for item in items if item[1][position] is not None]
            nulls = [item for item in items if item[1][position] is None]
            present.sort(key=lambda item: _sort_key(item[1][position]), reverse=flag in "dD")
            items = nulls + present if flag.isupper() else present + nulls
        return [value for value, _ in items]


class ArrayAgg(_OrderedAggregate):
    """``array_agg(x [ORDER BY ...])`` as ``pgf_array_agg(x, directions, keys...)``; NULL for
    no rows, like PostgreSQL."""

    empty: str | None = None

    def step(self, value: Any, directions: Any = "", *keys: Any) -> None:
        self.add(value, directions, keys)

    def finalize(self) -> str | None:
        if not self.items:
            return self.empty
        return to_storage(self.ordered())


class ArraySubquery(ArrayAgg):
    """``ARRAY(SELECT ...)``: like array_agg but an empty array for no rows."""

    empty = "[]"


class StringAgg(_OrderedAggregate):
    """``string_agg(x, sep [ORDER BY ...])`` as ``pgf_string_agg(x, sep, directions, keys...)``."""

    def __init__(self) -> None:
        super().__init__()
        self.separator = ""

    def step(self, value: Any, separator: Any = "", directions: Any = "", *keys: Any) -> None:
        if value is not None:
            self.separator = "" if separator is None else str(separator)
            self.add(value, directions, keys)

    def finalize(self) -> str | None:
        if not self.items:
            return None
        return self.separator.join(_text(value) for value in self.ordered())


class JsonAgg(ArrayAgg):
    """``json_agg(x [ORDER BY ...])``."""


class BoolAnd:
    def __init__(self) -> None:
        self.value: bool | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.value = _bool(value) if self.value is None else self.value and _bool(value)

    def finalize(self) -> int | None:
        return None if self.value is None else int(self.value)


class BoolOr(BoolAnd):
    def step(self, value: Any) -> None:
        if value is not None:
            self.value = _bool(value) if self.value is None else self.value or _bool(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


AGGREGATES: Final[dict[str, tuple[int, type]]] = {
    "pgf_array_agg": (-1, ArrayAgg),
    "pgf_array_agg1": (1, ArrayAgg),
    "pgf_array_sub": (1, ArraySubquery),
    "pgf_string_agg": (-1, StringAgg),
    "pgf_json_agg": (-1, JsonAgg),
    "pgf_bool_and": (1, BoolAnd),
    "pgf_bool_or": (1, BoolOr),
}


def register(conn: sqlite3.Connection, context: FunctionContext) -> None:
    """Register every ``pgf_*`` function and aggregate on ``conn``."""
    functions = SqlFunctions(context)
    for name in dir(functions):
        if name.startswith("pgf_"):
            conn.create_function(name, -1, getattr(functions, name))
    for name, (arity, aggregate) in AGGREGATES.items():
        conn.create_aggregate(name, arity, aggregate)
