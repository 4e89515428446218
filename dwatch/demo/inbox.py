"""The demo inbox: an SMTP server and a JSON webhook on 127.0.0.1 that keep what arrives.

`dwatch up --demo` starts it beside the site farm and points the demo supervisors' apprise URLs at it
(`Inbox.urls()`); `dwatch notify inbox` lists what arrived (`dwatch.alerts.inbox`). Messages are
appended as JSON lines to `inbox.jsonl` in the data directory, so they survive the process; the time
of arrival in China time with its offset (`2026-12-07T21:52:00+08:00`), as the office reads it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from datetime import datetime
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiosmtpd.controller import Controller
from pydantic import BaseModel

from dwatch.alerts.inbox import InboxMessage, inbox_path
from dwatch.reports.compliance import CHINA

HOST = "127.0.0.1"
PORTS_FILE = "inbox-ports.json"
_MAX_REQUEST = 1 << 20


def arrived_twice(messages: list[InboxMessage]) -> list[tuple[str, str, str]]:
    """(channel, subject, body) of every message that arrived more than once: alerts sent twice."""
    seen = Counter((m.channel, m.subject, m.body) for m in messages)
    return [key for key, times in seen.items() if times > 1]


def free_port(host: str = HOST) -> int:
    # aiosmtpd's controller cannot bind port 0 (it connects to the port to check the server is up).
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _Ports(BaseModel):
    smtp: int
    http: int


def _last_ports(data_dir: Path) -> _Ports | None:
    try:
        return _Ports.model_validate_json((data_dir / PORTS_FILE).read_bytes())
    except (OSError, ValueError):
        return None


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as both servers bind
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


class Inbox:
    """Both receivers; a context manager. Ports 0: those the data directory's inbox had last time, if
    they are free, else any free port. The demo supervisors' addresses (`urls()`) then stay the same
    from one run to the next, so a message delivered before is known as delivered, not sent again."""

    def __init__(self, data_dir: Path, *, smtp_port: int = 0, http_port: int = 0) -> None:
        self.path = inbox_path(data_dir)
        self._ports_file = data_dir / PORTS_FILE
        last = _last_ports(data_dir)
        self.smtp_port = smtp_port or (last.smtp if last and _bindable(last.smtp) else free_port())
        http_port = http_port or (last.http if last and _bindable(last.http) else 0)
        self._lock = threading.Lock()
        self._smtp = Controller(_SmtpHandler(self), hostname=HOST, port=self.smtp_port)
        self._http = ThreadingHTTPServer((HOST, http_port), _webhook_handler(self))
        self.http_port = int(self._http.server_address[1])
        self._http_thread = threading.Thread(target=self._http.serve_forever, name="inbox-http", daemon=True)

    def urls(self) -> list[str]:
        """apprise URLs that deliver here: an e-mail and a JSON webhook."""
        return [
            f"mailto://{HOST}:{self.smtp_port}?from=dwatch@localhost&to=inbox@localhost&mode=insecure",
            f"json://{HOST}:{self.http_port}/inbox",
        ]

    def start(self) -> Inbox:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._smtp.start()
        self._http_thread.start()
        self._ports_file.write_text(_Ports(smtp=self.smtp_port, http=self.http_port).model_dump_json())
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._smtp.stop()

    def __enter__(self) -> Inbox:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def keep(self, message: InboxMessage) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(message.model_dump_json() + "\n")


class _SmtpHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        # With the default policy the parser builds EmailMessage objects.
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        text = parsed.get_body(("plain",))
        html = parsed.get_body(("html",))
        self.inbox.keep(
            InboxMessage(
                received_at=datetime.now(CHINA),
                channel="email",
                sender=envelope.mail_from or "",
                recipients=list(envelope.rcpt_tos),
                subject=str(parsed.get("subject", "")),
                body=text.get_content() if text else "",
                html=html.get_content() if html else None,
            )
        )
        return "250 Message accepted"


def _webhook_handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), _MAX_REQUEST)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            payload = _payload(raw, self.headers.get("Content-Type", ""))
            inbox.keep(
                InboxMessage(
                    received_at=datetime.now(CHINA),
                    channel="webhook",
                    subject=str(payload.get("title", "")),
                    body=str(payload.get("message", raw)),
                    path=self.path,
                )
            )
            answer = b'{"errcode":0,"errmsg":"ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the inbox file is the log."""

    return Handler


def _payload(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return dict(parse_qsl(raw))
