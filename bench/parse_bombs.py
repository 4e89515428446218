"""Document bombs under the parse budget (issue 18, attack 4): time, outcome and peak memory.

    .venv/bin/python bench/parse_bombs.py [--grid-pages 20] [--memory-mb 3072] [--wall 120]

Each bomb is parsed by `parse_within_budget` with the default limits (or those given). Prints, per
bomb, its size, the wall time, the limit hit (if any), the peak resident memory of the parsing process
(sampled from /proc) and that of this process, which only waits. Asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bomb_support import docx_with_xml, flate_bomb, nested_forms, parse_processes, ruled_grid  # noqa: E402
from dwatch.reports.parsers.budget import parse_within_budget  # noqa: E402
from dwatch.reports.parsers.limits import LimitHit, ParseLimits  # noqa: E402


def _rss_mb(pid: int | str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # it ended meanwhile
        return 0.0
    match = re.search(r"VmHWM:\s+(\d+)", status)
    return int(match.group(1)) / 1024 if match else 0.0


class PeakSampler:
    """The largest resident set seen among the parse processes, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.wait(0.02):
            for pid in parse_processes():
                self.peak = max(self.peak, _rss_mb(pid))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def run(name: str, build: Callable[[], bytes], limits: ParseLimits) -> None:
    data = build()
    started = time.monotonic()
    with PeakSampler() as sampler:
        report = parse_within_budget(data, name, limits=limits)
    seconds = time.monotonic() - started
    hits = [f"{hit.limit.value}={hit.shown_value}" for d in report.diagnostics if (hit := LimitHit.of(d))]
    print(
        f"{name:<14} {len(data) / 1024:>9.0f} KiB {seconds:>7.1f} s  parse peak {sampler.peak:>6.0f} MB"
        f"  caller peak {_rss_mb('self'):>5.0f} MB  {', '.join(hits) or 'no limit hit'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-pages", type=int, default=20)
    parser.add_argument("--memory-mb", type=int, default=ParseLimits().memory_bytes >> 20)
    parser.add_argument("--wall", type=float, default=ParseLimits().wall_seconds)
    args = parser.parse_args()
    limits = ParseLimits(memory_bytes=args.memory_mb << 20, wall_seconds=args.wall)
    print(
        f"limits: memory {args.memory_mb} MB, wall {limits.wall_seconds:g} s + {limits.wall_seconds_per_page:g} s/page"
    )
    run("warm-up.pdf", lambda: ruled_grid(3, 1), limits)  # starts the forkserver
    run("forms.pdf", nested_forms, limits)
    run("flate-1g.pdf", lambda: flate_bomb(1 << 30), limits)
    run("flate-4g.pdf", lambda: flate_bomb(4 << 30), limits)
    run("grid.pdf", lambda: ruled_grid(250, args.grid_pages), limits)
    run("xml-80m.docx", lambda: docx_with_xml(80 << 20), limits)  # a 48 MB file, under max_bytes


if __name__ == "__main__":
    main()
