"""Run this project's server the way users do — ``python -m txpostgres_proto`` in its own process.

End-to-end tests drive it with real client programs over loopback.  `start_server` starts it
(or another command line serving the same options, such as ``twistd -n pgproto``) on a free
port, waits until the port accepts connections (failing with the server's log if it exits or
never listens; another port is tried when the chosen one was taken meanwhile) and returns an
`OurServer`; `serving` and `running_server` also stop it afterwards.  The process gets SIGTERM
when the test process dies (Linux), so a killed test run leaves no server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from tests.pgserver import client_environment, free_port

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
#: the command line that runs our server, before its options
SERVER_COMMAND: tuple[str, ...] = (sys.executable, "-m", "txpostgres_proto")
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0
_PORT_ATTEMPTS = 3


class ServerStartError(RuntimeError):
    """Our server process did not start listening."""


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux only)."""
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the test's own clean-up still stops the server


class OurServer:
    """One started server process listening on ``HOST:port``, its output in ``log_file``."""

    host = HOST

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
        self.process = process
        self.port = port
        self.log_file = log_file
        self._interrupted = False

    def log(self) -> str:
        """What the server wrote so far (for failure messages)."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"

    def interrupt(self) -> None:
        """Ask the process to stop (SIGTERM; the reactor shuts down cleanly), without waiting."""
        if not self._interrupted and self.process.poll() is None:
            self.process.terminate()
            self._interrupted = True

    def stop(self) -> None:
        """Interrupt the process and wait for it; kill it if it hangs."""
        self.interrupt()
        try:
            self.process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(_STOP_TIMEOUT)


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once ``port`` accepts connections; raise `ServerStartError` (with the log) if
    ``process`` exits first or nothing listens within the start timeout."""
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerStartError(f"server did not listen on {port}:\n{log.read_text()}")


def _start_once(
    arguments: Sequence[str],
    workdir: Path,
    command: Sequence[str],
    env: dict[str, str],
    log_file: Path | None,
) -> OurServer:
    port = free_port(HOST)
    log = log_file or workdir / f"server-{port}.log"
    argv = [*command, *arguments, "--listen", f"tcp:{port}:interface={HOST}"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with_parent,
        )
    server = OurServer(process, port, log)
    try:
        wait_until_listening(port, process, log)
    except ServerStartError:
        server.stop()
        raise
    return server


def start_server(
    arguments: Sequence[str],
    workdir: Path,
    *,
    command: Sequence[str] = SERVER_COMMAND,
    pythonpath: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
    log_file: Path | None = None,
) -> OurServer:
    """Start ``COMMAND ARGUMENTS --listen tcp:PORT:interface=127.0.0.1`` in ``workdir`` and
    return it once it listens.

    The environment is ours without ``PG*`` variables, plus ``env``, with the project root and
    ``pythonpath`` on ``PYTHONPATH``; the output goes to ``log_file`` (default:
    ``workdir/server-PORT.log``).  The caller stops the server (`OurServer.stop`).
    """
    paths = [str(ROOT), *map(str, pythonpath), os.environ.get("PYTHONPATH", "")]
    environment = client_environment(
        PYTHONPATH=os.pathsep.join(filter(None, paths)), PYTHONUNBUFFERED="1", **(env or {})
    )
    attempts = 1
    while True:
        try:
            return _start_once(arguments, workdir, command, environment, log_file)
        except ServerStartError as error:
            if "Address already in use" not in str(error) or attempts == _PORT_ATTEMPTS:
                raise
            attempts += 1


@contextlib.contextmanager
def serving(
    arguments: Sequence[str],
    workdir: Path,
    *,
    command: Sequence[str] = SERVER_COMMAND,
    pythonpath: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[OurServer]:
    """`start_server`, and stop the server when the block ends."""
    server = start_server(arguments, workdir, command=command, pythonpath=pythonpath, env=env)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_server(
    arguments: Sequence[str],
    workdir: Path,
    *,
    command: Sequence[str] = SERVER_COMMAND,
    pythonpath: Sequence[Path] = (),
) -> Iterator[int]:
    """`serving`, yielding just the port."""
    with serving(arguments, workdir, command=command, pythonpath=pythonpath) as server:
        yield server.port
