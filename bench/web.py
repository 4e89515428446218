"""Dashboard speed at a province's size: server time and size of the compliance matrix page, the
API's pages and the whole-selection export, for 20,000 agencies (the targets: a page ≤ 150 KB and
≤ 150 ms of server time).

    .venv/bin/python bench/web.py [--agencies 20000] [--repeat 20]

Rows are written directly into a fresh SQLite store (`dwatch.demo.bulk`: agencies, statuses with
documents, findings), then each URL is served in-process (no network) and timed. Prints numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from dwatch.config import Settings  # noqa: E402
from dwatch.demo.bulk import YEAR, fill  # noqa: E402
from dwatch.store import migrate  # noqa: E402
from dwatch.store.database import Store  # noqa: E402
from dwatch.web.app import create_app  # noqa: E402

URLS = (
    f"/matrix?year={YEAR}",
    f"/matrix?year={YEAR}&page=150",
    f"/matrix?year={YEAR}&status=defective&supervisor=sup-3&sort=name",
    f"/matrix?year={YEAR}&sort=findings&order=desc",
    f"/api/v1/matrix?year={YEAR}",
    f"/findings?year={YEAR}&agency=a00007",
)
EXPORTS = (f"/exports/matrix.csv?year={YEAR}", f"/exports/matrix.xlsx?year={YEAR}")


def _time(client: TestClient, url: str, repeat: int) -> tuple[list[float], int]:
    client.get(url)  # warm: templates compiled, caches filled
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:200]
    return timings, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"data_dir": tmp, "web": {"session_secret": "bench"}})
        migrate.upgrade(settings.database_url)
        store = Store.open(settings)
        started = time.perf_counter()
        fill(store, args.agencies)
        print(f"filled {args.agencies} agencies in {time.perf_counter() - started:.1f} s")
        with TestClient(create_app(settings, store)) as client:
            for url in URLS:
                timings, size = _time(client, url, args.repeat)
                print(
                    f"{url:70} median {statistics.median(timings):6.1f} ms, "
                    f"max {max(timings):6.1f} ms, {size / 1024:5.0f} KiB"
                )
            for url in EXPORTS:
                timings, size = _time(client, url, 1)
                print(f"{url:70} {timings[0]:8.0f} ms for the whole selection, {size / 1024:5.0f} KiB")
        store.close()


if __name__ == "__main__":
    main()
