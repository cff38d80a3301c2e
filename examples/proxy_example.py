"""A pooling PostgreSQL proxy in a few lines: clients authenticate here, queries run upstream.

Run it against any PostgreSQL server, then point psql, pgbench or an application at it::

    python examples/proxy_example.py 'postgresql://app:secret@127.0.0.1:5432/app' \\
        --listen tcp:6432:interface=127.0.0.1 --pool-mode transaction --pool-size 10 \\
        --multiplex 8
    psql -h 127.0.0.1 -p 6432 -U anyone app

Without ``--users`` every client is trusted (``--auth trust``); with a users file in
pgbouncer's ``auth_file`` format clients authenticate with SCRAM-SHA-256 (or ``--auth``).
The same is available as ``python -m txpostgres_proto --proxy URL``.
"""

from __future__ import annotations

import argparse
import sys

from twisted.internet import reactor
from twisted.internet.endpoints import serverFromString
from twisted.python import log

from txpostgres_proto.proxy import DEFAULT_POOL_SIZE, PoolMode, ProxyFactory
from txpostgres_proto.server.credentials import load_auth_file


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", help="libpq URI or key=value string of the upstream server")
    parser.add_argument("--listen", default="tcp:6432:interface=127.0.0.1")
    parser.add_argument("--pool-mode", choices=[mode.value for mode in PoolMode])
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE)
    parser.add_argument(
        "--multiplex", type=int, default=0, help="transaction pooling: short SELECTs per write"
    )
    parser.add_argument("--users", help="pgbouncer-style auth_file")
    parser.add_argument("--auth", default=None, help="trust, password, md5, scram-sha-256")
    args = parser.parse_args(argv)
    password_store = load_auth_file(args.users) if args.users else None
    auth = args.auth or ("scram-sha-256" if password_store is not None else "trust")
    factory = ProxyFactory(
        args.upstream,
        pool_mode=args.pool_mode or PoolMode.TRANSACTION,
        pool_size=args.pool_size,
        multiplex=args.multiplex,
        reactor=reactor,
        auth=auth,
        password_store=password_store,
    )
    log.startLogging(sys.stderr)
    serverFromString(reactor, args.listen).listen(factory)
    reactor.run()  # type: ignore[attr-defined,misc]


if __name__ == "__main__":
    main()
