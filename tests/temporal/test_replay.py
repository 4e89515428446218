"""Replay the recorded histories (tests/histories/*.json) against today's workflow code: a change
that would break running workflows fails here, in CI, before it reaches a worker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from dwatch.activities.alerts import AlertActivities
from dwatch.activities.crawl import CrawlActivities
from dwatch.activities.report import ReportActivities
from dwatch.activities.review import ReviewActivities
from dwatch.activities.runs import RunActivities
from dwatch.activities.sweep import SweepActivities
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.workflows import models
from dwatch.workflows.models import ActivityType, SweepProgress
from dwatch.workflows.sweep import DeadlineSweep
from temporal_support import YEAR, assert_sweep_complete, running, settings_for
from temporalio import activity
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from dwatch import ops
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.worker import WORKFLOWS, prepare_store

# Recorded by today's code (tests/histories/record.py), and by earlier versions of it, kept in
# subfolders named after the change that followed them: workflows of every version may still be
# running when a new worker is deployed.
HISTORY_DIR = Path(__file__).parents[1] / "histories"
HISTORIES = sorted(HISTORY_DIR.rglob("*.json"))
RECORDED = {"sweep", "report_missing_escalated", "report_polled_then_published", "report_waived"}


@pytest.mark.parametrize(
    "folder",
    [
        HISTORY_DIR,
        HISTORY_DIR / "before-local-store-activities",
        HISTORY_DIR / "before-local-alert",
        HISTORY_DIR / "before-local-escalate-and-report",
    ],
    ids=lambda p: p.name,
)
def test_histories_are_recorded(folder: Path) -> None:
    assert {p.stem for p in folder.glob("*.json")} >= RECORDED


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: str(p.relative_to(HISTORY_DIR).with_suffix("")))
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


def test_activities_keep_the_names_histories_recorded() -> None:
    # Workflows call activities by the names in workflows/models.py; the activities register under them.
    recorded = {
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for path in HISTORIES
        for e in json.loads(path.read_text(encoding="utf-8"))["events"]
        if "activityTaskScheduledEventAttributes" in e
    }
    declared = {a.name for a in vars(models).values() if isinstance(a, ActivityType)}
    classes = (AlertActivities, CrawlActivities, ReportActivities, ReviewActivities, RunActivities, SweepActivities)
    registered = {
        defn.name
        for cls in classes
        for member in vars(cls).values()
        if callable(member) and (defn := activity._Definition.from_callable(member)) is not None
    }
    assert recorded <= declared
    assert declared == registered


def test_histories_carry_references_not_documents() -> None:
    # Documents never travel through history: a sha256 reference and small results only.
    for path in HISTORIES:
        assert path.stat().st_size < 100_000
        assert "<html" not in path.read_text(encoding="utf-8").lower()


def test_a_sweep_completes_with_every_workflow_task_replayed(dev_server: DevServer, tmp_path: Path) -> None:
    # No workflow cache: every workflow task replays the history so far, as after a worker restart or
    # an eviction. Code that decides differently on replay (a patch asked at the wrong point, say)
    # fails here rather than in a sweep of thousands. In the sandbox too (off by default), which
    # fails on a workflow that reaches for I/O, clocks or randomness.
    settings = settings_for(tmp_path / "var", dev_server.address, max_cached_workflows="0", workflow_sandbox="true")
    farm = Farm(plan(8, YEAR, seed=4, scenarios=[Scenario.COMPLIANT, Scenario.MISSING]), YEAR, seed=4)
    farm.prerender()
    with farm, Inbox(tmp_path / "var") as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        store.close()

        async def sweep() -> SweepProgress:
            async with running(settings) as client:
                sweep_id = await ops.start_sweep(settings, YEAR, client=client)
                handle = client.get_workflow_handle_for(DeadlineSweep.run, sweep_id)
                return await asyncio.wait_for(handle.result(), 120)

        progress = asyncio.run(sweep())
    assert_sweep_complete(settings, progress, 8)
    assert progress.by_status == {"compliant": 4, "missing": 4}
