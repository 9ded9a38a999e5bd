"""The store's reading of a database URL for processes started elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from sundial.store.urls import database_url


def test_a_relative_sqlite_file_becomes_absolute(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = database_url("sqlite:///data/sundial.db")
    assert url.sqlite_file == tmp_path / "data" / "sundial.db"
    assert url.text == f"sqlite:///{tmp_path}/data/sundial.db"
    assert not url.has_password


def test_a_server_url_keeps_its_password_and_says_so() -> None:
    url = database_url("postgresql+psycopg://app:s3cret@db:5432/sundial")
    assert url.has_password and url.sqlite_file is None
    assert url.text == "postgresql+psycopg://app:s3cret@db:5432/sundial"
    assert not database_url("postgresql+psycopg://postgres@127.0.0.1/test").has_password


def test_an_in_memory_database_has_no_file() -> None:
    assert database_url("sqlite://").sqlite_file is None
    assert database_url("sqlite:///:memory:").sqlite_file is None
