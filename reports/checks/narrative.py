"""总体情况 and the other narrative sections: the five aspects, padding, approximate figures, the
figures the text states compared with the tables (N-01), and stated totals against their own
enumerated parts (N-03).

N-01 is conservative: a stated figure is compared with every reading real reports use (e.g. 受理 =
新收, or 新收 + 上年结转) and reported only when none matches; approximate figures are not compared.
"""

from __future__ import annotations

import re
from functools import cached_property
from itertools import accumulate
from typing import Literal

from dwatch.reports.checks.cells import Number, lookup, short_name, value
from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.checks.text import Compact
from dwatch.reports.model import Location
from dwatch.reports.template import SECTION_BY_ID, SECTIONS
from pydantic import Field

_OVERVIEW = "S1"


class AspectParams(Params):
    aspects: dict[str, tuple[str, ...]]
    error_below: int
    assessment: tuple[str, ...]


@kind("overview_aspects", AspectParams, ("missing_overview", "few_aspects", "some_missing", "no_assessment"))
def overview_aspects(run: RuleRun, p: AspectParams) -> None:
    subject = run.subject
    text = subject.compact(_OVERVIEW).text
    location = Location(section=_OVERVIEW)
    if not text:
        run.emit("missing_overview", location=location)
        return
    missing = [name for name, words in p.aspects.items() if not any(w in text for w in words)]
    covered = len(p.aspects) - len(missing)
    if covered < p.error_below:
        run.emit("few_aspects", location=location, covered=covered, missing=missing)
    elif missing:
        run.emit("some_missing", location=location, missing=missing)
    if subject.agency_kind == "government":
        everything = "".join(subject.compact(s.section_id).text for s in SECTIONS)
        if not any(w in everything for w in p.assessment):
            run.emit("no_assessment", location=location)


class PaddingParams(Params):
    terms: tuple[str, ...]
    min_terms: int


@kind("padding", PaddingParams, ("default",))
def padding(run: RuleRun, p: PaddingParams) -> None:
    compact = run.subject.compact(_OVERVIEW)
    found = [t for t in p.terms if t in compact.text]
    if len(found) < p.min_terms:
        return
    start = min(compact.text.index(t) for t in found)
    end = start + len(found[0])
    run.emit(
        "default",
        location=Location(section=_OVERVIEW),
        evidence=compact.sentence_around(start, end),
        span=compact.span(start, end),
        terms=found,
    )


class ApproxParams(Params):
    pattern: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@kind("approximate_figures", ApproxParams, ("default",))
def approximate_figures(run: RuleRun, p: ApproxParams) -> None:
    for spec in SECTIONS:
        compact = run.subject.compact(spec.section_id)
        matches = list(p.regex.finditer(compact.text))
        if not matches:
            continue
        run.emit(
            "default",
            location=Location(section=spec.section_id),
            evidence=compact.sentence_around(*matches[0].span()),
            span=compact.span(*matches[0].span()),
            key=spec.section_id,
            section=spec.heading,
            count=len(matches),
            examples=[m.group() for m in matches[:5]],
        )


# ---- N-01 ---------------------------------------------------------------------------------------


class NoneClaim(Params):
    """A statement that nothing happened ("全年未收到…申请"): the listed rows must be all zero."""

    case: str
    pattern: str
    table: Literal["table3", "table4"]
    zero_rows: tuple[str, ...]
    # Applications carried in from last year may be handled this year although none were received.
    carried_row: str | None = None
    carried_rows: tuple[str, ...] = ()

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


class FigureClaim(Params):
    """A figure the text states, recognised by keywords in one clause, and its accepted readings."""

    name: str
    keywords: tuple[str, ...]
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    units: tuple[str, ...] = ("件",)
    readings: tuple[tuple[str, ...], ...] = ()  # each reading is a sum of cells "table/row/column"
    opens_block: Literal["review", "litigation"] | None = None
    outcome: str | None = None  # 结果维持 …: read in the block (复议/诉讼) the text is talking about
    case: str = "figure"

    def matches(self, clause: str) -> int | None:
        """Position of the keyword when the clause states this figure, else None."""
        found = self.keyword_regex.search(clause)
        if found is None or any(w in clause for w in self.excludes) or not all(w in clause for w in self.requires):
            return None
        return found.start()

    @cached_property
    def keyword_regex(self) -> re.Pattern[str]:
        return re.compile("|".join(map(re.escape, self.keywords)))

    @cached_property
    def number(self) -> re.Pattern[str]:
        units = "|".join(map(re.escape, self.units))
        return re.compile(rf"(约|近)?(\d+(?:\.\d+)?)(万|千)?(余|多)?(?:{units})")


class NarrativeParams(Params):
    none_claims: tuple[NoneClaim, ...]
    claims: tuple[FigureClaim, ...]
    outcome_readings: dict[str, tuple[tuple[str, ...], ...]] = Field(
        description="per block, the table 四 column groups an outcome is read in"
    )

    @cached_property
    def figure(self) -> re.Pattern[str]:
        """A clause can only state a figure or deny one if it has a digit or a negation."""
        return re.compile(r"\d|未|无|没有")


@kind("narrative_figures", NarrativeParams, ("none_applications", "none_appeals", "figure", "documents"))
def narrative_figures(run: RuleRun, p: NarrativeParams) -> None:
    compact = run.subject.compact(_OVERVIEW)
    block: str | None = None
    for start, clause in compact.clauses():
        has_figure = p.figure.search(clause) is not None
        none_claim = next((c for c in p.none_claims if c.regex.search(clause)), None) if has_figure else None
        if none_claim is not None:
            _check_none_claim(run, compact, start, clause, none_claim)
            continue
        for claim in p.claims:
            where = claim.matches(clause)
            if where is None:
                continue
            block = claim.opens_block or block  # kept even without a figure: later outcomes refer to it
            if has_figure:
                _check_figure(run, p, compact, start, clause, where, claim, block)
            break


def _check_none_claim(run: RuleRun, compact: Compact, start: int, clause: str, claim: NoneClaim) -> None:
    table = run.subject.report.table(claim.table)
    if not table.found:
        return
    carried = table.row(claim.carried_row) if claim.carried_row else None
    excused = set(claim.carried_rows) if carried and any((value(c) or 0) > 0 for c in carried.cells) else set()
    for row_id in claim.zero_rows:
        row = table.row(row_id)
        if row is None or row.missing or row_id in excused:
            continue
        cell = next((c for c in row.cells if (value(c) or 0) > 0), None)
        if cell is None:
            continue
        label = row.label.template if row_id != "V" else ""
        run.emit(
            claim.case,
            location=Location(section=_OVERVIEW, table=claim.table, row=row_id, column=cell.column),
            evidence=clause,
            span=compact.span(start, start + len(clause)),
            key=clause,
            claim=clause,
            cell=f"“{label}”“{cell.column}”" if label else f"“{cell.column}”",
            actual=cell.raw.strip(),
        )
        return


def _stated(claim: FigureClaim, clause: str, where: int) -> int | None:
    """The exact figure nearest after the keyword (else before it); None when approximate or absent."""
    numbers = list(claim.number.finditer(clause))
    after = [m for m in numbers if m.start() >= where]
    chosen = after[0] if after else (numbers[-1] if numbers else None)
    if chosen is None or chosen.group(1) or chosen.group(3) or chosen.group(4) or "." in chosen.group(2):
        return None
    return int(chosen.group(2))


def _readings(run: RuleRun, p: NarrativeParams, claim: FigureClaim, block: str | None) -> list[tuple[str, Number]]:
    sums = claim.readings
    if claim.outcome is not None:
        groups = p.outcome_readings.get(block or "", ())
        sums = tuple(tuple(f"table4/V/{g}/{claim.outcome}" for g in group) for group in groups)
    readings: list[tuple[str, Number]] = []
    for refs in sums:
        cells = [lookup(run.subject.report, ref) for ref in refs]
        values = [value(found[2]) if found else None for found in cells]
        if None not in values:
            readings.append(("+".join(short_name(r) for r in refs), sum(v for v in values if v is not None)))
    return readings


def _check_figure(
    run: RuleRun,
    p: NarrativeParams,
    compact: Compact,
    start: int,
    clause: str,
    where: int,
    claim: FigureClaim,
    block: str | None,
) -> None:
    stated = _stated(claim, clause, where)
    if stated is None:
        return
    readings = _readings(run, p, claim, block)
    if not readings or any(abs(v - stated) < 1e-9 for _, v in readings):
        return
    run.emit(
        claim.case,
        location=Location(section=_OVERVIEW),
        evidence=clause,
        span=compact.span(start, start + len(clause)),
        key=[claim.name, stated],
        claim=clause,
        name=claim.name,
        stated=stated,
        readings=[f"{name} {v}" for name, v in readings],
    )


# ---- N-03 ---------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。！？!?]+")
_DIGITS = r"\d+(?:[.,．]\d+)*"
_NUMBER = re.compile(rf"(?<![\d.,．]){_DIGITS}")
_CLAUSE_MARK = re.compile(r"[，,；;：:]")


class BreakdownParams(Params):
    """A stated total with an enumeration of its parts in the same sentence ("共…N条，其中…a条、…b条")."""

    units: tuple[str, ...] = Field(description="count units; a total and its parts must share one")
    introducers: tuple[str, ...] = Field(description="words right after the total that open the enumeration")
    not_a_total: tuple[str, ...] = Field(description="words in the total's clause that make it a change or a ratio")
    not_a_sum: tuple[str, ...] = Field(
        description="words in the enumeration that make it something else than a sum: partial (等), ratios, nesting"
    )
    not_before: str = Field(description="characters that may not precede a figure: approximate or ordinal")
    min_parts: int = 2

    @cached_property
    def _units(self) -> str:
        return "|".join(map(re.escape, sorted(self.units, key=len, reverse=True)))  # 人次 before 次

    @cached_property
    def total(self) -> re.Pattern[str]:
        introducers = "|".join(map(re.escape, self.introducers))
        return re.compile(rf"(?<![\d.,．])(?P<number>{_DIGITS})(?P<unit>{self._units})[，,：:]?(?:{introducers})")

    @cached_property
    def unit_after(self) -> re.Pattern[str]:
        return re.compile(self._units)

    @cached_property
    def spelled(self) -> re.Pattern[str]:
        """A figure in Chinese numerals ("两条"): it cannot be added up, so the sum is not checked."""
        return re.compile(rf"[〇零一二两三四五六七八九十百千万]+(?:{self._units})")


@kind("narrative_breakdown", BreakdownParams, ("default",))
def narrative_breakdown(run: RuleRun, p: BreakdownParams) -> None:
    for spec in SECTIONS:
        compact = run.subject.compact(spec.section_id)
        for sentence in _SENTENCE.finditer(compact.text):
            totals = list(p.total.finditer(sentence.group()))
            for i, total in enumerate(totals):
                # An enumeration runs to the end of the sentence or to the next stated total.
                end = totals[i + 1].start() if i + 1 < len(totals) else len(sentence.group())
                _check_breakdown(run, p, compact, spec.section_id, sentence.group(), sentence.start(), total, end)


def _parts(p: BreakdownParams, text: str, unit: str) -> list[tuple[int, int]] | None:
    """(value, end offset) of each part of an enumeration; None when it is not a plain sum of `unit` counts."""
    if any(w in text for w in (*p.not_a_sum, *p.introducers)) or p.spelled.search(text):
        return None
    parts: list[tuple[int, int]] = []
    for number in _NUMBER.finditer(text):
        found = p.unit_after.match(text, number.end())
        digits = number.group()
        if found is None or found.group() != unit or not digits.isdigit():
            return None  # another measure, a date, a decimal or an approximation: not a part
        if _preceded(text, number.start(), p.not_before):
            return None
        parts.append((int(digits), found.end()))
    return parts if len(parts) >= p.min_parts else None


def _preceded(text: str, at: int, characters: str) -> bool:
    return at > 0 and text[at - 1] in characters


def _check_breakdown(
    run: RuleRun,
    p: BreakdownParams,
    compact: Compact,
    section_id: str,
    sentence: str,
    offset: int,
    total: re.Match[str],
    end: int,
) -> None:
    number, unit = total.group("number"), total.group("unit")
    clause = max((m.end() for m in _CLAUSE_MARK.finditer(sentence, 0, total.start())), default=0)
    claim = sentence[clause : total.end("unit")]
    if not number.isdigit() or _preceded(sentence, total.start(), p.not_before):
        return
    if any(w in claim for w in p.not_a_total):
        return
    parts = _parts(p, sentence[total.end() : end], unit)
    if parts is None:
        return
    stated = int(number)
    # Parts reaching the total before the sentence ends: what follows is another figure ("；上年结转3件").
    if stated in accumulate(v for v, _ in parts):
        return
    start, stop = offset + clause, offset + total.end() + parts[-1][1]
    values = [v for v, _ in parts]
    run.emit(
        "default",
        location=Location(section=section_id),
        evidence=compact.text[start:stop],
        span=compact.span(start, stop),
        key=[claim, values],
        claim=claim,
        total=stated,
        unit=unit,
        parts=values,
        sum=sum(values),
    )


class FeeStatementParams(Params):
    table: Literal["table3"]
    row: str
    terms: tuple[str, ...]


@kind("fee_statement", FeeStatementParams, ("default",))
def fee_statement(run: RuleRun, p: FeeStatementParams) -> None:
    report = run.subject.report
    table = report.table(p.table)
    row = table.row(p.row) if table.found else None
    section = report.section("S6")
    if row is None or row.missing or section is None or not section.found:
        return
    count = value(row.cell("总计")) or max((value(c) or 0 for c in row.cells), default=0)
    text = run.subject.compact("S6").text
    if count > 0 and not any(t in text for t in p.terms):
        run.emit(
            "default",
            location=Location(section="S6", table=p.table, row=p.row),
            evidence=f"{SECTION_BY_ID['S6'].heading}：{text[:60]}",
            count=count,
        )
