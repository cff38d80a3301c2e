"""A pooling PostgreSQL proxy built from this library's server and client halves.

Clients authenticate to the proxy (the server's TLS and authentication); their sessions are
relayed as raw protocol frames to upstream connections made with the client's `connect()`,
pooled per session or per transaction (see ``session.py``).  Modules:

* ``factory.py`` — `ProxyFactory`, the listening side's configuration;
* ``session.py`` — `ProxyServerProtocol`, one client session and its relay;
* ``upstream.py`` — `Upstream`, one relay-mode upstream connection;
* ``pool.py`` — `UpstreamPool`;
* ``statements.py`` — named prepared statements under transaction pooling;
* ``units.py`` / ``multiplex.py`` — which client units may share an upstream connection, and
  sending those of one read batch together (``--multiplex N``);
* ``frames.py`` — cutting raw frames without decoding them;
* ``writer.py`` — sending relayed bytes at once rather than at the reactor's next turn.

Both sides' plain sockets are read by the server factory's shared `ReadLoop`
(``txpostgres_proto/readloop.py``), in batches past the reactor's per-read cost.
"""

from .factory import DEFAULT_POOL_SIZE, PoolMode, ProxyFactory
from .pool import UpstreamPool
from .session import ProxyServerProtocol
from .upstream import Upstream

__all__ = [
    "DEFAULT_POOL_SIZE",
    "PoolMode",
    "ProxyFactory",
    "ProxyServerProtocol",
    "Upstream",
    "UpstreamPool",
]
