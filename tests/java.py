"""The tests' small Java programs: compiled with javac against the PostgreSQL JDBC driver, run
with java, their printed lines read back.

Several suites check what the JDBC driver (pgjdbc, the jar Debian installs) does against a
server; each keeps its probe's ``.java`` file beside its tests.  `compile_java` compiles a probe
into a directory (once per module or session), skipping the test when javac, java or the driver
jar is not installed; `run_java` runs one of its classes and returns the lines it printed,
failing with the program's output when it exits with an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

JDBC_JAR = Path(os.environ.get("TXPG_JDBC_JAR", "/usr/share/java/postgresql.jar"))
JAVA_TIMEOUT = 120.0
#: UTC, so printed times do not depend on the machine; the other two only make the JVM start faster
_JAVA_OPTIONS = ("-Duser.timezone=UTC", "-Xshare:auto", "-XX:TieredStopAtLevel=1")


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def compile_java(source: Path, classes: Path) -> Path:
    """``javac`` ``source`` into the directory ``classes`` (returned), with the driver on the
    class path; skip the test when javac, java or the driver is missing."""
    javac = _program("javac")
    _program("java")
    if not JDBC_JAR.is_file():
        pytest.skip(f"the PostgreSQL JDBC driver is not installed ({JDBC_JAR} is missing)")
    subprocess.run(
        [javac, "-encoding", "UTF-8", "-cp", str(JDBC_JAR), "-d", str(classes), str(source)],
        check=True,
        capture_output=True,
        timeout=JAVA_TIMEOUT,
    )
    return classes


def run_java(classes: Path, main_class: str, *arguments: str) -> list[str]:
    """Run ``main_class`` from ``classes`` (and the driver) with ``arguments``: the lines it
    printed.  The test fails, showing the program's output, when it exits with an error."""
    result = subprocess.run(
        [_program("java"), *_JAVA_OPTIONS, "-cp", f"{JDBC_JAR}:{classes}", main_class, *arguments],
        capture_output=True,
        text=True,
        timeout=JAVA_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()
