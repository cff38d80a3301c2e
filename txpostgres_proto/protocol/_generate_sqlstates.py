"""Generator of ``sqlstates.py`` from PostgreSQL's ``errcodes.txt``.

PostgreSQL keeps the list of SQLSTATE codes (documentation Appendix A, "PostgreSQL Error
Codes") in ``src/backend/utils/errcodes.txt``; Debian installs it as
``/usr/share/postgresql/<version>/errcodes.txt``.  This script turns it into a static module with
one `PostgresError` subclass per code, so every name is importable and visible to type checkers
(classes created at run time would be neither).  The output is checked in; re-run the script
when PostgreSQL adds codes::

    python -m txpostgres_proto.protocol._generate_sqlstates \\
        /usr/share/postgresql/15/errcodes.txt > txpostgres_proto/protocol/sqlstates.py

Naming rules (applied in this order; the test suite re-runs the generator and compares):

1. a condition name becomes CamelCase (``unique_violation`` -> ``UniqueViolation``);
2. conditions of the warning class 01 get the suffix ``Warning`` (``01004
   string_data_right_truncation`` -> ``StringDataRightTruncationWarning``, so the error 22001 keeps
   the plain name);
3. a name that would shadow a Python builtin or a DB-API group gets the prefix ``Sql``
   (``SqlSyntaxError`` 42601, ``SqlWarning`` 01000, ``SqlSystemError`` 58000, ``SqlInternalError``
   XX000);
4. a condition name used by several classes keeps the plain name in the first class and gets the
   CamelCase name of its class, without ``Exception``, as prefix in the others (``38002
   modifying_sql_data_not_permitted`` -> ``ExternalRoutineModifyingSqlDataNotPermitted``).

Lines without a condition name are alternative C macro names for a code listed already and are
skipped.
"""

from __future__ import annotations

import builtins
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

#: DB-API (PEP 249) exception group of each SQLSTATE class; classes not listed (00, 01, 02 —
#: success, warnings, no data) derive from PostgresError directly.
DBAPI_GROUPS: dict[str, tuple[str, ...]] = {
    "IntegrityError": ("23", "27", "44"),
    "DataError": ("22",),
    "NotSupportedError": ("0A",),
    "ProgrammingError": ("0F", "0L", "0P", "0Z", "20", "21", "26", "2B", "34", "3D", "3F", "42"),
    "OperationalError": ("08", "28", "40", "53", "54", "55", "57", "58", "72", "F0", "HV"),
    "InternalError": ("03", "09", "0B", "24", "25", "2D", "2F", "38", "39", "3B", "P0", "XX"),
}

#: Docstring and default SQLSTATE of each group (what ``raise DataError("...")`` sends).
GROUP_INFO: dict[str, tuple[str, str]] = {
    "IntegrityError": ("23000", "A constraint rejected the data (classes 23, 27, 44)."),
    "DataError": ("22000", "A value is invalid or out of range (class 22)."),
    "NotSupportedError": ("0A000", "The server does not support the feature (class 0A)."),
    "ProgrammingError": (
        "42000",
        "The SQL or the objects it names are wrong: syntax, undefined or duplicate objects, "
        "permissions (classes 0F, 0L, 0P, 0Z, 20, 21, 26, 2B, 34, 3D, 3F, 42).",
    ),
    "OperationalError": (
        "08000",
        "The environment failed, not the program: connection, authentication, serialization "
        "and deadlocks, resources, limits, operator intervention, system and configuration "
        "errors (classes 08, 28, 40, 53, 54, 55, 57, 58, 72, F0, HV).",
    ),
    "InternalError": (
        "XX000",
        "Transaction or cursor state, routines, savepoints, PL/pgSQL and internal errors "
        "(classes 03, 09, 0B, 24, 25, 2D, 2F, 38, 39, 3B, P0, XX).",
    ),
}


@dataclass(frozen=True)
class Code:
    sqlstate: str
    severity: str
    condition: str
    section: str

    @property
    def class_code(self) -> str:
        return self.sqlstate[:2]

    @property
    def is_class(self) -> bool:
        return self.sqlstate.endswith("000")


_LINE_LENGTH = 100
_SECTION = re.compile(r"^Section: Class (\w\w) - (.*)$")
_LINE = re.compile(r"^([0-9A-Z]{5})\s+([EWS])\s+(\w+)(?:\s+(\w+))?\s*$")


def parse_errcodes(text: str) -> list[Code]:
    """The codes of an ``errcodes.txt``, in file order, with their section titles."""
    codes: list[Code] = []
    section = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if match := _SECTION.match(line):
            section = match.group(2)
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"unexpected errcodes.txt line: {line!r}")
        sqlstate, severity, _macro, condition = match.groups()
        if condition:
            codes.append(Code(sqlstate, severity, condition, section))
    return codes


def camel_case(condition: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in condition.split("_"))


def class_names(codes: list[Code]) -> dict[str, str]:
    """SQLSTATE -> Python class name, following the rules of the module docstring."""
    names: dict[str, str] = {}
    first_class_of: dict[str, str] = {}
    class_prefix: dict[str, str] = {}
    for code in codes:
        name = camel_case(code.condition)
        if code.class_code == "01" and not code.is_class:
            name += "Warning"
        if hasattr(builtins, name) or name in GROUP_INFO:
            name = "Sql" + name
        if code.is_class:
            class_prefix[code.class_code] = name.removesuffix("Exception")
        owner = first_class_of.setdefault(name, code.class_code)
        if owner != code.class_code:
            name = class_prefix[code.class_code] + name
        names[code.sqlstate] = name
    if len(set(names.values())) != len(names):
        raise ValueError("class names are not unique")
    return names


def _group_of(class_code: str) -> str:
    for group, classes in DBAPI_GROUPS.items():
        if class_code in classes:
            return group
    return "PostgresError"


_HEADER = '''\
"""PostgreSQL's SQLSTATE error codes as exception classes (generated — do not edit).

One `PostgresError` subclass per code of PostgreSQL 15's Appendix A, "PostgreSQL Error Codes":
a class per SQLSTATE class (``IntegrityConstraintViolation`` 23000, ``DataException`` 22000 …)
and a class per condition, derived from its class (``UniqueViolation`` 23505 under
``IntegrityConstraintViolation``).  Each registers itself through
``PostgresError.__init_subclass__(sqlstate=...)``, so once this module is imported
``PostgresError.from_fields`` builds the most specific class for a server's ErrorResponse, falling
back to the class of the first two characters, then to `PostgresError`.

The SQLSTATE classes sit under DB-API (PEP 249) groups, so code written for psycopg2 or
``twisted.enterprise.adbapi`` can catch errors the way it already does:

* ``IntegrityError`` — classes 23, 27, 44;
* ``DataError`` — class 22;
* ``NotSupportedError`` — class 0A;
* ``ProgrammingError`` — classes 0F, 0L, 0P, 0Z, 20, 21, 26, 2B, 34, 3D, 3F, 42;
* ``OperationalError`` — classes 08, 28, 40, 53, 54, 55, 57, 58, 72, F0, HV;
* ``InternalError`` — classes 03, 09, 0B, 24, 25, 2D, 2F, 38, 39, 3B, P0, XX;
* none — classes 00, 01, 02 (success, warnings, no data derive from `PostgresError` directly).

``DatabaseError`` is another name for `PostgresError` (every server error is one).  Raising a
group in a server handler sends its representative code (``DataError`` -> 22000).

Names are the CamelCase condition names of PL/pgSQL, with three adjustments made by the
generator (``_generate_sqlstates.py``): warnings of class 01 end in ``Warning``; names of Python
builtins and of the groups above get the prefix ``Sql`` (``SqlSyntaxError`` 42601, ``SqlWarning``,
``SqlSystemError``, ``SqlInternalError`` XX000);
a condition name shared by several classes carries its class as prefix outside the first
(``ExternalRoutineModifyingSqlDataNotPermitted`` 38002).  `CONDITION_NAMES` maps every code
to its PL/pgSQL condition name.
"""

from __future__ import annotations

from typing import Final

from .errors import PostgresError

DatabaseError = PostgresError
'''

_FOOTER = '''

def error_class(sqlstate: str) -> type[PostgresError]:
    """The class `PostgresError.from_fields` uses for ``sqlstate`` (code, else class, else base)."""
    by_code = PostgresError._by_sqlstate
    return by_code.get(sqlstate) or PostgresError._by_class.get(sqlstate[:2]) or PostgresError
'''


def _class_statement(name: str, bases: str) -> str:
    line = f"class {name}({bases}):"
    if len(line) <= _LINE_LENGTH:
        return f"\n\n{line}\n"
    return f"\n\nclass {name}(\n    {bases}\n):\n"


def _docstring(text: str) -> str:
    if len(text) + 10 <= _LINE_LENGTH:
        return f'    """{text}"""\n'
    body = textwrap.fill(text, _LINE_LENGTH, initial_indent='    """', subsequent_indent="    ")
    return f'{body}\n    """\n'


def render(codes: list[Code]) -> str:
    """The source of ``sqlstates.py`` for ``codes``."""
    names = class_names(codes)
    class_of = {code.class_code: names[code.sqlstate] for code in codes if code.is_class}
    out = [_HEADER]
    for group, (default, doc) in GROUP_INFO.items():
        out.append(f"\n\nclass {group}(PostgresError):\n")
        out.append(_docstring(doc))
        out.append(f'\n    default_sqlstate = "{default}"\n')
    for code in codes:
        name = names[code.sqlstate]
        if code.is_class:
            base = _group_of(code.class_code)
            doc = f"Class {code.class_code} — {code.section}."
        else:
            base = class_of[code.class_code]
            doc = f"{code.sqlstate} {code.condition}."
        out.append(_class_statement(name, f'{base}, sqlstate="{code.sqlstate}"'))
        out.append(_docstring(doc))
    out.append("\n\n#: SQLSTATE -> PL/pgSQL condition name, for every code above.\n")
    out.append("CONDITION_NAMES: Final[dict[str, str]] = {\n")
    out.extend(f'    "{code.sqlstate}": "{code.condition}",\n' for code in codes)
    out.append("}\n")
    out.append(_FOOTER)
    exported = ["CONDITION_NAMES", "DatabaseError", *GROUP_INFO, "error_class"]
    exported += [names[code.sqlstate] for code in codes]
    out.append("\n\n__all__ = [\n")
    out.extend(f'    "{name}",\n' for name in sorted(exported))
    out.append("]\n")
    return "".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} path/to/errcodes.txt", file=sys.stderr)
        return 2
    sys.stdout.write(render(parse_errcodes(Path(argv[1]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
