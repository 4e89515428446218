"""Fixtures: real receivers on 127.0.0.1 and a SQLite store with a registry pointing at them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from aiosmtpd.controller import Controller
from alerts.receivers import REJECTION, Mail, Request, Web

from dwatch.config import Settings
from dwatch.demo.inbox import free_port
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry


@pytest.fixture
def web() -> Iterator[Web]:
    received = Web(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Request(parts.path, dict(parse_qsl(parts.query)), self.headers["Content-Type"], body, time.time())
            received.requests.append(request)
            answer = json.dumps(REJECTION if "bad" in self.path else {"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[Mail]:
    mail = Mail(port=free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            mail.messages.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default)))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=mail.port)
    controller.start()
    yield mail
    controller.stop()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: a receiver that is down."""
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, web: Web) -> Settings:
    stand_ins = dict.fromkeys(("wecombot", "dingtalk", "feishu"), web.base)
    return Settings.model_validate(
        {
            "data_dir": tmp_path,
            "public_url": "https://dwatch.example.gov.cn",
            "alerts": {
                "escalation_days": 10,
                "retry_attempts": 3,
                "retry_backoff": 0.2,
                "timeout": 2,
                "request_interval": 0,
                "api_bases": stand_ins,
            },
        }
    )


@pytest.fixture
def make_store(settings: Settings) -> Iterator[Any]:
    """Build the store with the given supervisors and agencies (a registry as plain data)."""
    stores: list[Store] = []

    def make(supervisors: list[dict[str, Any]], agencies: list[dict[str, Any]]) -> Store:
        migrate.upgrade(settings.database_url)
        store = Store.open(settings)
        stores.append(store)
        document = yaml.safe_dump({"supervisors": supervisors, "agencies": agencies}, allow_unicode=True)
        with store.session() as session:
            import_registry(session, read_registry(document.encode("utf-8"), "yaml"))
        return store

    yield make
    for store in stores:
        store.close()
