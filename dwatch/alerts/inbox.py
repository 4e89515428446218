"""What the demo inbox received (`dwatch notify inbox`): JSON lines in `inbox.jsonl` of the data directory.

The inbox's receivers (an SMTP server and a webhook) are demo code, `dwatch.demo.inbox`; reading what
they kept needs nothing of the demo, so this stays in the production install.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

INBOX_FILE = "inbox.jsonl"


class InboxMessage(BaseModel):
    received_at: datetime
    channel: Literal["email", "webhook"]
    sender: str = ""
    recipients: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    html: str | None = None
    path: str | None = Field(default=None, description="the webhook's request path")


def inbox_path(data_dir: Path) -> Path:
    return data_dir / INBOX_FILE


def read_inbox(data_dir: Path) -> list[InboxMessage]:
    path = inbox_path(data_dir)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [InboxMessage.model_validate_json(line) for line in lines if line.strip()]
