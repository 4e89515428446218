"""A sweep of N farm agencies end to end on the dev server: crawl, parse, check, store, alert.

    .venv/bin/python bench/sweep.py [--agencies 1000] [--window 100]

The farm runs in its own process (pre-rendered), the worker in its own (`dwatch worker`, production
politeness: 1 request/s and 2 in flight per host), the dev server in its own; this process starts
the sweep and waits. Parsing and checking run in a pool of `--review-processes` processes. Prints the wall time and agencies/s, Temporal's share of the time (per agency
workflow: the part of its duration not spent running activities, from a sample of histories), and
the worker's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client  # noqa: E402

from dwatch import ops  # noqa: E402
from dwatch.alerts.inbox import Inbox  # noqa: E402
from dwatch.config import Settings  # noqa: E402
from dwatch.temporal.client import connect  # noqa: E402
from dwatch.temporal.devserver import DevServer, free_port  # noqa: E402
from dwatch.temporal.embedded import import_demo  # noqa: E402
from dwatch.temporal.worker import prepare_store  # noqa: E402
from sitefarm import Farm, plan  # noqa: E402
from workflows.models import report_workflow_id  # noqa: E402
from workflows.sweep import DeadlineSweep  # noqa: E402

YEAR = 2025
SAMPLE = 100


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def temporal_share(client: Client, agency_ids: list[str]) -> float:
    """Σ(workflow duration − activity running time) / Σ workflow duration over a sample of agencies."""
    total = working = 0.0
    step = max(1, len(agency_ids) // SAMPLE)
    for agency_id in agency_ids[::step]:
        events = [
            e async for e in client.get_workflow_handle(report_workflow_id(agency_id, YEAR)).fetch_history_events()
        ]
        started = {}
        for event in events:
            at = event.event_time.ToDatetime().timestamp()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started[event.activity_task_started_event_attributes.scheduled_event_id] = at
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                working += at - started.pop(event.activity_task_completed_event_attributes.scheduled_event_id)
        total += events[-1].event_time.ToDatetime().timestamp() - events[0].event_time.ToDatetime().timestamp()
    return (total - working) / total


async def sweep(settings: Settings, agency_ids: list[str]) -> None:
    client = await connect(settings.temporal)
    started = time.perf_counter()
    workflow_id = await ops.start_sweep(settings, YEAR, client=client)
    progress = await client.get_workflow_handle_for(DeadlineSweep.run, workflow_id).result()
    elapsed = time.perf_counter() - started
    n = len(agency_ids)
    print(f"swept {progress.done}/{n} agencies in {elapsed:.1f}s ({n / elapsed:.1f} agencies/s), {progress.runs} runs")
    print(f"statuses: {dict(Counter(progress.by_status))}; failed: {progress.failed}")
    print(
        f"Temporal's share of each agency's time (sample of {SAMPLE}): {await temporal_share(client, agency_ids):.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--window", type=int, default=300, help="agencies of the sweep in progress at once")
    parser.add_argument("--max-activities", type=int, default=300, help="concurrent activities in the worker")
    parser.add_argument("--review-processes", type=int, default=os.cpu_count() or 1, help="parse/check processes")
    args = parser.parse_args()
    farm_process = subprocess.Popen(
        [sys.executable, "-m", "sitefarm", "--agencies", str(args.agencies), "--year", str(YEAR), "--prerender"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    with tempfile.TemporaryDirectory() as tmp, DevServer(Path(tmp) / "temporal.sqlite", free_port()) as server:
        assert farm_process.stdout is not None
        port = int(farm_process.stdout.readline().split()[1])
        asyncio.run(server.wait_ready())
        env = {
            "DWATCH_DATA_DIR": f"{tmp}/var",
            "DWATCH_CRAWL__ALLOW_PRIVATE_ADDRESSES": "true",
            "DWATCH_TEMPORAL__ADDRESS": server.address,
            "DWATCH_TEMPORAL__SWEEP_WINDOW": str(args.window),
            "DWATCH_TEMPORAL__REVIEW_PROCESSES": str(args.review_processes),
            # Crawls spend most of their time waiting on per-host politeness: many can be in flight.
            "DWATCH_TEMPORAL__MAX_ACTIVITIES": str(args.max_activities),
            # As bench/crawl.py: a site that never answers is given up after 10 s, not 30.
            "DWATCH_CRAWL__READ_TIMEOUT": "10",
            "DWATCH_CRAWL__TOTAL_TIMEOUT": "30",
        }
        settings = Settings.from_env(env)
        farm = Farm(plan(args.agencies, YEAR), YEAR)  # the plan only: the farm process serves it
        farm.port = port
        with Inbox(settings.data_dir) as inbox:
            store = prepare_store(settings)
            import_demo(store, farm, inbox.urls())
            store.close()
            worker = subprocess.Popen([ROOT / ".venv/bin/dwatch", "worker"], env=os.environ | env, cwd=ROOT)
            try:
                asyncio.run(sweep(settings, [a.agency_id for a in farm.agencies]))
                print(f"worker peak resident memory: {peak_rss_mb(worker.pid):.0f} MB")
            finally:
                worker.terminate()
                worker.wait(60)
    farm_process.terminate()
    farm_process.wait(30)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter finalisation: it can abort after Temporal clients ran (sdk-python#300)


if __name__ == "__main__":
    main()
