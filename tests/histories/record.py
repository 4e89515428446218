"""Record the workflow histories the replay test checks every workflow change against.

    .venv/bin/python tests/histories/record.py

Runs a small sweep on a dev server of its own (compliant, missing and escalated, defective and
waived, replaced and re-crawled) and the time-skipping polling scenario, then writes each history
as JSON next to this file. Re-record after a deliberate, versioned change to a workflow; never to
make the replay test pass.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "temporal")]

from dwatch.demo.sitefarm import Farm, plan  # noqa: E402
from dwatch.demo.sitefarm.plan import Scenario  # noqa: E402
from dwatch.workflows.models import report_workflow_id  # noqa: E402
from sqlalchemy import select  # noqa: E402
from temporal_support import YEAR, running, settings_for  # noqa: E402
from temporalio.client import Client  # noqa: E402
from test_agency_report_timers import StandIns, TimeSkipping, joined_while_polling  # noqa: E402

from dwatch import ops  # noqa: E402
from dwatch.demo.registry import import_demo  # noqa: E402
from dwatch.store.tables import Finding  # noqa: E402
from dwatch.temporal.devserver import DevServer, free_port  # noqa: E402
from dwatch.temporal.worker import prepare_store  # noqa: E402

SCENARIOS = [Scenario.COMPLIANT, Scenario.MISSING, Scenario.DEFECTIVE, Scenario.REPLACED]


async def save(client: Client, workflow_id: str, name: str) -> None:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    (HERE / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
    print("recorded", name)


async def record_sweep(server: DevServer, data_dir: Path) -> None:
    settings = settings_for(data_dir, server.address)
    farm = Farm(plan(len(SCENARIOS), YEAR, seed=7, scenarios=SCENARIOS), YEAR, seed=7)
    farm.prerender()
    with farm:
        store = prepare_store(settings)
        import_demo(store, farm, [])
        ids = {a.scenario: a.agency_id for a in farm.agencies}
        async with running(settings) as client:
            sweep_id = await ops.start_sweep(settings, YEAR)
            await client.get_workflow_handle(sweep_id).result()
            await save(client, sweep_id, "sweep")
            await save(client, report_workflow_id(ids[Scenario.COMPLIANT], YEAR), "report_compliant")
            await save(client, report_workflow_id(ids[Scenario.MISSING], YEAR), "report_missing_escalated")
            farm.app.replace(ids[Scenario.REPLACED])
            await ops.recrawl(settings, ids[Scenario.REPLACED], YEAR)
            await client.get_workflow_handle(report_workflow_id(ids[Scenario.REPLACED], YEAR)).result()
            await save(client, report_workflow_id(ids[Scenario.REPLACED], YEAR), "report_recrawled")
            defective = ids[Scenario.DEFECTIVE]
            with store.session() as session:
                fingerprint = session.scalars(select(Finding.fingerprint).where(Finding.agency_id == defective)).first()
            await ops.waive(settings, defective, YEAR, fingerprint, "经核实为排版问题", "审核员")
            await client.get_workflow_handle(report_workflow_id(defective, YEAR)).result()
            await save(client, report_workflow_id(defective, YEAR), "report_waived")
        store.close()


def record_polling() -> None:
    # A test server each: the first scenario moves the server's clock past the grace period.
    server = TimeSkipping()
    try:
        server.run(StandIns(published_after_polls=5), "polled")
        server.loop.run_until_complete(save(server.env.client, "polled", "report_polled_then_published"))
    finally:
        server.close()
    server = TimeSkipping()
    try:
        server.loop.run_until_complete(joined_while_polling(server.env.client, StandIns(None), "joined"))
        server.loop.run_until_complete(save(server.env.client, "joined", "report_joined_while_polling"))
    finally:
        server.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, DevServer(Path(tmp) / "temporal.sqlite", free_port()) as server:
        asyncio.run(server.wait_ready())
        asyncio.run(record_sweep(server, Path(tmp) / "var"))
    record_polling()


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter finalisation: it can abort after Temporal clients ran (sdk-python#300)
