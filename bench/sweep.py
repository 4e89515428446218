"""A sweep of N farm agencies end to end on the dev server: crawl, parse, check, store, alert.

    .venv/bin/python bench/sweep.py [--agencies 1000] [--hosts H [--busiest N]] [--window 300]
        [--review-workers 0] [--crawl-workers 0] [--postgres] [--kill 0] [--restart-postgres]

`--hosts H` puts the agencies on H shared hosts (as departments share a city portal), `--busiest N`
of them on one; without it each agency has a host of its own (the 集约化 family's share by eight).

The farm runs in its own process (pre-rendered), the dev server in its own, the workers in theirs
(production politeness: 1 request/s and 2 in flight per host); this process starts the sweep and
waits. Layout: by default one `dwatch worker` holds every role (the embedded layout); otherwise
one process holds the workflows (and the crawls or reviews that have no processes of their own),
`--crawl-workers` processes crawl and `--review-workers` processes parse and check, each with a
pool of `--review-processes`.

`--postgres` keeps the store in a new database on the machine's PostgreSQL (127.0.0.1:5432);
`--kill K` SIGKILLs a random worker K times during the sweep (and starts it again);
`--restart-postgres` restarts the machine's PostgreSQL once, half-way.

Prints the wall time and agencies/s, Temporal's share of the time (per agency workflow: the part of
its duration not spent running activities, from a sample of histories), each worker's peak resident
memory and CPU (with its review pool), the dev server's and the farm's CPU while the workers ran,
what the hosts saw (requests, most in flight at once, how far request starts ran ahead of one per
interval: `dwatch.demo.sitefarm.server.lead_over_pace`), the politeness bound beside the wall time
(the busiest host's requests × the interval: no sweep can be faster), and checks that nothing was
lost or sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from dwatch.demo.sitefarm import Farm, plan  # noqa: E402
from dwatch.demo.sitefarm.server import lead_over_pace  # noqa: E402
from dwatch.workflows.models import SweepProgress, report_workflow_id  # noqa: E402
from dwatch.workflows.sweep import DeadlineSweep  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client, WorkflowHandle  # noqa: E402
from temporalio.service import RPCError  # noqa: E402

from dwatch import ops  # noqa: E402
from dwatch.alerts.inbox import read_inbox  # noqa: E402
from dwatch.config import Settings  # noqa: E402
from dwatch.demo.inbox import Inbox, arrived_twice  # noqa: E402
from dwatch.demo.registry import import_demo  # noqa: E402
from dwatch.store.database import Store  # noqa: E402
from dwatch.store.tables import AgencyStatus  # noqa: E402
from dwatch.temporal.client import connect  # noqa: E402
from dwatch.temporal.devserver import DevServer, free_port  # noqa: E402

YEAR = 2025
SAMPLE = 100
DWATCH = ROOT / ".venv/bin/dwatch"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def process_tree(pid: int) -> list[int]:
    """The process and its live descendants (a worker and its review pool)."""
    try:
        children = [
            int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()
        ]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [pid] + [p for child in children for p in process_tree(child)]


def _sum_over_tree(pid: int, read: Callable[[int], float]) -> float:
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # ended since it was listed
            total += read(member)
    return total


def _peak_rss_mb(pid: int) -> float:
    # A pool process that has exited but not been reaped yet (replaced after a parse over budget) has
    # no memory lines.
    line = next((x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else 0.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and of its children (a review pool), in MB."""
    return _sum_over_tree(pid, _peak_rss_mb)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process and of its live children, in seconds."""
    return _sum_over_tree(pid, _cpu_seconds)


class Workers:
    """The worker processes of the layout, each restartable with its command."""

    def __init__(self, env: dict[str, str], review_workers: int, crawl_workers: int, log: Path) -> None:
        self.env = os.environ | env
        self.log = log
        if review_workers == crawl_workers == 0:
            self.commands = [["worker"]]
        else:
            # Crawls beside the workflows, unless they have processes of their own.
            first = ["worker", "--role", "workflows"] + ([] if crawl_workers else ["--role", "crawl"])
            self.commands = [first + ([] if review_workers else ["--role", "review"])]
            self.commands += [["worker", "--role", "crawl"]] * crawl_workers
            self.commands += [["worker", "--role", "review"]] * review_workers
        self.processes = [self._start(command) for command in self.commands]
        self.peaks = [0.0] * len(self.commands)
        self.cpu = [0.0] * len(self.commands)  # of processes killed before, and the running one
        self._cpu_before = [0.0] * len(self.commands)

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            return subprocess.Popen([DWATCH, *command], env=self.env, cwd=ROOT, stdout=log, stderr=log)

    def sample_memory(self) -> None:
        for n, process in enumerate(self.processes):
            self.peaks[n] = max(self.peaks[n], peak_rss_mb(process.pid))
            self.cpu[n] = max(self.cpu[n], self._cpu_before[n] + cpu_seconds(process.pid))

    def kill_one(self, rng: random.Random) -> str:
        n = rng.randrange(len(self.processes))
        self.sample_memory()
        self._cpu_before[n] = self.cpu[n]
        self.processes[n].kill()
        self.processes[n].wait(30)
        self.processes[n] = self._start(self.commands[n])
        return " ".join(self.commands[n])

    def stop(self) -> None:
        self.sample_memory()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(60)


class Tally:
    """From workflow histories: per task kind (each activity type, workflow tasks) the waits for a
    worker (schedule to start) and the run times; the time activities ran; the workflows' durations."""

    def __init__(self) -> None:
        self.waits: dict[str, list[float]] = defaultdict(list)
        self.runs: dict[str, list[float]] = defaultdict(list)
        self.total = self.working = 0.0

    async def add(self, handle: WorkflowHandle) -> None:
        events = [e async for e in handle.fetch_history_events()]
        scheduled: dict[int, tuple[str, float]] = {}
        started: dict[int, float] = {}
        for event in events:
            at = event.event_time.ToDatetime().timestamp()
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[event.event_id] = (event.activity_task_scheduled_event_attributes.activity_type.name, at)
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled[event.event_id] = ("workflow task", at)
            elif kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
                scheduled[event.event_id] = ("child start", at)
            elif kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
                attributes = event.child_workflow_execution_started_event_attributes
                self.waits["child start"].append(at - scheduled[attributes.initiated_event_id][1])
                self.runs["child start"].append(0.0)
            elif kind in (EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED):
                attributes = getattr(event, event.WhichOneof("attributes"))
                name, at_scheduled = scheduled[attributes.scheduled_event_id]
                self.waits[name].append(at - at_scheduled)
                started[attributes.scheduled_event_id] = at
            elif kind in (EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED):
                attributes = getattr(event, event.WhichOneof("attributes"))
                name, _ = scheduled[attributes.scheduled_event_id]
                ran = at - started.pop(attributes.scheduled_event_id)
                self.runs[name].append(ran)
                if name != "workflow task":
                    self.working += ran
        self.total += events[-1].event_time.ToDatetime().timestamp() - events[0].event_time.ToDatetime().timestamp()

    def print(self, title: str) -> None:
        print(title)
        for name in sorted(self.runs):
            waited, ran = mean(self.waits[name]), mean(self.runs[name])
            print(f"  {name} ×{len(self.runs[name])}: waited {waited:.2f}s for a worker, ran {ran:.2f}s (mean)")


async def temporal_share(client: Client, agency_ids: list[str], sweep_id: str) -> float:
    """Σ(workflow duration − activity running time) / Σ workflow duration over a sample of agencies."""
    agencies = Tally()
    for agency_id in agency_ids[:: max(1, len(agency_ids) // SAMPLE)]:
        await agencies.add(client.get_workflow_handle(report_workflow_id(agency_id, YEAR)))
    agencies.print(f"agency workflows (sample of {SAMPLE}):")
    sweep = Tally()
    await sweep.add(client.get_workflow_handle(sweep_id))
    sweep.print("the sweep workflow (its last run):")
    return (agencies.total - agencies.working) / agencies.total


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


async def sweep(
    settings: Settings, agency_ids: list[str], workers: Workers, args: argparse.Namespace
) -> tuple[SweepProgress, float]:
    n = len(agency_ids)
    client = await connect(settings.temporal)
    rng = random.Random(args.agencies)
    started = time.perf_counter()
    workflow_id = await ops.start_sweep(settings, YEAR, client=client)
    handle = client.get_workflow_handle_for(DeadlineSweep.run, workflow_id)
    # Faults at evenly spread points of progress: the kills, and the database restart half-way.
    faults = [(round(n * (k + 1) / (args.kill + 1)), "kill") for k in range(args.kill)]
    if args.restart_postgres:
        faults.append((n // 2, "restart-postgres"))
    faults.sort()
    result = asyncio.ensure_future(handle.result())
    in_flight = []
    while not result.done():
        await asyncio.wait([result], timeout=1)
        workers.sample_memory()
        if result.done():
            break
        try:
            now = await ops.sweep_progress(client, workflow_id)
        except RPCError:
            continue  # a worker too busy to answer a query in time: look again
        in_flight.append(now.in_flight)
        if faults:
            done = now.done
            if done >= faults[0][0]:
                _, fault = faults.pop(0)
                what = restart_postgres() if fault == "restart-postgres" else workers.kill_one(rng)
                print(f"at {done} agencies: {fault} {what or ''}".rstrip(), flush=True)
    progress = result.result()
    elapsed = time.perf_counter() - started
    print(f"swept {progress.done}/{n} agencies in {elapsed:.1f}s ({n / elapsed:.1f} agencies/s), {progress.runs} runs")
    print(f"statuses: {dict(Counter(progress.by_status))}; failed: {progress.failed}")
    print(f"agencies in progress at once (window {args.window}): {mean(in_flight or [0]):.0f} on average")
    share = await temporal_share(client, agency_ids, workflow_id)
    print(f"Temporal's share of each agency's time (sample of {SAMPLE}): {share:.1%}")
    return progress, elapsed


def check_outcome(settings: Settings, progress: SweepProgress, n: int) -> None:
    store = Store.open(settings)
    with store.session() as session:
        stored = session.scalar(select(func.count()).select_from(AgencyStatus))
    store.close()
    arrived = read_inbox(settings.data_dir)
    twice = arrived_twice(arrived)
    print(f"stored statuses: {stored}/{n}; alerts arrived: {len(arrived)}, of them twice: {len(twice)}")
    if progress.done != n or progress.failed or stored != n or twice:
        raise SystemExit("FAILED: something was lost, failed or sent twice")


def report_hosts(stats_file: Path, interval: float, elapsed: float) -> None:
    stats = json.loads(stats_file.read_text())
    starts_by_host: dict[str, list[float]] = stats["starts"]
    busiest = sorted(starts_by_host, key=lambda h: -len(starts_by_host[h]))[:5]
    bound = len(starts_by_host[busiest[0]]) * interval
    began = min(starts[0] for starts in starts_by_host.values())
    finished = sorted(starts[-1] - began for starts in starts_by_host.values())
    print(
        f"wall {elapsed:.1f}s; politeness bound {bound:.1f}s ({len(starts_by_host[busiest[0]])} requests at the "
        f"busiest host × {interval}s): wall = {elapsed / bound:.2f} × bound"
    )
    print(
        f"last request per host after the first request of the sweep: median {finished[len(finished) // 2]:.1f}s, "
        f"busiest host {starts_by_host[busiest[0]][-1] - began:.1f}s"
    )
    print(f"hosts: {len(starts_by_host)}; most in flight at one host: {max(stats['max_in_flight'].values())}")
    lead = max(lead_over_pace(starts, interval) for starts in starts_by_host.values())
    shortest = min((b - a for starts in starts_by_host.values() for a, b in pairwise(starts)), default=interval)
    print(
        f"request starts per host, {interval}s apart by the crawlers' clocks, as the sites saw them: "
        f"at most {lead:.2f}s ahead of that pace, at least {shortest:.2f}s apart"
    )
    for host in busiest:
        print(f"  {host}: {len(starts_by_host[host])} requests, at most {stats['max_in_flight'][host]} at once")


def create_database() -> str:
    name = f"dwatch_bench_{int(time.time())}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--hosts", type=int, help="agencies share this many hosts (default: a host each)")
    parser.add_argument("--busiest", type=int, default=0, help="with --hosts: agencies on the busiest host")
    parser.add_argument("--window", type=int, default=300, help="agencies of the sweep in progress at once")
    parser.add_argument("--max-activities", type=int, default=300, help="concurrent activities per worker")
    parser.add_argument("--review-processes", type=int, default=os.cpu_count() or 1, help="pool per review worker")
    parser.add_argument("--review-workers", type=int, default=0, help="review worker processes")
    parser.add_argument("--crawl-workers", type=int, default=0, help="crawl worker processes")
    parser.add_argument("--postgres", action="store_true", help="the store on 127.0.0.1:5432 (a new database)")
    parser.add_argument("--kill", type=int, default=0, help="SIGKILL a random worker this many times")
    parser.add_argument("--restart-postgres", action="store_true", help="restart the machine's PostgreSQL once")
    parser.add_argument("--worker-log", type=Path, default=Path("/tmp/dwatch-bench-workers.log"))
    args = parser.parse_args()
    database = create_database() if args.postgres else None
    with tempfile.TemporaryDirectory() as tmp, DevServer(Path(tmp) / "temporal.sqlite", free_port()) as server:
        stats_file = Path(tmp) / "farm-stats.json"
        farm_command = [
            "-m",
            "dwatch.demo.sitefarm",
            "--agencies",
            str(args.agencies),
            "--year",
            str(YEAR),
            "--prerender",
            *(["--hosts", str(args.hosts), "--busiest", str(args.busiest)] if args.hosts else []),
        ]
        farm_process = subprocess.Popen(
            [sys.executable, *farm_command, "--stats", str(stats_file)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
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
        if database:
            env["DWATCH_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        subprocess.run([DWATCH, "db", "upgrade"], env=os.environ | env, cwd=ROOT, check=True, capture_output=True)
        settings = Settings.from_env(env)
        agencies = plan(args.agencies, YEAR, hosts=args.hosts, busiest=args.busiest)
        farm = Farm(agencies, YEAR)  # the plan only: the farm process serves it
        farm.port = port
        with Inbox(settings.data_dir) as inbox:
            store = Store.open(settings)
            import_demo(store, farm, inbox.urls())
            store.close()
            # Counted from here: the farm renders every report before it is ready, which is not the sweep's.
            server_cpu_before, farm_cpu_before = cpu_seconds(server.process.pid), cpu_seconds(farm_process.pid)
            workers = Workers(env, args.review_workers, args.crawl_workers, args.worker_log)
            try:
                progress, elapsed = asyncio.run(sweep(settings, [a.agency_id for a in farm.agencies], workers, args))
            finally:
                workers.stop()
            for command, peak, cpu in zip(workers.commands, workers.peaks, workers.cpu, strict=True):
                print(
                    f"`dwatch {' '.join(command)}` (with its pool): peak resident memory {peak:.0f} MB, CPU {cpu:.0f}s"
                )
            server_cpu = cpu_seconds(server.process.pid) - server_cpu_before
            farm_cpu = cpu_seconds(farm_process.pid) - farm_cpu_before
            print(
                f"CPU while the workers ran: of the Temporal dev server {server_cpu:.0f}s; of the farm {farm_cpu:.0f}s"
            )
            check_outcome(settings, progress, args.agencies)
        farm_process.terminate()
        farm_process.wait(30)
        report_hosts(stats_file, settings.crawl.per_host_interval, elapsed)
    if database:
        drop_database(database)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter finalisation: it can abort after Temporal clients ran (sdk-python#300)


if __name__ == "__main__":
    main()
