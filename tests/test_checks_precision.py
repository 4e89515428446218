"""Precision: valid generated reports, in every input format, produce no error finding."""

from __future__ import annotations

import pytest
from checks_support import FORMATS, check, errors
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format

_REPORTS = range(1000)


def _error_lines(seed: int, fmt: Format) -> list[str]:
    return [f"seed {seed} {fmt.value}: {f.message_zh}" for f in errors(check(generate(seed), fmt))]


@pytest.mark.parametrize("fmt", FORMATS)
def test_thousand_reports_across_formats_have_no_errors(fmt: Format) -> None:
    # 1,000 distinct valid reports, each rendered in one of the five formats (200 per format).
    position = list(Format).index(fmt)
    seeds = [seed for seed in _REPORTS if seed % len(Format) == position]
    assert len(seeds) == len(_REPORTS) // len(Format)
    assert [line for seed in seeds for line in _error_lines(seed, fmt)] == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_thousand_reports_in_each_format_have_no_errors(fmt: Format) -> None:
    # The full matrix (5,000 documents): `python3 tasks.py test -m slow`.
    assert [line for seed in _REPORTS for line in _error_lines(seed, fmt)] == []
