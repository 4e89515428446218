"""Label normalisation (spec §8.2), heading numbering, and reading cell text as figures (§8.3)."""

from __future__ import annotations

import pytest
from dwatch.reports.labels import MatchQuality, NumberingStyle, compare, normalize, split_numbering
from dwatch.reports.numbers import CellKind, classify, looks_like_value
from hypothesis import given
from hypothesis import strategies as st


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    ("found", "quality"),
    [
        ("（四）无法提供", MatchQuality.EXACT),
        ("(四)无法\n提供", MatchQuality.EXACT),  # half-width and a hard line break
        ("（四）\u00a0无法提供\u2002", MatchQuality.EXACT),  # NBSP and EN SPACE padding
        ("7.属于行政执法案件", MatchQuality.FUZZY),  # 案件 for 案卷
        ("行政复议", MatchQuality.MISSING),
    ],
)
def test_compare_labels(found: str, quality: MatchQuality) -> None:
    template = "7.属于行政执法案卷" if "7." in found else "（四）无法提供"
    assert compare(template, found)[0] is quality


def test_row_number_styles_are_equivalent() -> None:
    assert normalize("1、申请人") == normalize("1．申请人") == normalize("1.申请人")


def test_quote_styles_are_equivalent() -> None:
    assert normalize("3.危及“三安全一稳定”") == normalize('3.危及"三安全一稳定"')


def test_person_or_organisation_variant() -> None:
    assert normalize("法人或者其他组织") == normalize("法人或其他组织")


@pytest.mark.parametrize(
    ("line", "style", "ordinal", "rest"),
    [
        ("一、总体情况", NumberingStyle.CHINESE, 1, "总体情况"),
        ("1、 总体情况", NumberingStyle.ARABIC, 1, "总体情况"),
        ("（二）依申请公开情况。", NumberingStyle.PAREN, 2, "依申请公开情况。"),
        ("十二、其他", NumberingStyle.CHINESE, 12, "其他"),
        ("2023年，我局…", NumberingStyle.NONE, None, "2023年，我局…"),
        ("1.5万件", NumberingStyle.NONE, None, "1.5万件"),
    ],
)
def test_split_numbering(line: str, style: NumberingStyle, ordinal: int | None, rest: str) -> None:
    assert split_numbering(line) == (style, ordinal, rest)


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("0", CellKind.NUMBER, 0),
        ("９８１６", CellKind.NUMBER, 9816),  # full-width digits
        ("3,985,758", CellKind.NUMBER, 3985758),
        ("3，985，758", CellKind.NUMBER, 3985758),  # full-width comma
        ("516.94", CellKind.NUMBER, 516.94),
        ("+1036", CellKind.NUMBER, 1036),  # 2019 本年增/减
        ("-3", CellKind.NUMBER, -3),
        (" 0\u2002", CellKind.NUMBER, 0),
        ("96171.6万元", CellKind.NUMBER, 96171.6),
        ("", CellKind.BLANK, None),
        ("\u00a0", CellKind.BLANK, None),
        ("—", CellKind.DASH, None),
        ("/", CellKind.DASH, None),
        ("无", CellKind.DASH, None),
        ("25.1万", CellKind.APPROX, None),
        ("3千余", CellKind.APPROX, None),
        ("约30", CellKind.APPROX, None),
        ("50左右", CellKind.APPROX, None),
        ("12%", CellKind.APPROX, None),
        ("见附件", CellKind.TEXT, None),
        ("3235元", CellKind.TEXT, None),  # a unit in the cell: read as a value, but not an exact figure
    ],
)
def test_classify(raw: str, kind: CellKind, value: int | float | None) -> None:
    got_kind, got_value, _ = classify(raw)
    assert (got_kind, got_value) == (kind, value)
    if kind is CellKind.NUMBER:
        assert type(got_value) is type(value)


def test_approximation_keeps_an_interpreted_value() -> None:
    assert classify("25.1万")[2] == pytest.approx(251000)
    assert classify("3千余")[2] == pytest.approx(3000)


@given(st.integers(min_value=0, max_value=10**9))
def test_integers_in_any_style_read_back(n: int) -> None:
    fullwidth = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for raw in (str(n), f"{n:,}", fullwidth):
        assert classify(raw)[:2] == (CellKind.NUMBER, n)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1288", True),
        ("—", True),
        ("25.1万", True),
        ("3235元", True),
        ("12件", True),
        ("1.属于国家秘密", False),
        ("（七）总计", False),
        ("3.其他", False),
        ("", False),
    ],
)
def test_looks_like_value(raw: str, expected: bool) -> None:
    assert looks_like_value(raw) is expected
