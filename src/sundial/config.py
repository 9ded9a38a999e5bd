"""Typed settings, read from the environment each time they are asked for.

Reading on demand (rather than once at import) lets a test or a CLI flag change
``SUNDIAL_HOME`` and have every later store or artifact store follow it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Where sundial keeps its metadata and artifacts.

    - ``SUNDIAL_HOME`` (default ``~/.sundial``): the folder for the embedded defaults.
    - ``SUNDIAL_DATABASE_URL`` (default ``sqlite:///$SUNDIAL_HOME/sundial.db``): any SQLAlchemy
      URL; PostgreSQL as ``postgresql+psycopg://user:pass@host/db``.
    - ``SUNDIAL_ARTIFACT_URI`` (default ``$SUNDIAL_HOME/artifacts``): any fsspec URL.
    """

    home: Path
    database_url: str
    artifact_uri: str

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("SUNDIAL_HOME") or Path.home() / ".sundial").expanduser()
        database_url = os.environ.get("SUNDIAL_DATABASE_URL") or f"sqlite:///{home / 'sundial.db'}"
        artifact_uri = os.environ.get("SUNDIAL_ARTIFACT_URI") or str(home / "artifacts")
        return cls(home=home, database_url=normalize_database_url(database_url),
                   artifact_uri=artifact_uri)


def normalize_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at psycopg 3, the driver sundial ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
