"""Reading a store's database URL for the processes a backend starts elsewhere (a container,
an Airflow worker, a pod): whether it carries a password, and where a SQLite file lives.

Only the store parses database URLs; backends ask here instead of importing SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["DatabaseURL", "database_url"]


@dataclass(frozen=True)
class DatabaseURL:
    """A database URL as another process on this machine or a platform would use it."""

    #: The URL to hand over, password included; a SQLite file's path made absolute, since
    #: the other process's working directory is elsewhere.
    text: str
    #: Whether the URL holds a password (a backend must not write such a URL into a file or a
    #: spec the platform shows).
    has_password: bool
    #: The absolute path of a file-backed SQLite database, else ``None``.
    sqlite_file: Path | None


def database_url(url: str) -> DatabaseURL:
    parsed = make_url(url)
    sqlite_file = None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        sqlite_file = Path(parsed.database).expanduser().resolve()
        parsed = parsed.set(database=str(sqlite_file))
    return DatabaseURL(text=parsed.render_as_string(hide_password=False),
                       has_password=parsed.password is not None, sqlite_file=sqlite_file)
