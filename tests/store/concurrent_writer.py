"""A separate process recording check runs, for the concurrency test (spawned, so importable)."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from pathlib import Path

from factories import finding, run

from dwatch.store.blobs import LocalBlobStore
from dwatch.store.database import Store, make_engine
from dwatch.store.findings import record_check_run
from dwatch.store.types import utcnow

RULES = ("ACC-01", "ACC-02", "MISS-01")


def record_many(url: str, blob_dir: str, runs: int, start: Barrier) -> None:
    store = Store(make_engine(url), LocalBlobStore(Path(blob_dir)))
    findings = [finding(rule, row=f"R{i:02d}") for i, rule in enumerate(RULES)]
    start.wait()
    for _ in range(runs):
        with store.session() as session:
            record_check_run(session, run(checked_at=utcnow()), findings)
    store.close()
