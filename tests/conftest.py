"""Session-wide pytest fixtures and the "nothing may skip in CI" rule.

Fixtures:

* ``pki`` — a CA, server and client certificate (``tests/pki.py``), made once per session;
* ``real_postgres`` — a real PostgreSQL server started for the session (``tests/pgserver.py``);
  skipped, with the reason, only when the PostgreSQL server programs are not installed.

When the ``CI`` environment variable is set (to anything but ``0``/``false``/``no``), a test run
with skipped tests fails: ``.ci/run`` installs every program the interop tests need, so a skip
there means a test silently did not run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.pgserver import RealPostgres, find_bindir
from tests.pki import Pki, make_pki

# In CI, property tests run a fixed sequence of examples so a run is repeatable; locally they
# explore new examples every time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
    settings.load_profile("ci")

_SKIPPED: list[str] = []  # node ids of skipped tests and collectors, for the CI rule


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="session")
def real_postgres(pki: Pki) -> Iterator[RealPostgres]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server programs (initdb, pg_ctl, postgres) not found in "
            "$TXPG_PG_BINDIR, /usr/lib/postgresql/*/bin or PATH"
        )
    with RealPostgres(bindir, pki) as server:
        yield server


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _record_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(report.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _record_skip(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED and _running_in_ci():
        terminalreporter.write_line(
            f"CI is set: failing the run because {len(_SKIPPED)} test(s) were skipped "
            "(install the missing programs; .ci/run does)",
            red=True,
            bold=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _SKIPPED and _running_in_ci() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
