"""The data directory, the SQLite file and the blobs are readable by this account only (issue 18,
attack item 10: they were 0644 though they hold password hashes and notification tokens)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from dwatch.config import Settings
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.web.security import load_secret


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (022), whatever the test runner's: files would be created 0644 by default."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings.model_validate({"data_dir": data_dir} | ({"database_url": database_url} if database_url else {}))


@pytest.mark.usefixtures("loose_umask")
def test_attack_10_a_new_data_directory_database_and_blobs_are_private(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "var" / "data")
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    try:
        with store.session() as session:
            session.execute(text("SELECT 1"))
            # While a connection is open: the database with its WAL and shared-memory files.
            database_files = list(settings.data_dir.glob("dwatch.sqlite3*"))
            assert len(database_files) == 3 and {_mode(p) for p in database_files} == {0o600}
        key = store.blobs.put("年度报告".encode())
    finally:
        store.close()
    assert _mode(settings.data_dir) == 0o700
    blob = settings.blob_dir / key[:2] / key[2:4] / key
    assert _mode(blob) == 0o600
    assert {_mode(d) for d in (settings.blob_dir, blob.parent, blob.parent.parent)} == {0o700}
    load_secret(None, settings.data_dir)
    assert _mode(settings.data_dir / "web-secret") == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_attack_10_an_existing_world_readable_store_is_tightened_at_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    key = store.blobs.put(b"%PDF-1.7 report")
    store.close()
    blob = settings.blob_dir / key[:2] / key[2:4] / key
    # As an older version left them: directories 0755, files 0644.
    loose = [settings.data_dir, settings.blob_dir, blob.parent.parent, blob.parent]
    for directory in loose:
        directory.chmod(0o755)
    database = settings.data_dir / "dwatch.sqlite3"
    for file in (database, blob):
        file.chmod(0o644)
    Store.open(settings).close()
    assert {_mode(d) for d in loose} == {0o700}
    assert (_mode(database), _mode(blob)) == (0o600, 0o600)


@pytest.mark.postgres
@pytest.mark.usefixtures("loose_umask")
def test_attack_10_with_postgresql_the_data_directory_and_blobs_are_private(tmp_path: Path, pg_url: str) -> None:
    settings = _settings(tmp_path / "data", pg_url)
    store = Store.open(settings)
    try:
        key = store.blobs.put(b"bytes")
    finally:
        store.close()
    assert _mode(settings.data_dir) == 0o700
    assert _mode(settings.blob_dir / key[:2] / key[2:4] / key) == 0o600
    assert not list(settings.data_dir.glob("*.sqlite3"))
