"""An idle session of the embedded SQLite backend holds no SQLite connection.

The sqlite3 connection (its page cache, registered functions and the database, WAL and shm file
descriptors) is opened by the session's first statement, so many idle clients cost neither
memory nor descriptors; a session that has gone refuses statements with 08003.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from txpostgres_proto.protocol.errors import PostgresError

from .conftest import Client


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_idle_sessions_open_no_files(connect: Callable[[], Client]) -> None:
    first = connect()
    first.run("CREATE TABLE t (a int)")
    before = _open_descriptors()
    idle = [connect() for _ in range(20)]
    assert _open_descriptors() == before
    busy = idle[0]
    busy.run("INSERT INTO t VALUES ($1)", 5)
    assert busy.value("SELECT a FROM t") == 5
    assert _open_descriptors() > before
    assert idle[1].value("SELECT count(*) FROM t") == 1


def test_statements_after_the_session_ended_fail(connect: Callable[[], Client]) -> None:
    never_used = connect()
    never_used.backend.connection_lost()
    with pytest.raises(PostgresError) as caught:
        never_used.run("SELECT 1 FROM sqlite_master")
    assert caught.value.sqlstate == "08003"
