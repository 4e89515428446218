"""Replay the recorded histories (tests/histories/*.json) against today's workflow code: a change
that would break running workflows fails here, in CI, before it reaches a worker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from dwatch.temporal.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_histories_are_recorded() -> None:
    names = {p.stem for p in HISTORIES}
    assert {"sweep", "report_missing_escalated", "report_polled_then_published", "report_waived"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_history_replays_deterministically(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    workflow_id = next(
        e["workflowExecutionStartedEventAttributes"].get("workflowId", path.stem)
        for e in json.loads(text)["events"]
        if "workflowExecutionStartedEventAttributes" in e
    )
    history = WorkflowHistory.from_json(workflow_id, text)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = asyncio.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    assert result.replay_failure is None, result.replay_failure


def test_histories_carry_references_not_documents() -> None:
    # Documents never travel through history: a sha256 reference and small results only.
    for path in HISTORIES:
        assert path.stat().st_size < 100_000
        assert "<html" not in path.read_text(encoding="utf-8").lower()
