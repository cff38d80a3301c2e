"""Connection parameters resolved the way libpq resolves them: `parse_dsn` -> `ConnectParams`.

PostgreSQL documentation, chapter 34 (libpq): 34.1.2 "Parameter Key Words", 34.15
"Environment Variables", 34.16 "The Password File", 34.17 "The Connection Service File".
Sources, highest priority first:

1. keyword arguments given to `parse_dsn` (``None`` means "not given"; ``database`` is accepted
   for ``dbname``; ``server_settings`` is a mapping of extra run-time parameters for the
   StartupMessage; ``connect_timeout`` may be a float here);
2. the connection string (``key=value`` or URI, see ``conninfo.py``);
3. the service named by ``service`` / ``PGSERVICE`` in ``PGSERVICEFILE`` or
   ``~/.pg_service.conf``, then ``$PGSYSCONFDIR/pg_service.conf``;
4. the ``PG*`` environment variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD`` ...);
   ``PGDATESTYLE``, ``PGTZ`` and ``PGGEQO`` become run-time parameters, as libpq sends them;
5. defaults: host = the Unix socket directory ``/var/run/postgresql`` when it exists, else
   ``localhost``; port 5432; user = the operating-system user; database = the user name;
   ``sslmode=prefer``, ``channel_binding=prefer``, ``target_session_attrs=any``.

As in libpq, a keyword set to an empty string counts as set (the environment does not fill it)
but means "default" where a default exists.  ``host``, ``hostaddr`` and ``port`` may list
several comma-separated values, tried in order at connect time; a single port applies to every
host.  A password that was not given is looked up per host in the password file
(`ConnectParams.password_for`).

Values are validated here, with libpq's wording, so a typo fails before any connection attempt.
Where we differ from libpq, on purpose: GSSAPI (``gssencmode=require``, Kerberos) is not
supported; ``client_encoding`` must be UTF8 (or ``auto``) because the client speaks UTF-8 only;
``connect_timeout`` given as a keyword argument may be fractional (strings follow libpq: whole
seconds, and 1 means 2).
"""

from __future__ import annotations

import configparser
import os
import posixpath
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, NamedTuple

from .conninfo import KEYWORDS, DsnError, parse_conninfo
from .pgpass import default_passfile, home_directory, lookup_password

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_SOCKET_DIRECTORY",
    "ConnectParams",
    "DsnError",
    "Host",
    "parse_dsn",
]

DEFAULT_PORT: Final = 5432
#: libpq's compiled-in socket directory on Debian and its derivatives.
DEFAULT_SOCKET_DIRECTORY: Final = "/var/run/postgresql"
#: ``PGSYSCONFDIR`` when unset (Debian's ``pg_config --sysconfdir``).
DEFAULT_SYSCONFDIR: Final = "/etc/postgresql-common"

_ENVIRONMENT: Final = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "channel_binding": "PGCHANNELBINDING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "client_encoding": "PGCLIENTENCODING",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "sslcompression": "PGSSLCOMPRESSION",
    "requirepeer": "PGREQUIREPEER",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "gsslib": "PGGSSLIB",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
}
#: Environment variables libpq turns into run-time parameters of the StartupMessage.
_SETTING_ENVIRONMENT: Final = {"PGDATESTYLE": "datestyle", "PGTZ": "timezone", "PGGEQO": "geqo"}

SSL_MODES: Final = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
CHANNEL_BINDING_MODES: Final = ("disable", "prefer", "require")
TARGET_SESSION_ATTRS: Final = (
    "any",
    "read-write",
    "read-only",
    "primary",
    "standby",
    "prefer-standby",
)
_TLS_VERSIONS: Final = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_UTF8_NAMES: Final = frozenset(("utf8", "utf-8", "unicode", "auto"))


class Host(NamedTuple):
    """One server to try: a host name, IP address or socket directory, and a port.

    ``hostaddr`` is libpq's numeric address: when set, the connection goes there and ``host``
    (possibly empty) is only the name used for certificate checks and the password file.
    """

    host: str
    port: int
    hostaddr: str | None = None

    @property
    def is_unix_socket(self) -> bool:
        return self.hostaddr is None and self.host.startswith("/")

    @property
    def socket_path(self) -> str:
        """The socket file: ``<directory>/.s.PGSQL.<port>``."""
        return posixpath.join(self.host, f".s.PGSQL.{self.port}")

    @property
    def address(self) -> str:
        """What a TCP connection connects to: ``hostaddr``, else ``host``."""
        return self.hostaddr or self.host

    @property
    def passfile_host(self) -> str:
        """The host name this server is looked up by in the password file."""
        name = self.host or self.hostaddr or ""
        if not name or name == DEFAULT_SOCKET_DIRECTORY:
            return "localhost"
        return name

    def describe(self) -> str:
        """How error messages name this server (libpq's wording)."""
        if self.is_unix_socket:
            return f'server on socket "{self.socket_path}"'
        if self.hostaddr and self.host and self.host != self.hostaddr:
            return f'server at "{self.host}" ({self.hostaddr}), port {self.port}'
        return f'server at "{self.address}", port {self.port}'


@dataclass(frozen=True, slots=True)
class ConnectParams:
    """Everything needed to connect, resolved and validated (see the module docstring)."""

    hosts: tuple[Host, ...]
    user: str
    database: str
    password: str | None = field(default=None, repr=False)
    passfile: str | None = None
    application_name: str | None = None
    connect_timeout: float | None = None
    options: str | None = None
    replication: str | None = None
    server_settings: Mapping[str, str] = field(default_factory=dict)
    sslmode: str = "prefer"
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None
    sslpassword: str | None = field(default=None, repr=False)
    sslcrl: str | None = None
    sslcrldir: str | None = None
    sslsni: bool = True
    ssl_min_protocol_version: str | None = "TLSv1.2"
    ssl_max_protocol_version: str | None = None
    channel_binding: str = "prefer"
    target_session_attrs: str = "any"
    load_balance_hosts: str = "disable"
    requirepeer: str | None = None
    keepalives: bool = True
    keepalives_idle: int | None = None
    keepalives_interval: int | None = None
    keepalives_count: int | None = None
    tcp_user_timeout: int | None = None

    def password_for(self, host: Host) -> str | None:
        """The password for ``host``: the one given, else the password file's, else None."""
        if self.password is not None:
            return self.password
        if self.passfile is None:
            return None
        return lookup_password(
            self.passfile, host.passfile_host, host.port, self.database, self.user
        )

    def startup_parameters(self) -> dict[str, str]:
        """Run-time parameters for the StartupMessage besides user, database, application name."""
        parameters = dict(self.server_settings)
        if self.options:
            parameters["options"] = self.options
        if self.replication:
            parameters["replication"] = self.replication
        return parameters


def parse_dsn(dsn: str | None = None, **overrides: object) -> ConnectParams:
    """Resolve connection parameters from ``dsn``, keyword arguments, services, env, defaults."""
    values: dict[str, object] = dict(parse_conninfo(dsn)) if dsn else {}
    server_settings: dict[str, str] = {}
    for keyword, value in overrides.items():
        if value is None:
            continue
        if keyword == "server_settings":
            if not isinstance(value, Mapping):
                raise DsnError("server_settings must be a mapping of parameter names to values")
            server_settings.update({str(k): str(v) for k, v in value.items()})
            continue
        keyword = "dbname" if keyword == "database" else keyword
        if keyword not in KEYWORDS:
            raise DsnError(f'invalid connection option "{keyword}"')
        values[keyword] = value
    service = _text(values.get("service")) or os.environ.get("PGSERVICE")
    if service:
        for keyword, value in _service_values(service).items():
            values.setdefault(keyword, value)
    for keyword, variable in _ENVIRONMENT.items():
        if keyword not in values and variable in os.environ:
            values[keyword] = os.environ[variable]
    for variable, setting in _SETTING_ENVIRONMENT.items():
        if variable in os.environ:
            server_settings.setdefault(setting, os.environ[variable])
    return _build(values, server_settings)


# ------------------------------------------------------------------------- building


def _text(value: object) -> str:
    """A parameter value as libpq sees it: booleans as 1/0, everything else as str()."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _choice(values: Mapping[str, object], keyword: str, allowed: tuple[str, ...]) -> str | None:
    text = _text(values.get(keyword))
    if not text:
        return None
    if text not in allowed:
        raise DsnError(f'invalid {keyword} value: "{text}"')
    return text


def _integer(values: Mapping[str, object], keyword: str) -> int | None:
    text = _text(values.get(keyword)).strip()
    if not text:
        return None
    try:
        return int(text, 10)
    except ValueError:
        raise DsnError(
            f'invalid integer value "{text}" for connection option "{keyword}"'
        ) from None


def _flag(values: Mapping[str, object], keyword: str, default: bool) -> bool:
    number = _integer(values, keyword)
    return default if number is None else number != 0


def _connect_timeout(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    seconds = _integer({"connect_timeout": value}, "connect_timeout")
    if seconds is None or seconds <= 0:
        return None
    return float(max(seconds, 2))


def _split(values: Mapping[str, object], keyword: str) -> list[str]:
    text = _text(values.get(keyword))
    return text.split(",") if text else []


def default_user() -> str:
    """The operating-system user name (libpq uses the effective user id)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        raise DsnError("could not look up the local user name; set user or PGUSER") from None


def default_host() -> str:
    """The default socket directory when it exists, else ``localhost``."""
    return DEFAULT_SOCKET_DIRECTORY if os.path.isdir(DEFAULT_SOCKET_DIRECTORY) else "localhost"


def _port(text: str) -> int:
    if not text.strip():
        return DEFAULT_PORT
    try:
        port = int(text.strip(), 10)
    except ValueError:
        raise DsnError(f'invalid integer value "{text}" for connection option "port"') from None
    if not 1 <= port <= 65535:
        raise DsnError(f'invalid port number: "{text}"')
    return port


def _hosts(values: Mapping[str, object]) -> tuple[Host, ...]:
    names = _split(values, "host")
    addresses = _split(values, "hostaddr")
    ports = _split(values, "port")
    if names and addresses and len(names) != len(addresses):
        raise DsnError(
            f"could not match {len(names)} host names to {len(addresses)} hostaddr values"
        )
    count = max(len(names), len(addresses), 1)
    if len(ports) not in (0, 1, count):
        raise DsnError(f"could not match {len(ports)} port numbers to {count} hosts")
    hosts = []
    for index in range(count):
        name = names[index].strip() if names else ""
        address = addresses[index].strip() if addresses else ""
        port = _port(ports[index] if len(ports) == count else ports[0] if ports else "")
        if not name and not address:
            name = default_host()
        hosts.append(Host(name, port, address or None))
    return tuple(hosts)


def _passfile(values: Mapping[str, object]) -> str | None:
    if text := _text(values.get("passfile")):
        return str(Path(text).expanduser())
    return str(default_passfile())


def _check_unsupported(values: Mapping[str, object]) -> None:
    if _text(values.get("gssencmode")) == "require":
        raise DsnError('gssencmode value "require" invalid when GSSAPI support is not compiled in')
    _choice(values, "gssencmode", ("disable", "prefer", "require"))
    encoding = _text(values.get("client_encoding"))
    if encoding and encoding.lower() not in _UTF8_NAMES:
        raise DsnError(f'client_encoding "{encoding}" is not supported: this client speaks UTF8')


def _build(values: Mapping[str, object], server_settings: dict[str, str]) -> ConnectParams:
    _check_unsupported(values)
    user = _text(values.get("user")) or default_user()
    sslmode = _choice(values, "sslmode", SSL_MODES) or "prefer"
    sslrootcert = _text(values.get("sslrootcert")) or None
    if sslrootcert == "system" and sslmode != "verify-full":
        raise DsnError(
            f'weak sslmode "{sslmode}" may not be used with sslrootcert=system (use "verify-full")'
        )
    tls_min = _choice(values, "ssl_min_protocol_version", _TLS_VERSIONS)
    tls_max = _choice(values, "ssl_max_protocol_version", _TLS_VERSIONS)
    tls_min = tls_min or (None if "ssl_min_protocol_version" in values else "TLSv1.2")
    if tls_min and tls_max and _TLS_VERSIONS.index(tls_min) > _TLS_VERSIONS.index(tls_max):
        raise DsnError("invalid SSL protocol version range")
    return ConnectParams(
        hosts=_hosts(values),
        user=user,
        database=_text(values.get("dbname")) or user,
        password=_text(values.get("password")) or None,
        passfile=_passfile(values),
        application_name=(
            _text(values.get("application_name"))
            or _text(values.get("fallback_application_name"))
            or None
        ),
        connect_timeout=_connect_timeout(values.get("connect_timeout")),
        options=_text(values.get("options")) or None,
        replication=_text(values.get("replication")) or None,
        server_settings=server_settings,
        sslmode=sslmode,
        sslrootcert=sslrootcert,
        sslcert=_text(values.get("sslcert")) or None,
        sslkey=_text(values.get("sslkey")) or None,
        sslpassword=_text(values.get("sslpassword")) or None,
        sslcrl=_text(values.get("sslcrl")) or None,
        sslcrldir=_text(values.get("sslcrldir")) or None,
        sslsni=_flag(values, "sslsni", True),
        ssl_min_protocol_version=tls_min,
        ssl_max_protocol_version=tls_max,
        channel_binding=_choice(values, "channel_binding", CHANNEL_BINDING_MODES) or "prefer",
        target_session_attrs=(
            _choice(values, "target_session_attrs", TARGET_SESSION_ATTRS) or "any"
        ),
        load_balance_hosts=(
            _choice(values, "load_balance_hosts", ("disable", "random")) or "disable"
        ),
        requirepeer=_text(values.get("requirepeer")) or None,
        keepalives=_flag(values, "keepalives", True),
        keepalives_idle=_integer(values, "keepalives_idle"),
        keepalives_interval=_integer(values, "keepalives_interval"),
        keepalives_count=_integer(values, "keepalives_count"),
        tcp_user_timeout=_integer(values, "tcp_user_timeout"),
    )


# ------------------------------------------------------------------------- service file


def _service_files() -> list[Path]:
    files = []
    if user_file := os.environ.get("PGSERVICEFILE"):
        files.append(Path(user_file))
    else:
        files.append(home_directory() / ".pg_service.conf")
    sysconfdir = os.environ.get("PGSYSCONFDIR", DEFAULT_SYSCONFDIR)
    files.append(Path(sysconfdir) / "pg_service.conf")
    return files


def _service_values(service: str) -> dict[str, str]:
    """The keywords of ``[service]`` in the first service file that defines it."""
    for path in _service_files():
        parser = configparser.ConfigParser(
            delimiters=("=",), comment_prefixes=("#",), interpolation=None, strict=False
        )
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            with open(path, encoding="utf-8") as handle:
                parser.read_file(handle)
        except FileNotFoundError:
            continue
        except (OSError, configparser.Error) as error:
            raise DsnError(f'could not read service file "{path}": {error}') from None
        if not parser.has_section(service):
            continue
        result = {}
        for keyword, value in parser.items(service):
            if keyword == "service":
                raise DsnError(
                    f'nested service specifications not supported in service file "{path}"'
                )
            if keyword not in KEYWORDS:
                raise DsnError(
                    f'syntax error in service file "{path}": invalid keyword "{keyword}"'
                )
            result[keyword] = value
        return result
    raise DsnError(f'definition of service "{service}" not found')
