"""Every corpus document is read and checked as its ground truth says: every cell of tables 二/三/四,
the title, the agency and the year, and each expectation of its truth file's `expect` block. The
scoring is corpus.score, the one bench/accuracy.py prints."""

from __future__ import annotations

import pytest
from corpus import REPORT_FILES, Score, score

ASPECTS = ("cells", "title", "agency", "year", "expected errors", "no other errors", "expected warnings")

# Known failures, to be fixed in the parser or the checks; strict, so a fix shows as XPASS.
KNOWN: dict[tuple[str, str], str] = {}


def _verdict(result: Score, aspect: str) -> tuple[bool, object]:
    """Whether the aspect is right, and what to show when it is not."""
    return {
        "cells": (not result.cell_problems, result.cell_problems),
        "title": (result.title_ok, result.title),
        "agency": (result.agency_ok, result.agency),
        "year": (result.year_ok, result.year),
        "expected errors": (not result.errors_missing, result.errors_missing),
        "no other errors": (not result.errors_unexpected, result.errors_unexpected),
        "expected warnings": (not result.warnings_missing, result.warnings_missing),
    }[aspect]


def _cases() -> list[object]:
    return [
        pytest.param(
            name,
            aspect,
            id=f"{name}-{aspect.replace(' ', '-')}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[name, aspect])] if (name, aspect) in KNOWN else [],
        )
        for name in REPORT_FILES
        for aspect in ASPECTS
    ]


def test_known_failures_name_real_cases() -> None:
    assert {name for name, _ in KNOWN} <= set(REPORT_FILES)
    assert {aspect for _, aspect in KNOWN} <= set(ASPECTS)


@pytest.mark.parametrize(("name", "aspect"), _cases())
def test_corpus_document(name: str, aspect: str) -> None:
    right, shown = _verdict(score(name), aspect)
    assert right, shown


def test_every_table_is_scored_cell_by_cell() -> None:
    # 100 % must not come from comparing nothing: 25 rows of 7 in table 三, 15 cells in table 四.
    result = score("huaihua-jiaojing-2023.txt")
    assert {t: (s.exact, s.cells) for t, s in result.tables.items()} == {
        "table2": (10, 10),
        "table3": (175, 175),
        "table4": (15, 15),
    }
