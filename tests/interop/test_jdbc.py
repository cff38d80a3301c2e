"""The PostgreSQL JDBC driver (pgjdbc), through the Java program ``java/JdbcProbe.java``.

The program is compiled once per module with javac and run with the driver jar Debian installs.
It prints one line per observation; the test compares them with PostgreSQL's answers.  What it
exercises: the start-up parameter checks the driver makes, the switch to named statements with
binary results after five executions of a PreparedStatement (the printed values must not change
when the encoding does), batches, fetching in chunks of two rows with autocommit off, and an
error's SQLSTATE.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.interop.targets import TargetServer
from tests.java import compile_java, run_java

pytestmark = pytest.mark.timeout(120)

SOURCE = Path(__file__).parent / "java" / "JdbcProbe.java"
TYPE_VALUES = (
    "1.5|123.45|true|2024-02-29|2024-02-29 13:14:15.123456|2024-02-29 13:14:15.123456|"
    "12345678-1234-5678-1234-567812345678|0x00ff|1099511627776"
)


@pytest.fixture(scope="module")
def probe_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_java(SOURCE, tmp_path_factory.mktemp("jdbc"))


def run_probe(target: TargetServer, classes: Path, table: str, **url_params: str) -> list[str]:
    url = f"jdbc:postgresql://{target.host}:{target.port}/{target.database}"
    url += "?" + urlencode(url_params)
    return run_java(classes, "JdbcProbe", url, target.user, target.password, table)


def expected_output() -> list[str]:
    prepared = [f"prepared {run} {run * 2}|run {run}|{TYPE_VALUES}" for run in range(10)]
    return [
        "product PostgreSQL",
        *prepared,
        "server-prepared true",
        "columns doubled:int4,label:text,f:float8,n:numeric,b:bool,d:date,ts:timestamp,"
        "tstz:timestamptz,u:uuid,bin:bytea,big:int8",
        "batch [1, 1, 1, 1, 1]",
        "batch-check 5|15|label 5",
        *[f"fetch {n}|row {n}" for n in range(1, 8)],
        "error 22012 ERROR: division by zero",
        "after-error usable",
    ]


def test_jdbc_probe(target_server: TargetServer, probe_classes: Path, table_name: str) -> None:
    lines = run_probe(target_server, probe_classes, table_name, sslmode="disable")
    assert lines == expected_output()


@pytest.mark.needs_tls
def test_jdbc_probe_over_verified_tls(
    target_server: TargetServer, probe_classes: Path, table_name: str
) -> None:
    assert target_server.ca_cert is not None
    lines = run_probe(
        target_server,
        probe_classes,
        table_name,
        sslmode="verify-full",
        sslrootcert=str(target_server.ca_cert),
    )
    assert lines == expected_output()
