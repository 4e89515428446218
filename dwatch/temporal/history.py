"""Histories for auditors: links to the Temporal UI, and closed histories exported as JSON blobs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel
from temporalio.client import Client

from dwatch.store.database import Store
from dwatch.temporal.settings import TemporalSettings

INDEX_FILE = "histories.jsonl"


def ui_link(settings: TemporalSettings, workflow_id: str, run_id: str) -> str:
    base = settings.ui_url.rstrip("/")
    return f"{base}/namespaces/{quote(settings.namespace, safe='')}/workflows/{quote(workflow_id, safe='')}/{run_id}/history"


class ExportedHistory(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    closed_at: datetime | None
    sha256: str


async def export_closed(client: Client, store: Store, data_dir: Path, query: str) -> list[ExportedHistory]:
    """Put the JSON history of every closed execution matching `query` into the blob store, and list
    them in the data directory's `histories.jsonl` (the blob store is addressed by content only)."""
    index = data_dir / INDEX_FILE
    known = set(index.read_text(encoding="utf-8").splitlines()) if index.exists() else set()
    exported = []
    async for execution in client.list_workflows(f"({query}) AND ExecutionStatus != 'Running'"):
        history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        sha256 = store.blobs.put(history.to_json().encode("utf-8"))
        entry = ExportedHistory(
            workflow_id=execution.id,
            run_id=execution.run_id,
            workflow_type=execution.workflow_type,
            closed_at=execution.close_time,
            sha256=sha256,
        )
        exported.append(entry)
        line = entry.model_dump_json()
        if line not in known:
            index.parent.mkdir(parents=True, exist_ok=True)
            with index.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            known.add(line)
    return exported
