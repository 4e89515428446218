"""What the local receivers got, and registry rows pointing at them.

- `smtp`: an aiosmtpd server keeping every e-mail;
- `web`: one HTTP server for json:// and form:// webhooks and for the WeCom / DingTalk / Feishu
  stand-ins (apprise's plugins are pointed at it through `alerts.api_bases`); a key or token
  containing "bad" is rejected the way those services do: HTTP 200 with a non-zero errcode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qsl

REJECTION = {"errcode": 93000, "errmsg": "invalid webhook url"}


@dataclass
class Request:
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8")))


@dataclass
class Web:
    port: int
    requests: list[Request] = field(default_factory=list)

    def at(self, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Mail:
    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    def html(self, message: EmailMessage) -> str:
        part = message.get_body(("html",))
        assert part is not None
        return str(part.get_content())


def mailto(mail: Mail, to: str) -> str:
    return f"mailto://127.0.0.1:{mail.port}?from=dwatch@example.gov.cn&to={to}&mode=insecure"


def agency(agency_id: str, supervisor: str, region: str = "431202", **extra: Any) -> dict[str, Any]:
    return {
        "id": agency_id,
        "name": f"机关{agency_id}",
        "kind": "department",
        "region": region,
        "supervisor": supervisor,
        "base_url": "https://www.example.gov.cn/",
        "listing_urls": ["https://www.example.gov.cn/nb/"],
        **extra,
    }
