"""Precision: valid generated reports, in every input format, produce no error finding."""

from __future__ import annotations

import pytest
from checks_support import FORMATS, check, errors

from synthetic.generate import generate
from synthetic.render import Format

_TEXT_SEEDS = range(200)  # text parses in about a millisecond: a real sample on every run
_OTHER_SEEDS = range(10)
_SWEEP = range(1000)


def _error_lines(seed: int, fmt: Format) -> list[str]:
    return [f"seed {seed}: {f.message_zh}" for f in errors(check(generate(seed), fmt))]


def test_text_reports_have_no_errors() -> None:
    assert [line for seed in _TEXT_SEEDS for line in _error_lines(seed, Format.TEXT)] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_in_every_format_have_no_errors(fmt: Format) -> None:
    assert [line for seed in _OTHER_SEEDS for line in _error_lines(seed, fmt)] == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_thousand_reports_have_no_errors(fmt: Format) -> None:
    assert [line for seed in _SWEEP for line in _error_lines(seed, fmt)] == []
