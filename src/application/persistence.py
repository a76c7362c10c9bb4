"""Maps ``YOUSU_DATABASE_URL`` onto eventsourcing's persistence settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/yousu.db"
# table creation serialised across processes (application/pg_setup.py); a topic, so SQLite never imports it
PG_RECORDER_TOPIC = "application.pg_setup:SerialisedPostgresApplicationRecorder"
# bounded writes and the access index on SQLite (application/sqlite_setup.py)
SQLITE_RECORDER_TOPIC = "application.sqlite_setup:IndexedSQLiteApplicationRecorder"


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
        if not dbname or not parts.hostname or not parts.username:
            msg = f"postgresql URL needs user, host and database: postgresql://user@host:port/db, got {redact(url)!r}"
            raise DatabaseURLError(msg)
        try:
            port = parts.port or 5432
        except ValueError as exc:  # urllib's own message names neither the URL nor the setting
            msg = f"postgresql URL has an invalid port (expected 1-65535): {redact(url)!r}"
            raise DatabaseURLError(msg) from exc
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(port),
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
        return Database(url, "postgresql", env)
    msg = f"unsupported database URL scheme {scheme!r}: use sqlite:///path, postgresql://user@host:port/db"
    raise DatabaseURLError(msg)
