"""Check speed: median time of all checks on a parsed report, with a previous-year comparison.

    .venv/bin/python bench/check.py [--repeat 200]

Each corpus report is checked against another corpus report as its "previous year" so that the
cross-year rules (including the X-02 similarity) run. Parsing is not timed. Prints numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dwatch.reports.checks import CheckContext, run_checks  # noqa: E402
from dwatch.reports.parsers import parse_document  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    paths = sorted(p for p in CORPUS.glob("*") if p.suffix in {".txt", ".pdf"})
    reports = [parse_document(p.read_bytes(), p.name) for p in paths]
    context = CheckContext(published=None)
    print(f"all checks, median of {args.repeat} runs (ms), previous year = the next corpus report:")
    for i, (path, report) in enumerate(zip(paths, reports, strict=True)):
        previous = reports[(i + 1) % len(reports)]
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run_checks(report, previous, context)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"  {path.name:36s} median {statistics.median(timings):6.2f}   max {max(timings):6.2f}")


if __name__ == "__main__":
    main()
