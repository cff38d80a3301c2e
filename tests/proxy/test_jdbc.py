"""pgjdbc through transaction pooling: the interop suite's JDBC probe, run through the proxy.

The probe switches to named server-side statements with binary results after five executions
(``server-prepared true``), batches, and fetches in chunks with autocommit off: under
transaction pooling its named statements must be re-parsed on whichever upstream serves it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.targets import TargetServer
from tests.interop.test_jdbc import expected_output, probe_classes, run_probe
from tests.proxy.proxyprocess import ProxyProcess

__all__ = ["probe_classes"]  # the fixture, imported to be used here

pytestmark = pytest.mark.timeout(120)


def test_jdbc_probe_through_transaction_pooling(
    transaction_proxy: ProxyProcess, probe_classes: Path
) -> None:
    target = TargetServer(
        "proxy", transaction_proxy.host, transaction_proxy.port, "testdb", "app", "", ssl=False
    )
    lines = run_probe(target, probe_classes, "proxy_jdbc_probe", sslmode="disable")
    assert lines == expected_output()
