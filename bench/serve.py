"""Our server in a process of its own, for the server benchmarks: ``python -m bench.serve``.

``--backend module:name`` names the backend factory (called once per connection, e.g. a
`PostgresRequestHandler` subclass from ``bench/backends.py``); ``--factory-maker module:name``
instead names a function called once that returns the backend factory (the embedded SQLite
default, ``make_backend_factory(database)``, is built that way).  The server listens on a free
loopback port, prints ``LISTENING <port>`` on stdout and runs until SIGTERM/SIGINT.  Authentication
is ``trust``; warnings and errors are logged to stderr.

``--open-files N`` raises the process's RLIMIT_NOFILE first (the idle-connections benchmark
holds thousands of sockets).  The reactor is Twisted's default for the platform (epoll here).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any

from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)

from bench.common import raise_open_files_limit


def _resolve(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"expected module:name, got {spec!r}")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--backend", help="module:name of the per-connection backend factory")
    which.add_argument("--factory-maker", help="module:name of a function returning it")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--open-files", type=int, help="raise RLIMIT_NOFILE to this first")
    args = parser.parse_args(argv)
    if args.open_files:
        raise_open_files_limit(args.open_files)

    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    observer = FilteringLogObserver(textFileLogObserver(sys.stderr), [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)

    from twisted.internet import reactor

    from txpostgres_proto.server.factory import PostgresServerFactory

    if args.backend:
        backend_factory = _resolve(args.backend)
    else:
        backend_factory = _resolve(args.factory_maker)()
    factory = PostgresServerFactory(backend_factory, reactor=reactor)
    listening = reactor.listenTCP(args.port, factory, backlog=1024, interface="127.0.0.1")  # type: ignore[attr-defined]
    print(f"LISTENING {listening.getHost().port}", flush=True)
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
