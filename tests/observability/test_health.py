"""The probes of the web app: /healthz always, /readyz only while the database answers; both open to
anyone (even with public reading off) and absent from the API schema."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from dwatch.config import Settings
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.temporal.devserver import free_port
from dwatch.web.app import create_app


def settings_for(data_dir: Path, **values: object) -> Settings:
    web = {"session_secret": "test-secret-of-sufficient-length", "public_read": False}
    return Settings.model_validate({"data_dir": data_dir, "web": web, **values})


def test_probes_answer_with_a_store(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    try:
        client = TestClient(create_app(settings, store))
        for path in ("/healthz", "/readyz"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.json() == {"status": "ok"}
        assert client.get("/api/v1/findings").status_code == 401  # the rest still needs signing in
        schema = client.get("/api/openapi.json").json()
        assert not {"/healthz", "/readyz"} & set(schema["paths"])
    finally:
        store.close()


def test_not_ready_while_the_database_is_unreachable(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    settings = settings_for(tmp_path, database_url=f"postgresql+psycopg://dwatch:pw@127.0.0.1:{closed}/dwatch")
    store = Store.open(settings)
    try:
        client = TestClient(create_app(settings, store))
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert "pw" not in response.text
    finally:
        store.close()


def test_not_ready_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = Store.open(settings)  # no connection yet: the file is opened on first use
    (tmp_path / "dwatch.sqlite3").mkdir()  # a directory where the database file should be
    try:
        client = TestClient(create_app(settings, store))
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    finally:
        store.close()
