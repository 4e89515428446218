"""A document bomb in a real sweep (issue 18, attack 4): the review ends once, with PARSE-LIMIT and the
status needs_review, instead of failing and being retried five times. The review runs in the pool
process (`review_processes=1`), whose parse runs in a process of its own under the budget. And the
review pool replaces a process that died instead of failing every later review."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import pytest
from bomb_support import docx_with_xml
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import DocFormat, Scenario
from dwatch.workflows.models import report_workflow_id
from dwatch.workflows.sweep import DeadlineSweep
from sqlalchemy import select
from temporal_support import YEAR, env_for, running
from temporalio.api.enums.v1 import EventType

from dwatch import ops
from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.store.tables import AgencyStatus, Finding
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.worker import REVIEW_PROCESS_MEMORY, prepare_store, review_pool


async def _review_attempts(settings: Settings, agency_id: str) -> dict[str, list[int]]:
    """Sweep, then the attempts of the agency's crawl and review activities (a worker of every role
    reviews in the crawl), from its workflow's history."""
    async with running(settings) as client:
        sweep_id = await ops.start_sweep(settings, YEAR, client=client)
        progress = await asyncio.wait_for(client.get_workflow_handle_for(DeadlineSweep.run, sweep_id).result(), 120)
        assert progress.done == 1 and progress.failed == 0
        history = await client.get_workflow_handle(report_workflow_id(agency_id, YEAR)).fetch_history()
    scheduled = {
        event.event_id: event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type is EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and event.activity_task_scheduled_event_attributes.activity_type.name in ("crawl", "review")
    }
    failed = [
        event
        for event in history.events
        if event.event_type is EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
        and event.activity_task_failed_event_attributes.scheduled_event_id in scheduled
    ]
    assert failed == []
    attempts: dict[str, list[int]] = {}
    for event in history.events:
        if event.event_type is EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            if started.scheduled_event_id in scheduled:
                attempts.setdefault(scheduled[started.scheduled_event_id], []).append(started.attempt)
    return attempts


def test_a_docx_bomb_is_reviewed_once_into_parse_limit(
    dev_server: DevServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (agency,) = plan(1, YEAR, seed=5, scenarios=[Scenario.COMPLIANT])
    agency = agency.model_copy(update={"doc_format": DocFormat.DOCX})
    farm = Farm([agency], YEAR, seed=5)
    bomb = docx_with_xml(40 << 20)
    monkeypatch.setattr(farm.app, "document", lambda _agency_id: bomb)  # the site publishes the bomb
    data_dir = tmp_path / "var"
    settings = Settings.from_env(env_for(data_dir, dev_server.address, review_processes="1"))
    with farm, Inbox(data_dir) as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        attempts = asyncio.run(_review_attempts(settings, agency.agency_id))
        with store.session() as session:
            status = session.scalar(select(AgencyStatus.status).where(AgencyStatus.agency_id == agency.agency_id))
            findings = session.scalars(select(Finding).where(Finding.rule_id == "PARSE-LIMIT")).all()
        store.close()
    assert attempts == {"crawl": [1]}  # reviewed by the crawl, at its first attempt
    assert status == "needs_review"
    assert len(findings) == 1
    assert "DOCX文档XML解压后大小上限32MB" in findings[0].message_zh


def test_the_review_pool_replaces_a_process_that_died(tmp_path: Path) -> None:
    settings = Settings.from_env({"DWATCH_DATA_DIR": str(tmp_path / "var")})
    prepare_store(settings).close()
    pool = review_pool(settings, 1)
    try:
        first = pool.submit(os.getpid).result(60)
        assert pool.submit(resource.getrlimit, resource.RLIMIT_AS).result(60)[0] == REVIEW_PROCESS_MEMORY
        with pytest.raises(BrokenProcessPool):
            pool.submit(partial(os.kill, first, signal.SIGKILL)).result(60)  # it dies (as if out of memory)
        second = pool.submit(os.getpid).result(60)
        assert second != first
    finally:
        pool.shutdown()
