"""Deterministic, valid synthetic reports (every rule of spec §6 passes).

Table 三 is built from its result rows: R03..R23 per applicant column, then R24 = their sum,
R25 and R02 drawn, R01 = R24 + R25 - R02; 总计 is the sum of the six applicant columns. The
narrative quotes the tables' own figures, so narrative-vs-table checks hold by construction.
Years 2019 and 2020 use the 2019 trial layouts (correct for those years, spec §3.1).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Literal

from dwatch.demo.synthetic import vocab
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.reports.compliance import AgencyKind, report_deadline
from dwatch.reports.template import SECTIONS, T3_RESULT_ROWS, TABLE2_2019, TABLE2_2021
from hypothesis import strategies as st

YEARS = range(2019, 2025)
_APPLICANT_WEIGHTS = (80, 8, 1, 2, 5, 4)  # 自然人 dominate; 科研机构 are rare
# How results spread over R03..R23: disclosed, partly disclosed, 不掌握 and 不予处理 dominate.
_RESULT_WEIGHTS = (40, 8, 1, 1, 1, 2, 2, 2, 1, 2, 15, 3, 3, 4, 3, 1, 1, 1, 3, 1, 4)
ROWS_2019_OTHER = ("R21", "R22", "R23")  # folded into the single 2019 "（六）其他处理" row
OTHER_2019 = "（六）其他处理"


def generate(
    seed: int, *, agency_kind: AgencyKind | None = None, year: int | None = None, agency: str | None = None
) -> SyntheticReport:
    rng = random.Random(seed)
    kind: AgencyKind = agency_kind if agency_kind else rng.choice(("department", "department", "government"))
    year = year if year is not None else rng.choice((2021, 2022, 2023, 2023, 2024, 2024, 2020))
    place, slug, level = rng.choice(vocab.PLACES)
    if agency is None:
        if kind == "government":
            agency = f"{place}{rng.choice(vocab.TOWNS)}人民政府" if rng.random() < 0.2 else f"{place}人民政府"
        else:
            agency = place + rng.choice(vocab.DEPARTMENTS)
    may_make_rules = kind == "government" and level == "市" and agency == f"{place}人民政府"
    layout: Literal["2019", "2021"] = "2019" if year < 2021 else "2021"

    table3 = _table3(rng, big=kind == "government")
    table4 = _table4(rng, active=rng.random() < (0.6 if kind == "government" else 0.3))
    table2 = _table2_2019(rng) if layout == "2019" else _table2_2021(rng, may_make_rules)
    extra: list[tuple[str, list[str]]] = []
    if layout == "2019":
        table3, extra = fold_2019_other(table3)

    facts = _Facts(rng, agency, kind, year, slug, table2, table3, table4, layout)
    return SyntheticReport(
        agency=agency,
        agency_kind=kind,
        year=year,
        title=f"{agency}{year}年政府信息公开工作年度报告",
        preamble=facts.preamble(),
        headings={s.section_id: s.heading for s in SECTIONS},
        sections=facts.sections(),
        table2=table2,
        table2_layout=layout,
        table3=table3,
        table3_extra_rows=extra,
        table4=table4,
        published=_published(rng, kind, year),
    )


def fold_2019_other(table3: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[tuple[str, list[str]]]]:
    """Table 三 rows in the 2019 layout: R21–R23 summed into the single row "（六）其他处理"."""
    folded = [str(sum(int(table3[r][c] or 0) for r in ROWS_2019_OTHER)) for c in range(7)]
    kept = {rid: cells for rid, cells in table3.items() if rid not in ROWS_2019_OTHER}
    return kept, [(OTHER_2019, folded)]


def reports(*, years: range = YEARS) -> st.SearchStrategy[SyntheticReport]:
    """Valid reports of every agency kind and year; seeds give the variety, so shrinking is shallow."""
    return st.builds(
        generate,
        seed=st.integers(min_value=0, max_value=2**32 - 1),
        agency_kind=st.sampled_from(("department", "government")),
        year=st.sampled_from(tuple(years)),
    )


# ---- tables ------------------------------------------------------------------------------------


def _sparse(rng: random.Random, p_zero: float, high: int) -> int:
    return 0 if rng.random() < p_zero else rng.randint(1, high)


def _big(rng: random.Random, p_zero: float) -> int:
    """A count spanning orders of magnitude: 0, tens, thousands, hundreds of thousands."""
    if rng.random() < p_zero:
        return 0
    return int(10 ** rng.uniform(0, rng.choice((2, 4, 5.5))))


def _table3(rng: random.Random, *, big: bool) -> dict[str, list[str]]:
    volume = rng.choices(("none", "few", "many", "huge"), weights=(25, 45, 22, 8 + 6 * big))[0]
    high = {"none": 0, "few": 20, "many": 300, "huge": 3000}[volume]
    results = rng.randint(1, high) if high else 0
    columns = Counter(rng.choices(range(6), weights=_APPLICANT_WEIGHTS, k=results))
    grid: dict[str, list[int]] = {r: [0] * 7 for r in (f"R{i:02d}" for i in range(1, 26))}
    for column in range(6):
        spread = Counter(rng.choices(T3_RESULT_ROWS, weights=_RESULT_WEIGHTS, k=columns[column]))
        for row, n in spread.items():
            grid[row][column] = n
        done = columns[column]
        carried_out = _sparse(rng, 0.7, max(1, done // 10)) if done else 0
        carried_in = min(_sparse(rng, 0.7, max(1, done // 10)), done + carried_out) if done else 0
        grid["R24"][column] = done
        grid["R25"][column] = carried_out
        grid["R02"][column] = carried_in
        grid["R01"][column] = done + carried_out - carried_in
    for values in grid.values():
        values[6] = sum(values[:6])
    return {row: [str(v) for v in values] for row, values in grid.items()}


def _table4(rng: random.Random, *, active: bool) -> list[str]:
    cells: list[str] = []
    for _block in range(3):
        outcomes = [_sparse(rng, 0.6, 6) if active else 0 for _ in range(4)]
        cells += [str(v) for v in (*outcomes, sum(outcomes))]
    return cells


def _fee(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "0"
    return rng.choice((f"{rng.uniform(0.1, 999):.2f}", f"{rng.uniform(1, 99):.1f}", str(rng.randint(1, 5000))))


def _table2_2021(rng: random.Random, may_make_rules: bool) -> dict[str, dict[str, str]]:
    rules = (rng.randint(0, 3), rng.randint(0, 2), rng.randint(5, 60)) if may_make_rules else (0, 0, 0)
    issued, repealed = _sparse(rng, 0.3, 12), _sparse(rng, 0.6, 6)
    documents = (issued, repealed, issued + rng.randint(0, 80))
    decisions = [(_big(rng, 0.3),), (_big(rng, 0.3),), (_big(rng, 0.5),), (_fee(rng),)]
    values = [rules, documents, *decisions]
    return {
        row.row_id: {column: str(v) for column, v in zip(row.columns, row_values, strict=True)}
        for row, row_values in zip(TABLE2_2021.rows, values, strict=True)
    }


def _signed(n: int) -> str:
    return f"{n:+d}" if n else "0"


def _table2_2019(rng: random.Random) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for row in TABLE2_2019.rows:
        if row.row_id in ("规章", "规范性文件"):
            made = _sparse(rng, 0.4, 10)
            values = [str(made), str(made), str(made + rng.randint(0, 60))]
        elif row.row_id == "政府集中采购":
            values = [str(_sparse(rng, 0.5, 40)), _fee(rng)]
        else:
            last = _big(rng, 0.3)
            change = rng.randint(-min(last, 20), 20) if last else 0
            values = [str(last), _signed(change), str(_big(rng, 0.4))][: len(row.columns)]
        table[row.row_id] = dict(zip(row.columns, values, strict=True))
    return table


def _published(rng: random.Random, kind: AgencyKind, year: int) -> date:
    deadline = report_deadline(year, kind)
    if deadline is None:
        raise ValueError(f"no statutory deadline applies to the reports on {year}")
    return deadline - timedelta(days=rng.randint(0, 25))


# ---- narrative ---------------------------------------------------------------------------------


class _Facts:
    """Fills the phrasings of `vocab` with the report's own figures."""

    def __init__(
        self,
        rng: random.Random,
        agency: str,
        kind: AgencyKind,
        year: int,
        slug: str,
        table2: dict[str, dict[str, str]],
        table3: dict[str, list[str]],
        table4: list[str],
        layout: str,
    ) -> None:
        self.rng, self.agency, self.kind, self.year, self.layout = rng, agency, kind, year, layout
        self.short = rng.choice(("本机关", agency, "我单位" if kind == "department" else "本级政府"))
        self.site = f"{agency}门户网站" if kind == "government" else "本机关门户网站"
        self.url = f"http://www.{slug}.gov.cn"
        self.table2, self.table3, self.table4 = table2, table3, table4

    def pick(self, phrasings: tuple[str, ...], **values: object) -> str:
        return self.rng.choice(phrasings).format(year=self.year, short=self.short, agency=self.agency, **values)

    def t3(self, row: str, column: int = 6) -> int:
        return int(self.table3[row][column]) if row in self.table3 else 0

    def preamble(self) -> str:
        basis = vocab.BASIS_2019 if self.layout == "2019" else vocab.BASIS_2021
        rng = self.rng
        address = f"{self.agency.split('人民政府')[0][:3]}{rng.choice(vocab.STREETS)}{rng.randint(1, 300)}号"
        return "".join(
            (
                self.pick(vocab.PREAMBLE_OPENINGS, basis=basis),
                vocab.PREAMBLE_PARTS,
                self.pick(vocab.PREAMBLE_PERIODS),
                self.pick(vocab.PREAMBLE_DOWNLOADS, site=self.site, url=self.url),
                self.pick(
                    vocab.PREAMBLE_CONTACTS,
                    office=rng.choice(vocab.OFFICES),
                    address=address,
                    postcode=f"{rng.randint(10, 85)}{rng.randint(0, 9999):04d}",
                    phone=f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}",
                ),
            )
        )

    def sections(self) -> dict[str, str]:
        return {
            "S1": self.overview(),
            "S2": self.pick(vocab.S2_PROSE),
            "S3": self.pick(vocab.S3_PROSE_NONE if self.no_applications else vocab.S3_PROSE),
            "S4": self.appeals(),
            "S5": self.problems(),
            "S6": self.other(),
        }

    def overview(self) -> str:
        rng = self.rng
        active: tuple[str, ...]  # the layouts have different numbers of phrasings
        if self.layout == "2019":
            rules, active = self.table2["规范性文件"]["本年新制作数量"], vocab.ACTIVE_2019
        else:
            rules, active = self.table2["行政规范性文件"]["本年制发件数"], vocab.ACTIVE
        items = rng.randint(40, 6000)
        policies, readings = rng.randint(1, items), rng.randint(0, 60)
        paragraphs = [
            self.pick(vocab.S1_OPENINGS),
            # A total with its enumerated parts adds up (N-03).
            self.pick(active, items=items, policies=policies, others=items - policies, rules=rules, readings=readings),
            self.applications(),
            self.pick(vocab.MANAGEMENT, audited=rng.randint(items, items * 2)),
            self.pick(vocab.PLATFORM, updates=rng.randint(20, 3000), media=rng.randint(0, 9000)),
        ]
        supervision = self.pick(vocab.SUPERVISION, trainings=rng.randint(1, 12), checks=rng.randint(1, 24))
        if self.kind == "government":  # 条例第五十条第（四）项: 工作考核、社会评议和责任追究结果
            supervision += self.pick(vocab.ASSESSMENT, surveys=rng.randint(1, 4), weight=rng.randint(2, 6))
        paragraphs.append(supervision)
        return "\n".join(paragraphs)

    @property
    def no_applications(self) -> bool:
        # "未收到" is only true when nothing was received this year nor carried over (spec N-3).
        return not self.t3("R01") and not self.t3("R02")

    def applications(self) -> str:
        received = self.t3("R01")
        if self.no_applications:
            return self.pick(vocab.APPLICATIONS_NONE)
        natural = self.t3("R01", 0)
        return self.pick(
            vocab.APPLICATIONS,
            received=received,
            natural=natural,
            legal=received - natural,
            carried_in=self.t3("R02"),
            done=self.t3("R24"),
            carried_out=self.t3("R25"),
        )

    def appeals(self) -> str:
        appeals = int(self.table4[4])
        suits = int(self.table4[9]) + int(self.table4[14])
        if not appeals and not suits:
            return self.pick(vocab.S4_PROSE_NONE)
        return self.pick(vocab.S4_PROSE, appeals=appeals, suits=suits)

    def problems(self) -> str:
        rng = self.rng
        p1, p2, old = rng.sample(vocab.PROBLEMS, 3)
        m1, m2, m3, fix = rng.sample(vocab.MEASURES, 4)
        return "\n".join(
            (
                self.pick(vocab.S5_PROBLEMS, p1=p1, p2=p2),
                self.pick(vocab.S5_MEASURES, m1=m1, m2=m2, m3=m3, next=self.year + 1),
                self.pick(vocab.S5_RECTIFIED, old=old, fix=fix),
            )
        )

    def other(self) -> str:
        rng = self.rng
        unpaid = self.t3("R22")
        if self.layout == "2019":
            fees = self.pick(vocab.S6_FEES_2019)
        elif unpaid:  # R22 > 0 means fee notices went out (spec N-2)
            notices = unpaid + rng.randint(0, 3)
            paid = (notices - unpaid) * 100
            fees = self.pick(vocab.S6_FEES_CHARGED, notices=notices, amount=notices * 100, unpaid=unpaid, paid=paid)
        else:
            fees = self.pick(vocab.S6_FEES_NONE)
        return "\n".join(
            (
                fees,
                self.pick(vocab.S6_KEYPOINTS, tasks=rng.randint(5, 40)),
                self.pick(vocab.S6_PROPOSALS, motions=rng.randint(0, 60), proposals=rng.randint(0, 60)),
                self.pick(vocab.S6_INNOVATION),
            )
        )
