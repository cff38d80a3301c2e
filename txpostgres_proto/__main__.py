"""``python -m txpostgres_proto``: the ``twistd pgproto`` server without twistd.

Takes the same options as the twistd plugin (see `txpostgres_proto.tap.Options`), logs to
standard output and runs the reactor in the foreground until interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.python import usage

from txpostgres_proto.tap import Options, makeService

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line), start the service, run the reactor."""
    options = Options()
    try:
        options.parseOptions(list(sys.argv[1:] if argv is None else argv))
    except usage.UsageError as error:
        print(f"{sys.argv[0]}: {error}", file=sys.stderr)
        print(f"{sys.argv[0]}: try --help for usage details", file=sys.stderr)
        return 2
    from twisted.internet import reactor as global_reactor

    reactor: Any = global_reactor

    try:
        service = makeService(options, reactor)
    except usage.UsageError as error:
        print(f"{sys.argv[0]}: {error}", file=sys.stderr)
        return 2
    observer: Any = textFileLogObserver(sys.stdout)
    globalLogBeginner.beginLoggingTo([observer])
    try:
        service.startService()
    except Exception as error:  # noqa: BLE001 - e.g. the port is in use
        print(f"{sys.argv[0]}: cannot start: {error}", file=sys.stderr)
        return 1
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
