"""Maps ``YOUSU_DATABASE_URL`` onto eventsourcing's persistence settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/yousu.db"
# table creation serialised across processes (adapters/pg_setup.py); a topic, so SQLite never imports it
PG_RECORDER_TOPIC = "adapters.pg_setup:SerialisedPostgresApplicationRecorder"
# bounded writes and the access index on SQLite (adapters/sqlite_setup.py)
SQLITE_RECORDER_TOPIC = "adapters.sqlite_setup:IndexedSQLiteApplicationRecorder"
# the event store's factory when the URL asks libpq for a kind of server (target_session_attrs)
PG_TARGETED_FACTORY_TOPIC = "adapters.pg_setup:TargetedPostgresFactory"
MAX_PORT = 65535
TARGET_SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


class DatabaseURLError(ValueError):
    """The database URL is not one yousu understands."""


@dataclass(frozen=True)
class Database:
    """A parsed database URL and the eventsourcing environment it implies."""

    url: str
    kind: str  # "sqlite" | "postgresql" | "memory"
    env: dict[str, str]
    sqlite_path: Path | None = None

    @property
    def redacted(self) -> str:
        """The URL without its password, for logs and status output."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (error messages end up in logs)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def parse_database_url(url: str, *, create_dirs: bool = True) -> Database:
    """``sqlite:///relative/path.db``, ``sqlite:////abs/path.db``, ``postgresql://u@h:p/db`` or ``memory://``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return Database(url, "memory", {"PERSISTENCE_MODULE": "eventsourcing.popo"})
    if scheme == "sqlite":
        raw = unquote(parts.path)
        if not raw or raw == "/":
            msg = f"sqlite URL needs a file path: {url!r}"
            raise DatabaseURLError(msg)
        # sqlite:///var/yousu.db → relative "var/yousu.db"; sqlite:////tmp/x.db → "/tmp/x.db"
        path = Path(raw[1:]) if raw.startswith("/") else Path(raw)
        if create_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "5",
            "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
        }
        return Database(url, "sqlite", env, sqlite_path=path)
    if scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        hosts, ports = _hosts(parts.netloc, url)
        if not dbname or not hosts or not parts.username:
            msg = f"postgresql URL needs user, host and database: postgresql://user@host:port/db, got {redact(url)!r}"
            raise DatabaseURLError(msg)
        attrs = _target_session_attrs(parts.query, several=len(hosts) > 1, url=url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": ",".join(hosts),
            "POSTGRES_PORT": ",".join(ports),
            "POSTGRES_USER": unquote(parts.username),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            # also the longest wait for a pooled connection (writes wait only what their request has left)
            "POSTGRES_CONNECT_TIMEOUT": "3",
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_MAX_WAITING": "20",
            # no ping per checkout: a broken pooled connection fails its statement, the pool discards
            # it, and eventsourcing retries the call (OperationalError/InterfaceError) on a fresh one
            "POSTGRES_PRE_PING": "n",
            "POSTGRES_LOCK_TIMEOUT": "5",
            # a transaction whose client went away (a cut connection, an abandoned worker) ends, and rolls back
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "5",
            "APPLICATION_RECORDER_TOPIC": PG_RECORDER_TOPIC,
        }
        if attrs is not None:
            env["POSTGRES_TARGET_SESSION_ATTRS"] = attrs
            env["PERSISTENCE_MODULE"] = PG_TARGETED_FACTORY_TOPIC
        return Database(url, "postgresql", env)
    msg = f"unsupported database URL scheme {scheme!r}: use sqlite:///path, postgresql://user@host:port/db"
    raise DatabaseURLError(msg)


def _hosts(netloc: str, url: str) -> tuple[list[str], list[str]]:
    """``host[:port]`` entries of the URL, several separated by commas (libpq's multi-host form)."""
    hostlist = netloc.rpartition("@")[2]
    hosts: list[str] = []
    ports: list[str] = []
    for entry in hostlist.split(",") if hostlist else []:
        bracketed = entry.startswith("[")  # an IPv6 address: [::1] or [::1]:5432
        host, colon, port = entry.rpartition(":") if not entry.endswith("]") else (entry, "", "")
        if not colon or (not bracketed and ":" in host):
            host, port = entry, ""
        host = host.strip("[]")
        if not host:
            return [], []
        if port and not (port.isdigit() and 1 <= int(port) <= MAX_PORT):
            msg = f"postgresql URL has an invalid port (expected 1-65535): {redact(url)!r}"
            raise DatabaseURLError(msg)
        hosts.append(unquote(host))
        ports.append(port or "5432")
    return hosts, ports


def _target_session_attrs(query: str, *, several: bool, url: str) -> str | None:
    """``?target_session_attrs=`` of the URL; with several hosts and none given, ``read-write`` (the primary)."""
    given = parse_qs(query).get("target_session_attrs")
    if not given:
        return "read-write" if several else None
    value = given[-1]
    if value not in TARGET_SESSION_ATTRS:
        allowed = ", ".join(TARGET_SESSION_ATTRS)
        msg = f"postgresql URL: target_session_attrs must be one of {allowed}, got {redact(url)!r}"
        raise DatabaseURLError(msg)
    return value


def libpq_params(env: dict[str, str]) -> dict[str, Any]:
    """The libpq connection parameters of a PostgreSQL database's environment (several hosts allowed)."""
    params: dict[str, Any] = {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env.get("POSTGRES_PASSWORD") or None,
    }
    if env.get("POSTGRES_TARGET_SESSION_ATTRS"):
        params["target_session_attrs"] = env["POSTGRES_TARGET_SESSION_ATTRS"]
    return params
