from __future__ import annotations

import multiprocessing
from pathlib import Path

from concurrent_writer import RULES, record_many
from sqlalchemy import func, select

from dwatch.store.database import Store
from dwatch.store.tables import CheckRun, CheckRunFinding, Finding, FindingEvent

RUNS_PER_PROCESS = 25


def test_two_processes_recording_the_same_fingerprints(registered: Store, db_url: str, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # no engine or connection shared with the parent
    start = context.Barrier(2)
    workers = [
        context.Process(target=record_many, args=(db_url, str(tmp_path / "blobs"), RUNS_PER_PROCESS, start))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]

    total = 2 * RUNS_PER_PROCESS
    with registered.session() as session:
        findings = session.scalars(select(Finding)).all()
        assert sorted(f.rule_id for f in findings) == sorted(RULES)  # no duplicates
        assert [f.times_seen for f in findings] == [total] * len(RULES)  # no lost increment
        assert {f.status for f in findings} == {"open"}
        assert session.scalar(select(func.count()).select_from(CheckRun)) == total
        assert session.scalar(select(func.count()).select_from(CheckRunFinding)) == total * len(RULES)
        # Exactly one "opened" event per finding, whichever process inserted it.
        assert session.scalar(select(func.count()).select_from(FindingEvent)) == len(RULES)
        last_run = session.scalar(select(func.max(CheckRun.checked_at)))
        assert {f.last_seen_at for f in findings} == {last_run}
