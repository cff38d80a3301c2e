"""The README's examples run as written: its server snippet serves psql, its client snippet works.

The code blocks are read out of README.md itself, so the README cannot drift from the API.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ourserver import ROOT, running_server
from tests.pgserver import RealPostgres, client_environment

README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def _block(marker: str) -> str:
    matches = [block for block in PYTHON_BLOCKS if marker in block]
    assert len(matches) == 1, f"README has no single python block containing {marker!r}"
    return matches[0]


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["pip install . && twistd -n pgproto", "bash .ci/run"]
    assert "python3 -m pytest -q -rs" in (ROOT / ".ci" / "run").read_text()


def _psql(port: int, sql: str) -> str:
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    completed = subprocess.run(
        [psql, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port),
         "-U", "postgres", "-d", "postgres", "-c", sql],
        capture_output=True, text=True, timeout=60, env=client_environment(),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_server_snippet(tmp_path: Path) -> None:
    (tmp_path / "inventory.py").write_text(_block("class Inventory(PostgresRequestHandler)"))
    arguments = ["--handler", "inventory.Inventory"]
    with running_server(arguments, tmp_path, pythonpath=[tmp_path]) as port:
        assert _psql(port, "INSERT INTO items (id, name, price) VALUES (2, 'nut', 0.1)") == (
            "INSERT 0 1\n"
        )
        assert _psql(port, "SELECT id, name FROM items") == "1|bolt\n2|nut\n"
        described = _psql(port, r"\d items")
        assert "numeric(10,2)" in described and "not null" in described


def test_client_snippet(real_postgres: RealPostgres, tmp_path: Path) -> None:
    """The client block, pointed at the test PostgreSQL instead of the placeholder DSNs."""
    real_postgres.psql(
        "CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text);"
        "TRUNCATE items;"
        "INSERT INTO items (id, name) SELECT g, 'n' || g FROM generate_series(1, 9) g;"
        "SELECT setval('items_id_seq', 9);"
    )
    uri = real_postgres.uri("postgres")
    code = _block("from txpostgres_proto import connect, ConnectionPool")
    code = code.replace('"postgresql://user:pw@localhost:5432/db?sslmode=require"', repr(uri))
    code = code.replace('"postgresql://user:pw@localhost/db"', repr(uri))
    script = tmp_path / "client_snippet.py"
    script.write_text(code)
    completed = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60,
        cwd=ROOT, env=client_environment(PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0] == "True"
    names = real_postgres.psql("SELECT name FROM items WHERE id IN (7, 10, 11) ORDER BY id")
    assert names.split() == ["x", "a", "b"]  # the UPDATE and the executemany landed
