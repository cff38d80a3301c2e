"""pgbench with a custom script against the server under test.

pgbench's query modes exercise the three ways libpq runs a statement: ``simple`` (Query),
``extended`` (unnamed Parse/Bind/Describe/Execute/Sync per run) and ``prepared`` (one named Parse
per connection, then Bind/Execute only).  Two clients run concurrently; pgbench reports how many
transactions completed and failed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.interop.targets import PROGRAM_TIMEOUT, TargetServer, find_program

pytestmark = pytest.mark.timeout(120)

CLIENTS = 2
TRANSACTIONS_PER_CLIENT = 50


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_custom_script(
    target_server: TargetServer, table_name: str, tmp_path: Path, mode: str
) -> None:
    pgbench = find_program("pgbench")
    with psycopg.connect(target_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id integer PRIMARY KEY, label text, n integer)")
        conn.execute(
            f"INSERT INTO {table_name} SELECT g, 'label ' || g, g * g FROM generate_series(1, 10) g"
        )
    script = tmp_path / "probe.sql"
    script.write_text(
        "\\set id random(1, 10)\n"
        f"SELECT label, n FROM {table_name} WHERE id = :id;\n"
        f"SELECT count(*), sum(n) FROM {table_name};\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [pgbench, "-n", "-M", mode, "-f", str(script),
         "-t", str(TRANSACTIONS_PER_CLIENT), "-c", str(CLIENTS)],
        capture_output=True,
        text=True,
        env=target_server.libpq_env(),
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    total = CLIENTS * TRANSACTIONS_PER_CLIENT
    assert f"query mode: {mode}\n" in result.stdout
    assert f"number of transactions actually processed: {total}/{total}\n" in result.stdout
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    assert failed is not None and failed.group(1) == "0", result.stdout
