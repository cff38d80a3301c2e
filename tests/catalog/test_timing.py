"""Speed: psql's ``\\d items`` queries must take at most 5 ms each (median) once compiled.

Compiling a query (sqlglot parse + translation) happens once per SQL text; after that the
engine only binds parameters and runs SQLite, which is what this measures.  The budget is
generous on purpose (CI machines are slow); typical medians are well under a millisecond.
"""

from __future__ import annotations

import statistics
import time

from tests.catalog.support import CORPUS_FILES, CORPUS_ITEMS_OID, corpus_statements
from txpostgres_proto.catalog import Catalog, SimpleSession


def test_psql_describe_queries_are_fast(catalog: Catalog, session: SimpleSession) -> None:
    oid = str(catalog.table_oid("public", "items"))
    queries = [
        s.sql.replace(CORPUS_ITEMS_OID, oid)
        for s in corpus_statements(CORPUS_FILES[1:])
        if catalog.handles(s.sql)
    ]
    assert len(queries) >= 15
    for query in queries:  # warm-up: compile once
        catalog.execute(query, [], session)
    medians = {}
    for query in queries:
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            catalog.execute(query, [], session)
            timings.append(time.perf_counter() - started)
        medians[query] = statistics.median(timings)
    slow = {
        query[:60]: round(median * 1000, 2) for query, median in medians.items() if median > 0.005
    }
    assert slow == {}
    assert statistics.median(medians.values()) < 0.001
