"""Accuracy on the real corpus: every document that has a ground-truth file, scored against it.

    .venv/bin/python bench/accuracy.py

Per document: exact cells of tables 二/三/四 out of the cells the truth lists, whether the title,
agency and year are right, how many of the errors its `expect` requires were reported, the errors
reported that it neither requires nor allows, and the required warnings reported. The documents
are checked as `dwatch check FILE` checks them (nothing but the file). The scoring is tests/corpus.py,
the one tests/test_corpus_accuracy.py asserts. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus import REPORT_FILES, TABLES, Score, score  # noqa: E402

_TABLE_NAMES = {"table2": "二", "table3": "三", "table4": "四"}


def _ratio(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.1f}%)" if total else "-"


def _count(expected: int, missing: tuple[str, ...]) -> str:
    """Found of expected, and which are missing."""
    return f"{expected - len(missing)}/{expected}" + (f" missing {','.join(missing)}" if missing else "")


def _row(result: Score) -> list[str]:
    tables = [f"{s.exact}/{s.cells}" if (s := result.tables.get(t)) else "-" for t in TABLES]
    marks = ["ok" if ok else "WRONG" for ok in (result.title_ok, result.agency_ok, result.year_ok)]
    return [
        result.name,
        *tables,
        *marks,
        _count(result.errors_expected, result.errors_missing),
        ",".join(result.errors_unexpected) or "-",
        _count(result.warnings_expected, result.warnings_missing),
    ]


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _problems(result: Score) -> list[str]:
    """What is wrong, shortly: cells, then title, agency and year as expected and as found."""
    wrong = list(result.cell_problems)
    for label, ok, (want, got) in (
        ("title", result.title_ok, result.title),
        ("agency", result.agency_ok, result.agency),
        ("year", result.year_ok, result.year),
    ):
        if not ok:
            shown = str(got)
            wrong.append(f"{label} expected {want!r}, found {shown[:30]!r}{'…' if len(shown) > 30 else ''}")
    return wrong


def main() -> None:
    results = [score(name) for name in REPORT_FILES]
    header = ["document", "table2", "table3", "table4", "title", "agency", "year", "errors", "unexpected", "warnings"]
    _print_table([header, *(_row(r) for r in results)])
    for result in results:
        for problem in _problems(result):
            print(f"  {result.name}: {problem}")
    print("\ntotals:")
    for table in TABLES:
        scored = [r.tables[table] for r in results if table in r.tables]
        exact, cells = sum(s.exact for s in scored), sum(s.cells for s in scored)
        print(f"  cells of 表{_TABLE_NAMES[table]}: {_ratio(exact, cells)} over {len(scored)} documents")
    exact = sum(s.exact for r in results for s in r.tables.values())
    cells = sum(s.cells for r in results for s in r.tables.values())
    print(f"  cells, all tables: {_ratio(exact, cells)}")
    print(f"  documents with every cell exact: {_ratio(sum(not r.cell_problems for r in results), len(results))}")
    for label, ok in (("title", "title_ok"), ("agency", "agency_ok"), ("year", "year_ok")):
        print(f"  {label} right: {_ratio(sum(getattr(r, ok) for r in results), len(results))}")
    expected = sum(r.errors_expected for r in results)
    missing = sum(len(r.errors_missing) for r in results)
    print(f"  expected errors found: {_ratio(expected - missing, expected)}")
    print(f"  unexpected errors: {sum(len(r.errors_unexpected) for r in results)}")
    warnings = sum(r.warnings_expected for r in results)
    print(f"  expected warnings found: {_ratio(warnings - sum(len(r.warnings_missing) for r in results), warnings)}")


if __name__ == "__main__":
    main()
