"""End to end on the dev server: a sweep of 50 farm agencies, every scenario, then ops on one of them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm, plan
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.workflows.agency_report import AgencyReport
from dwatch.workflows.models import report_workflow_id
from dwatch.workflows.sweep import DeadlineSweep
from sqlalchemy import func, select
from temporal_support import YEAR, eventually, running, settings_for
from temporalio.client import WorkflowExecutionStatus

from dwatch import ops
from dwatch.alerts.inbox import read_inbox
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import DEMO_SUPERVISOR, import_demo
from dwatch.store.audit import audit
from dwatch.store.database import Store
from dwatch.store.tables import AgencyStatus, Document, Finding, Notification, WorkflowRun
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.history import export_closed
from dwatch.temporal.worker import prepare_store

SCENARIOS = [
    Scenario.COMPLIANT,
    Scenario.MISSING,
    Scenario.LATE,
    Scenario.DEFECTIVE,
    Scenario.DOWN,
    Scenario.REPLACED,
    Scenario.COMPLIANT,
    Scenario.FLAKY,
    Scenario.WRONG_TYPE,
    Scenario.OFF_HOST,
]
EXPECTED = {
    Scenario.COMPLIANT: "compliant",
    Scenario.REPLACED: "compliant",
    Scenario.FLAKY: "compliant",
    Scenario.WRONG_TYPE: "compliant",
    Scenario.MISSING: "missing",
    Scenario.LATE: "late",
    Scenario.DEFECTIVE: "defective",
    Scenario.DOWN: "unreachable",
    Scenario.OFF_HOST: "unreachable",
}


@pytest.fixture(scope="module")
def farm() -> Iterator[Farm]:
    farm = Farm(plan(50, YEAR, seed=5, scenarios=SCENARIOS), YEAR, seed=5)
    farm.prerender()
    with farm:
        yield farm


def test_sweep_of_fifty_agencies_ends_with_status_findings_and_alerts(
    dev_server: DevServer, farm: Farm, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "var", dev_server.address)
    with Inbox(tmp_path / "var") as inbox:
        store = prepare_store(settings)
        import_demo(store, farm, inbox.urls())
        asyncio.run(_sweep_then_ops(settings, farm, store))
        store.close()
        arrived = read_inbox(tmp_path / "var")
    subjects = Counter(m.subject for m in arrived)
    assert arrived and max(subjects.values()) <= 2  # e-mail + webhook per message: never twice


async def _sweep_then_ops(settings, farm: Farm, store: Store) -> None:
    async with running(settings) as client:
        sweep_id = await ops.start_sweep(settings, YEAR)
        progress = await asyncio.wait_for(client.get_workflow_handle_for(DeadlineSweep.run, sweep_id).result(), 150)
        assert progress.done == 50 and progress.failed == 0 and progress.finished

        with store.session() as session:
            status = dict(session.execute(select(AgencyStatus.agency_id, AgencyStatus.status)).tuples().all())
        wrong = {
            a.agency_id: (a.scenario, status.get(a.agency_id))
            for a in farm.agencies
            if status.get(a.agency_id) != EXPECTED[a.scenario]
        }
        assert not wrong
        assert progress.by_status == dict(Counter(status.values()))
        await _search_attributes_filter_by_status(client, settings.temporal.task_queue, farm, progress.by_status)

        with store.session() as session:
            defective = [a.agency_id for a in farm.agencies if a.scenario is Scenario.DEFECTIVE]
            assert all(
                session.scalar(select(func.count()).select_from(Finding).where(Finding.agency_id == a))
                for a in defective
            )
            # every record names the workflow run that made it
            runs = session.scalars(select(WorkflowRun.workflow_id).where(WorkflowRun.kind == "report")).all()
            assert {report_workflow_id(a.agency_id, YEAR) for a in farm.agencies} <= set(runs)
            assert not session.scalar(
                select(func.count()).select_from(AgencyStatus).where(AgencyStatus.workflow_run_id.is_(None))
            )
            alerted = session.scalars(select(Notification.idempotency_key)).all()
        assert any(":immediate:" in k for k in alerted) and any(":escalation:" in k for k in alerted)
        assert any(k.startswith(f"digest:{YEAR}:{DEMO_SUPERVISOR}:") for k in alerted)

        await _reports_never_found_have_an_audit_trail(store, farm, sweep_id)

        # Changed after publication: ops re-crawl archives a second version and re-checks it.
        replaced = next(a for a in farm.agencies if a.scenario is Scenario.REPLACED)
        farm.app.replace(replaced.agency_id)
        result = await ops.recrawl(settings, replaced.agency_id, YEAR)
        assert result.workflow_id == report_workflow_id(replaced.agency_id, YEAR)
        with store.session() as session:
            versions = session.scalars(select(Document.version).where(Document.agency_id == replaced.agency_id)).all()
        assert sorted(versions) == [1, 2]

        # Re-check with the current catalogue, and a rejected update (validators run before history).
        defective_id = next(a.agency_id for a in farm.agencies if a.scenario is Scenario.DEFECTIVE)
        assert (await ops.recheck(settings, defective_id, YEAR)).status == "defective"
        with store.session() as session:
            fingerprint = session.scalars(select(Finding.fingerprint).where(Finding.agency_id == defective_id)).first()
        with pytest.raises(ops.OpsUnavailableError, match="理由"):
            await ops.waive(settings, defective_id, YEAR, fingerprint, "", "审核员")
        waived = await ops.waive(settings, defective_id, YEAR, fingerprint, "经核实为排版问题", "审核员")
        assert waived.status == "waived"
        # The waiver started a new run (the last one had finished): it checks, keeps the waiver and ends.
        handle = client.get_workflow_handle_for(AgencyReport.run, report_workflow_id(defective_id, YEAR))
        state = await asyncio.wait_for(handle.result(), 30)
        assert state.status == "defective" and state.waived == [fingerprint]
        assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED

        # Closed histories go to the blob store as JSON, for auditors after Temporal's retention.
        query = (
            f"WorkflowId = '{report_workflow_id(defective_id, YEAR)}' AND TaskQueue = '{settings.temporal.task_queue}'"
        )
        exported = await export_closed(client, store, settings.data_dir, query)
        assert len(exported) == 3  # the sweep's run, the re-check's and the waiver's
        assert all(b'"events"' in store.blobs.get(e.sha256) for e in exported)


async def _reports_never_found_have_an_audit_trail(store: Store, farm: Farm, sweep_id: str) -> None:
    """No document and no finding, yet the audit lists the sweep and report runs, the status change and
    the notifications with their delivery attempts: the digest, and for a missing report its 【督办】."""
    for scenario, status in ((Scenario.MISSING, "missing"), (Scenario.DOWN, "unreachable")):
        agency_id = next(a.agency_id for a in farm.agencies if a.scenario is scenario)

        async def complete(agency_id: str = agency_id, scenario: Scenario = scenario) -> bool:
            with store.session() as session:
                record = audit(session, agency_id, YEAR)
            assert record is not None
            delivered = bool(record.notifications) and all(n.attempt_log for n in record.notifications)
            escalated = any("【督办】" in n.subject for n in record.notifications)
            return delivered and (escalated or scenario is not Scenario.MISSING)

        await eventually(complete, 30, f"the notifications about {agency_id} in its audit")  # may follow the sweep
        with store.session() as session:
            record = audit(session, agency_id, YEAR)
        assert record is not None and not record.documents
        runs = {(r.kind, r.workflow_id) for r in record.workflow_runs}
        assert {("sweep", sweep_id), ("report", report_workflow_id(agency_id, YEAR))} <= runs
        assert [e.to_status for e in record.status_history] == [status]
        assert record.status_history[0].workflow_run_id in {r.id for r in record.workflow_runs}


async def _search_attributes_filter_by_status(client, task_queue: str, farm: Farm, expected: dict[str, int]) -> None:
    """Auditors' filters in the Temporal UI: one report workflow per agency, found by its status."""
    base = f"TaskQueue = '{task_queue}' AND WorkflowType = 'AgencyReport' AND ReportYear = {YEAR}"

    async def counted() -> bool:
        counts = {s: (await client.count_workflows(f"{base} AND ComplianceStatus = '{s}'")).count for s in expected}
        return counts == expected

    await eventually(counted, 20, "visibility of ComplianceStatus")
    agency = farm.agencies[0]
    one = f"{base} AND AgencyId = '{agency.agency_id}' AND Region = '{agency.region}' AND SupervisorId = 'demo-gwb'"
    assert (await client.count_workflows(one)).count == 1
