"""Run this project's server the way users do — ``python -m txpostgres_proto`` in its own process.

End-to-end tests drive it with real client programs over loopback.  `running_server` starts
it on a free port, waits until the port accepts connections (failing with the server's log if
it exits or never listens), and always stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.pgserver import client_environment, free_port

ROOT = Path(__file__).resolve().parents[1]


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port}:\n{log.read_text()}")


@contextlib.contextmanager
def running_server(
    arguments: Sequence[str], workdir: Path, *, pythonpath: Sequence[Path] = ()
) -> Iterator[int]:
    """Start ``python -m txpostgres_proto ARGUMENTS --listen …`` and yield its port."""
    port = free_port()
    log = workdir / f"server-{port}.log"
    paths = [str(ROOT), *map(str, pythonpath), os.environ.get("PYTHONPATH", "")]
    env = client_environment(PYTHONPATH=os.pathsep.join(filter(None, paths)))
    command = [
        sys.executable, "-m", "txpostgres_proto", *arguments,
        "--listen", f"tcp:{port}:interface=127.0.0.1",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=workdir, stdout=output, stderr=subprocess.STDOUT, env=env
        )
    try:
        wait_until_listening(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
