"""Shared fixtures: every store-backed test runs on SQLite and on PostgreSQL.

PostgreSQL tests use a fresh schema each (so parallel workers never meet). When the server is
missing they skip on a developer's machine but fail under `make test` and in CI
(SUNDIAL_REQUIRE_POSTGRES=1 or CI=true), as the project requires.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("SUNDIAL_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("SUNDIAL_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        engine.dispose()
        msg = f"PostgreSQL at {PG_URL} is not reachable: {err.orig}"
        if REQUIRE_PG:
            pytest.fail(msg + " (required under make test / CI)")
        pytest.skip(msg)
    sep = "&" if "?" in PG_URL else "?"
    try:
        # Named after the schema, so that the test's connections can be told apart below.
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with engine.connect() as conn:
            # Close what the test left open (stores it never closed keep their pools until
            # they are collected): under `make test`'s workers, and beside other suites on
            # the same server, such leftovers would exhaust max_connections.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                         {"name": schema})
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sundial.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sundial_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """SUNDIAL_HOME in a temp dir and the database under test; returns the home."""
    home = tmp_path / "home"
    monkeypatch.setenv("SUNDIAL_HOME", str(home))
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", database_url)
    monkeypatch.delenv("SUNDIAL_ARTIFACT_URI", raising=False)
    return home


@pytest.fixture
def sqlite_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Embedded defaults only (SQLite file under a temp SUNDIAL_HOME)."""
    home = tmp_path / "home"
    monkeypatch.setenv("SUNDIAL_HOME", str(home))
    monkeypatch.delenv("SUNDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SUNDIAL_ARTIFACT_URI", raising=False)
    return home
