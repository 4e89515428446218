"""Parse speed and memory: median wall time per document, by format.

    .venv/bin/python bench/parse.py [--generated 200] [--repeat 5]

Measures the corpus (../shared/corpus) and generated documents in every format, and the peak
resident memory of parsing a 50-page PDF in a fresh process. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dwatch.reports.parsers import parse_document  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def median_ms(data: bytes, name: str, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        parse_document(data, name)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def corpus(repeat: int) -> None:
    print("corpus (median ms per document):")
    for path in sorted(CORPUS.glob("*")):
        if path.suffix in {".txt", ".pdf"}:
            print(f"  {path.name:36s} {median_ms(path.read_bytes(), path.name, repeat):8.1f}")


def generated(count: int, repeat: int) -> None:
    from dwatch.demo.synthetic.generate import generate
    from dwatch.demo.synthetic.render import Format, render

    by_format: dict[str, list[float]] = defaultdict(list)
    for seed in range(count):
        report = generate(seed)
        for fmt in Format:
            data = render(report, fmt)
            by_format[fmt.value].append(median_ms(data, f"seed{seed}.{fmt.value}", repeat))
    print(f"generated ({count} documents per format), median of per-document medians in ms:")
    for fmt, values in by_format.items():
        print(
            f"  {fmt:10s} median {statistics.median(values):7.1f}   p95 {sorted(values)[int(len(values) * 0.95)]:7.1f}"
        )


# The PDF is made in a first process and parsed in a second, so the peak is the parser's alone. VmHWM,
# not ru_maxrss: the latter starts from the parent's peak (it survives fork + exec on Linux).
_PEAK_SCRIPT = """
import re, sys
sys.path.insert(0, {root!r})
from dwatch.reports.parsers import parse_document
def peak_kb():
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
data = open(sys.argv[1], "rb").read()
before = peak_kb()
report = parse_document(data, "fifty.pdf")
print(len(data), before, peak_kb(), report.table3.found)
"""


def peak_memory() -> None:
    from bench.pdf50 import fifty_page_pdf

    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(fifty_page_pdf())
        pdf.flush()
        command = [sys.executable, "-c", _PEAK_SCRIPT.format(root=str(ROOT)), pdf.name]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    size, before, after, found = out
    print(
        f"50-page PDF ({int(size) // 1024} KiB): peak RSS {int(after) / 1024:.0f} MB (before parsing {int(before) / 1024:.0f} MB); table 三 found: {found}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    corpus(args.repeat)
    generated(args.generated, max(1, args.repeat // 2))
    peak_memory()


if __name__ == "__main__":
    main()
