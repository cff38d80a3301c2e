"""Regenerate ``pg15_catalog.json.gz``: the built-in rows of PostgreSQL 15's system catalogs.

The catalog emulation answers client SQL from an SQLite copy of ``pg_catalog`` and
``information_schema``.  Column lists, types and the built-in rows (types, functions, operators,
access methods, settings, keywords, descriptions ...) must be exactly PostgreSQL's, so they are
read from a real server rather than typed in: this script runs ``initdb`` into a temporary
directory (as the ``postgres`` system user when run as root), starts the server on a private
unix socket, dumps what the emulation needs, and stops it again.

Run it from the project root when the PostgreSQL major version changes::

    python txpostgres_proto/catalog/data/generate.py [/usr/lib/postgresql/15/bin]

Output format (JSON, gzip-compressed): ``{"server_version": ..., "tables": {"schema.name":
{"columns": [...], "rows": [[...], ...]}}, "functions": {oid: [result, arguments, identity]},
"keywords": [...], "show": {setting: SHOW value}, "definitions": {"index"|"constraint"|"view":
{oid: pg_get_*def text}}}``.  Values are JSON scalars; arrays and
``int2vector``/``oidvector`` are JSON lists; ``reg*`` columns are plain OIDs; ``pg_node_tree``
and ``aclitem`` values are text.
"""

from __future__ import annotations

import gzip
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2

OUTPUT = Path(__file__).with_name("pg15_catalog.json.gz")
SUPERUSER = "postgres"

#: Catalog tables whose built-in rows are dumped whole (besides the filtered ones below).
FULL_TABLES = (
    "pg_namespace",
    "pg_type",
    "pg_proc",
    "pg_am",
    "pg_opclass",
    "pg_opfamily",
    "pg_operator",
    "pg_cast",
    "pg_language",
    "pg_range",
    "pg_aggregate",
    "pg_conversion",
    "pg_ts_config",
    "pg_ts_dict",
    "pg_ts_parser",
    "pg_ts_template",
    "pg_extension",
    "pg_description",
    "pg_shdescription",
    "pg_tablespace",
    "pg_auth_members",
    "pg_settings",
    "information_schema.sql_features",
    "information_schema.sql_implementation_info",
    "information_schema.sql_parts",
    "information_schema.sql_sizing",
)

SYSTEM_RELATIONS = (
    "SELECT oid FROM pg_class WHERE relnamespace IN"
    " ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"
)

#: Filters for catalogs where only part of the built-in rows is useful.
FILTERED_TABLES = {
    # System relations and their indexes (not TOAST tables), their columns, keys and indexes.
    "pg_class": f"oid IN ({SYSTEM_RELATIONS})",
    "pg_attribute": f"attrelid IN ({SYSTEM_RELATIONS})",
    "pg_index": f"indrelid IN ({SYSTEM_RELATIONS})",
    "pg_constraint": f"conrelid IN ({SYSTEM_RELATIONS})",
    # libc collations plus the provider-neutral ones; the ~800 ICU locales are left out.
    "pg_collation": "collprovider <> 'i' OR collname = 'und-x-icu'",
    # Predefined roles and the bootstrap superuser (renamed at run time), no passwords.
    "pg_authid": "true",
}


def _column_expression(name: str, typname: str, typcategory: str, elemname: str | None) -> str:
    """SELECT-list expression that makes psycopg2 return a JSON-friendly value."""
    quoted = f'"{name}"'
    if typname in ("int2vector",):
        return f"{quoted}::int2[]"
    if typname in ("oidvector",):
        return f"{quoted}::oid[]"
    if typcategory == "A":
        if elemname is not None and (elemname.startswith("reg") or elemname == "oid"):
            return f"{quoted}::oid[]"
        if elemname in ("int2", "int4", "int8", "bool", "text", "float4", "float8"):
            return quoted
        return f"{quoted}::text[]"
    if typname.startswith("reg"):
        return f"{quoted}::oid"
    if typname in ("oid", "int2", "int4", "int8", "bool", "text", "name", "float4", "float8"):
        return quoted
    return f"{quoted}::text"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


def dump_table(cur: Any, qualified: str, where: str = "true") -> dict[str, Any]:
    schema, _, name = qualified.rpartition(".")
    schema = schema or "pg_catalog"
    cur.execute(
        """
        SELECT a.attname, t.typname, t.typcategory, e.typname
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
        WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        (f"{schema}.{name}",),
    )
    columns = cur.fetchall()
    select = ", ".join(_column_expression(*column) for column in columns)
    order = "1"
    cur.execute(f"SELECT {select} FROM {schema}.{name} WHERE {where} ORDER BY {order}")
    rows = [[_json_value(value) for value in row] for row in cur.fetchall()]
    return {"columns": [column[0] for column in columns], "rows": rows}


def _scrub(value: Any, base: str) -> Any:
    """Replace the throwaway cluster's directory by Debian's usual data directory."""
    if isinstance(value, str) and base in value:
        return value.replace(base + "/data", base).replace(base, "/var/lib/postgresql/15/main")
    return value


def _scrub_settings(table: dict[str, Any], base: str) -> None:
    """Make pg_settings rows independent of the throwaway cluster (paths, port, file names)."""
    columns = table["columns"]
    for row in table["rows"]:
        values = dict(zip(columns, row, strict=True))
        if values["name"] == "port":
            values["setting"] = values["reset_val"] = "5432"
        values = {key: _scrub(value, base) for key, value in values.items()}
        values["sourcefile"] = values["sourceline"] = None
        row[:] = [values[column] for column in columns]


def dump(dsn: str, base: str) -> dict[str, Any]:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SHOW server_version")
    (server_version,) = cur.fetchone()
    tables: dict[str, Any] = {}
    for qualified in FULL_TABLES:
        key = qualified if "." in qualified else f"pg_catalog.{qualified}"
        tables[key] = dump_table(cur, qualified)
    for name, where in FILTERED_TABLES.items():
        tables[f"pg_catalog.{name}"] = dump_table(cur, name, where)
    _scrub_settings(tables["pg_catalog.pg_settings"], base)
    cur.execute("SELECT name, current_setting(name) FROM pg_settings ORDER BY 1")
    show = {name: _scrub(value, base) for name, value in cur}
    show["port"] = "5432"
    cur.execute(
        "SELECT oid, pg_get_function_result(oid), pg_get_function_arguments(oid),"
        " pg_get_function_identity_arguments(oid) FROM pg_proc ORDER BY oid"
    )
    functions = {str(row[0]): list(row[1:]) for row in cur.fetchall()}
    definitions = {}
    for name, query in (
        ("index", f"SELECT indexrelid, pg_get_indexdef(indexrelid) FROM pg_index"
                  f" WHERE indrelid IN ({SYSTEM_RELATIONS})"),
        ("constraint", f"SELECT oid, pg_get_constraintdef(oid) FROM pg_constraint"
                       f" WHERE conrelid IN ({SYSTEM_RELATIONS})"),
        ("view", f"SELECT oid, pg_get_viewdef(oid) FROM pg_class"
                 f" WHERE relkind IN ('v', 'm') AND oid IN ({SYSTEM_RELATIONS})"),
    ):  # fmt: skip
        cur.execute(query + " ORDER BY 1")
        definitions[name] = {str(oid): text for oid, text in cur.fetchall()}
    cur.execute("SELECT word, catcode, barelabel, catdesc, baredesc FROM pg_get_keywords()")
    keywords = [list(row) for row in cur.fetchall()]
    conn.close()
    return {
        "server_version": server_version.split()[0],
        "tables": tables,
        "functions": functions,
        "keywords": keywords,
        "show": show,
        "definitions": definitions,
    }


def _run(argv: list[str], owner: pwd.struct_passwd | None, cwd: Path) -> None:
    if owner is not None:
        argv = ["runuser", "-u", owner.pw_name, "--", *argv]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    subprocess.run(argv, check=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL)


def main(bindir: Path) -> None:
    owner = pwd.getpwnam(SUPERUSER) if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="txpg-catalog-gen-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if owner is not None:
        for path in (base, sock):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = "54329"
    try:
        _run(
            [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            owner, base,
        )  # fmt: skip
        _run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
             f"-k {sock} -p {port} -c listen_addresses=''", "start"],
            owner, base,
        )  # fmt: skip
        try:
            payload = dump(f"host={sock} port={port} user={SUPERUSER} dbname=postgres", str(base))
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"], owner, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    OUTPUT.write_bytes(gzip.compress(text.encode(), 9, mtime=0))
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/postgresql/15/bin"))
