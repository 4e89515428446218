"""OCR of tables that are images: accuracy, confident errors, speed and memory, by image condition.

    .venv/bin/python bench/ocr.py [--reports 4] [--engine rapidocr|tesseract|both] [--pages [--repeat 3]]

Synthetic reports' tables 三 and 四 (190 number cells a report) are rendered to images as a scan would
give them: PNG at 150 dpi, JPEG quality 70, skewed 1°, on a grey scan background with noise, and all
of these at once. Each image goes through the same pipeline as a document (grid lines → cells → trimmed,
scaled, padded text lines → recogniser). Reported per condition: number cells read exactly (%), wrong
cells the recogniser was confident of (≥ READ-01's min_confidence: an error a check would rest on),
seconds per table image and, with --pages, per whole scanned page (clean and with all the defects at once),
read as a scanned PDF's pages are (tables, text and the orientation checks), each page --repeat times (the
spread says how busy the machine was); and the process's peak resident memory.
Seconds are wall-clock and this process's CPU time: on a machine shared with other work the wall-clock
time is inflated, while CPU time (both threads summed) bounds what two idle cores would take. `tesseract` needs Debian's tesseract-ocr and tesseract-ocr-chi-sim. Prints numbers;
asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from dwatch.demo.synthetic.generate import generate  # noqa: E402
from dwatch.demo.synthetic.render import Format, render  # noqa: E402
from dwatch.reports.checks.catalogue import CATALOGUE  # noqa: E402
from dwatch.reports.checks.readability import ReadParams  # noqa: E402
from dwatch.reports.ocr import page, recognize  # noqa: E402
from dwatch.reports.parsers.ocr import read_page  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from ocr_support import degrade, page_images, table_images  # noqa: E402
from PIL import Image  # noqa: E402

MIN_CONFIDENCE = next(p for _, p in CATALOGUE.rule("READ-01").bound_checks if isinstance(p, ReadParams)).min_confidence

CONDITIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "png-150dpi": lambda im: im,
    "jpeg-q70": lambda im: degrade(im, jpeg=70),
    "skew-1deg": lambda im: degrade(im, skew=1.0),
    "grey-scan": lambda im: degrade(im, grey=215),
    "all-of-them": lambda im: degrade(im, skew=1.0, grey=215, jpeg=70),
}


def tesseract(lines: Sequence[NDArray[np.uint8]]) -> list[tuple[str, float]]:
    """Tesseract (chi_sim, one text line per image) over all the lines in one process: its TSV gives
    each image's words and confidences (0-100)."""
    if not lines:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for i, line in enumerate(lines):
            name = f"{tmp}/{i:05d}.png"
            Image.fromarray(line).save(name)
            names.append(name)
        Path(f"{tmp}/list.txt").write_text("\n".join(names) + "\n")
        subprocess.run(
            ["tesseract", f"{tmp}/list.txt", f"{tmp}/out", "-l", "chi_sim", "--psm", "7", "tsv"],
            check=True,
            capture_output=True,
        )
        words: dict[int, list[tuple[str, float]]] = {}
        for row in Path(f"{tmp}/out.tsv").read_text().splitlines()[1:]:
            fields = row.split("\t")
            if len(fields) == 12 and fields[0] == "5" and fields[11].strip():
                words.setdefault(int(fields[1]) - 1, []).append((fields[11], float(fields[10]) / 100))
    return [
        ("".join(w for w, _ in words.get(i, [])), min((c for _, c in words.get(i, [])), default=0.0))
        for i in range(len(lines))
    ]


ENGINES: dict[str, recognize.Recognizer] = {"rapidocr": recognize.rapidocr, "tesseract": tesseract}


def numbers(rows: list[list[recognize.CellText]], width: int) -> list[recognize.CellText]:
    """The number cells of a table read from an image: the last `width` cells of its data rows."""
    data = [row for row in rows if len(row) >= width and any(c.text for c in row[-width:])]
    return [c for row in data for c in row[-width:]]


def truth(report_seed: int) -> tuple[list[str], list[str]]:
    report = generate(report_seed, year=2024)
    return [v for values in report.table3.values() for v in values], list(report.table4)


def score(read: list[recognize.CellText], want: list[str]) -> tuple[int, int, int]:
    """Exact cells, wrong cells read with confidence ≥ MIN_CONFIDENCE, cells compared."""
    if len(read) != len(want):  # a lost or extra row: every cell counts as wrong, none as confident
        return 0, 0, len(want)
    exact = sum(c.text.replace(",", "") == w for c, w in zip(read, want, strict=True))
    confident = sum(
        c.text.replace(",", "") != w and c.confidence >= MIN_CONFIDENCE for c, w in zip(read, want, strict=True)
    )
    return exact, confident, len(want)


def run(engine: str, seeds: list[int], pages: bool, repeat: int) -> None:
    recognizer = ENGINES[engine]
    images = {seed: table_images(generate(seed, year=2024)) for seed in seeds}
    page.read_tables(page.upright(images[seeds[0]]["table4"]), recognizer)  # warm-up: load the models
    print(
        f"\n{engine}: {len(seeds)} reports, tables 三 and 四 (190 number cells each), min_confidence {MIN_CONFIDENCE}"
    )
    print(f"{'condition':<14}{'exact %':>9}{'confident wrong':>17}{'s / table image':>17}{'CPU s':>7}")
    for name, condition in CONDITIONS.items():
        exact = confident = total = 0
        seconds = cpu = 0.0
        count = 0
        for seed in seeds:
            want3, want4 = truth(seed)
            for table_id, want, width in (("table3", want3, 7), ("table4", want4, 15)):
                image = condition(images[seed][table_id])
                started, started_cpu = time.perf_counter(), time.process_time()
                tables = page.read_tables(page.upright(image), recognizer)
                seconds += time.perf_counter() - started
                cpu += time.process_time() - started_cpu
                count += 1
                read = numbers(tables[0].rows, width) if tables else []
                e, c, t = score(read, want)
                exact, confident, total = exact + e, confident + c, total + t
        print(f"{name:<14}{100 * exact / total:>8.2f}%{confident:>17}{seconds / count:>17.2f}{cpu / count:>7.2f}")
    if pages:
        clean = page_images(render(generate(seeds[0], year=2024), Format.PDF))
        print(f"whole scanned pages as a PDF's are read (tables, text, orientation), {len(clean)} pages x {repeat}:")
        for name in ("png-150dpi", "all-of-them"):
            scans = [CONDITIONS[name](image) for image in clean]
            walls, cpus = [], []
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                for number, image in enumerate(scans, start=1):
                    read_page(image, number)
                walls.append((time.perf_counter() - started) / len(scans))
                cpus.append((time.process_time() - started_cpu) / len(scans))
            print(
                f"{name:<14}s/page {min(walls):.1f}-{max(walls):.1f} (median {statistics.median(walls):.1f}), "
                f"CPU s/page {min(cpus):.1f}-{max(cpus):.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=4)
    parser.add_argument("--engine", choices=("rapidocr", "tesseract", "both"), default="rapidocr")
    parser.add_argument("--pages", action="store_true", help="also time whole scanned pages")
    parser.add_argument("--repeat", type=int, default=3, help="times the scanned pages are read (with --pages)")
    args = parser.parse_args()
    seeds = [4, 5, 11, 1, 2, 9, 10, 7][: args.reports]  # reports with many non-zero cells first
    engines = ["rapidocr", "tesseract"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "tesseract" and shutil.which("tesseract") is None:
            print("tesseract: not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
            continue
        run(engine, seeds, args.pages and engine == "rapidocr", args.repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
