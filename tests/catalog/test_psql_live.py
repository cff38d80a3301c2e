"""What psql 15 sends for its backslash commands, run on the emulated catalog and on PostgreSQL.

psql's ``-E`` (ECHO_HIDDEN) prints every catalog query a backslash command sends; the test runs
each command against the reference database, collects the queries, and checks that the catalog
engine claims each one, describes it exactly like PostgreSQL (names, type OIDs, typmods) and
returns as many rows.  The queries embed the OIDs PostgreSQL assigned to the sample relations;
they are replaced by the catalog's own OIDs first.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.catalog.support import Reference
from tests.pgserver import SUPERUSER, RealPostgres, client_environment
from txpostgres_proto.catalog import Catalog, SimpleSession

COMMANDS = (
    r"\d", r"\d+", r"\dt", r"\dt+", r"\di", r"\di+", r"\dv", r"\dv+", r"\ds", r"\ds+", r"\dS",
    r"\dn", r"\dn+", r"\df", r"\df+", r"\dfS", r"\dfa", r"\dT", r"\dT+", r"\dTS", r"\du",
    r"\du+", r"\dg", r"\l", r"\l+", r"\d items", r"\d+ items", r"\d v_items", r"\d+ v_items",
    r"\d users", r"\d+ users", r"\d items_pkey", r"\d items_id_seq", r"\dp", r"\dp items",
    r"\dd", r"\dD", r"\dE", r"\dm", r"\dx", r"\dx+", r"\dy", r"\dc", r"\dC", r"\do", r"\dF",
    r"\da", r"\db", r"\des", r"\dL", r"\dRp", r"\drds", r"\dconfig", r"\dconfig+ *work_mem*",
    r"\d pg_class", r"\d+ pg_catalog.pg_type", r"\dt pg_catalog.*",
    r"\d information_schema.columns", r"\dA", r"\dAc", r"\dX", r"\ddp", r"\dO", r"\dew",
    r"\det", r"\deu", r"\dRs", r"\dt *.*", r"\dt i*", r"\dt+ public.*", r"\d nosuchtable",
)  # fmt: skip
RELATIONS = ("items", "users", "v_items", "items_pkey", "items_name_idx", "items_id_seq")
#: Commands whose row counts legitimately differ: the reference server has the other tests'
#: roles, databases and non-default settings; the catalog leaves out TOAST tables and the
#: dependency records that list the objects belonging to extensions.
COLUMNS_ONLY = {r"\du", r"\du+", r"\dg", r"\l", r"\l+", r"\dconfig", r"\dt *.*", r"\dx+"}


def _psql_queries(server: RealPostgres, command: str) -> list[str]:
    argv = [
        str(server.program("psql")), "-X", "-E", "-h", str(server.unix_socket_dir),
        "-p", str(server.port), "-U", SUPERUSER, "-d", "catref", "-c", command,
    ]  # fmt: skip
    output = subprocess.run(
        argv, capture_output=True, text=True, env=client_environment(), timeout=60, check=False
    ).stdout
    return re.findall(r"\*{9} QUERY \*{10}\n(.*?)\n\*{26}", output, re.S)


@pytest.fixture(scope="module")
def oid_map(catalog: Catalog, reference: Reference) -> dict[str, str]:
    """PostgreSQL's OIDs of the sample relations -> the catalog's."""
    mapping = {}
    for name in RELATIONS:
        result = catalog.execute(f"SELECT '{name}'::regclass::oid", [], SimpleSession())
        mapping[reference.relation_oid(name)] = str(result.rows[0][0])
    return mapping


@pytest.mark.parametrize("command", COMMANDS)
def test_psql_command_queries(
    command: str,
    reference_server: RealPostgres,
    reference: Reference,
    catalog: Catalog,
    session: SimpleSession,
    oid_map: dict[str, str],
) -> None:
    queries = _psql_queries(reference_server, command)
    assert queries, f"psql sent no catalog query for {command}"
    for query in queries:
        assert catalog.handles(query), query
        columns, _ = reference.describe(query)
        mine = query
        for theirs, ours in oid_map.items():
            mine = mine.replace(f"'{theirs}'", f"'{ours}'")
        result = catalog.execute(mine, [], session)
        assert [(c.name, c.type_oid, c.typmod) for c in result.columns] == columns, query
        if command not in COLUMNS_ONLY:
            assert len(result.rows) == len(reference.rows(query)), query
