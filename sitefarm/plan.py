"""The farm's agencies, deterministic from a seed: who they are, how their site is built, what happens."""

from __future__ import annotations

import random
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Family(StrEnum):
    """CMS families of spec §5.2, each with its own URL scheme and pager."""

    TRS = "trs"  # /xxgk/xxgknb/index_1.html, detail /202401/t20240129_123.html, pager in JavaScript
    HANWEB = "hanweb"  # /col/col123/index.html?pageNum=2, detail /art/2024/1/29/art_123_456.html
    VSB = "vsb"  # /xxgk/nb.htm → nb/2.htm, detail /info/1050/64208.htm
    JIYUE = "jiyue"  # 集约化 platform hosting several agencies: /{agency}/zfxxgkgzndbg/content/post_1.html
    GENERIC = "generic"  # /nianbao/?page=2, detail /nianbao/123.html


class Scenario(StrEnum):
    COMPLIANT = "compliant"
    LATE = "late"  # published after the statutory deadline
    DEFECTIVE = "defective"  # table 三 does not reconcile
    MISSING = "missing"  # no report for the year in the column
    REPLACED = "replaced"  # the document changes (same URL) when the farm is told to replace it
    FLAKY = "flaky"  # the first requests to the report fail with 503, then it works: retried, found
    WRONG_TYPE = "wrong-type"  # an attachment served with a wrong Content-Type: sniffed, found
    DOWN = "down"  # every request answers 503: unreachable
    RESET = "reset"  # connections reset: unreachable
    HANGING = "hanging"  # the listing never answers: unreachable (timeout)
    TRUNCATED = "truncated"  # the report body is always cut short: unreachable
    OFF_HOST = "off-host"  # the report redirects to a host outside the allowed hosts: unreachable
    OVERSIZED = "oversized"  # the report attachment is larger than the crawler accepts: unreachable
    ROBOTS = "robots"  # robots.txt forbids the column: unreachable (robots honoured)


class DocFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"


_UNREACHABLE = (
    Scenario.DOWN,
    Scenario.RESET,
    Scenario.HANGING,
    Scenario.TRUNCATED,
    Scenario.OFF_HOST,
    Scenario.OVERSIZED,
    Scenario.ROBOTS,
)
EXPECTED_OUTCOME = {Scenario.MISSING: "missing", **dict.fromkeys(_UNREACHABLE, "unreachable")}

# Mix of a realistic sweep: most agencies publish on time; every fault appears.
_MIX: tuple[tuple[Scenario, int], ...] = (
    (Scenario.COMPLIANT, 50),
    (Scenario.LATE, 10),
    (Scenario.DEFECTIVE, 10),
    (Scenario.MISSING, 8),
    (Scenario.REPLACED, 3),
    (Scenario.FLAKY, 3),
    (Scenario.WRONG_TYPE, 3),
    (Scenario.DOWN, 2),
    (Scenario.RESET, 2),
    (Scenario.HANGING, 2),
    (Scenario.TRUNCATED, 2),
    (Scenario.OFF_HOST, 2),
    (Scenario.OVERSIZED, 2),
    (Scenario.ROBOTS, 1),
)
_CITIES = ("东川", "南平", "西岭", "北屯", "清河", "安宁", "永丰", "长乐", "新和", "云溪", "白沙", "临江")
_DISTRICTS = ("甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸")
_DEPARTMENTS = (
    "交通运输局",
    "教育局",
    "财政局",
    "生态环境局",
    "市场监督管理局",
    "自然资源局",
    "卫生健康委员会",
    "公安局交警支队",
)
JIYUE_GROUP = 8  # agencies sharing one 集约化 platform host


class FarmAgency(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    agency_id: str
    name: str
    kind: str  # department | government
    region: str
    family: Family
    encoding: str  # utf-8 | gbk
    doc_format: DocFormat
    scenario: Scenario
    address: str  # loopback address of its host
    column: str  # path prefix of its 年报 column (several agencies share a 集约化 host)
    published: date
    listing_position: int  # where the report stands in the column listing (0 = first)

    @property
    def expected_outcome(self) -> str:
        return EXPECTED_OUTCOME.get(self.scenario, "found")


def _name(index: int, kind: str) -> str:
    """A unique, realistic name (no digits: real names have none, and a digit would merge into the year)."""
    city = _CITIES[index % len(_CITIES)]
    rest = index // len(_CITIES)
    district = "".join(_DISTRICTS[(rest // 10**k) % 10] for k in range(1 + (rest >= 10) + (rest >= 100)))
    if kind == "government":
        return f"{city}市{district}区人民政府"
    department = _DEPARTMENTS[(index // 7) % len(_DEPARTMENTS)]
    return f"{city}市{district}区{department}"


def _doc_format(rng: random.Random, scenario: Scenario) -> DocFormat:
    if scenario in (Scenario.OVERSIZED, Scenario.WRONG_TYPE):  # faults of attachments
        return DocFormat.PDF if rng.random() < 0.5 else DocFormat.DOCX
    return rng.choice((DocFormat.HTML, DocFormat.HTML, DocFormat.PDF, DocFormat.DOCX))


def _address(host_index: int) -> str:
    return f"127.77.{host_index // 250}.{host_index % 250 + 1}"


def _host_index(i: int, family: Family, hosts: int | None, busiest: int) -> int:
    if hosts is None:
        # A host per agency, but the 集约化 family's agencies share one per JIYUE_GROUP.
        return 1000 + i // JIYUE_GROUP if family is Family.JIYUE else i
    if i < busiest or hosts == 1:
        return 0
    return 1 + (i - busiest) % (hosts - 1) if busiest else i % hosts


def plan(
    count: int,
    year: int,
    seed: int = 0,
    scenarios: list[Scenario] | None = None,
    *,
    hosts: int | None = None,
    busiest: int = 0,
) -> list[FarmAgency]:
    """`count` agencies; with `scenarios`, agency i gets scenarios[i % len(scenarios)] (for targeted tests).

    With `hosts`, the agencies share that many hosts, as a city's departments publish on the city's
    portal (every family then keeps its pages under the agency's own column): the first `busiest`
    agencies on one host, the rest spread evenly over the others (0: all spread evenly)."""
    rng = random.Random(seed)
    pool = [s for s, weight in _MIX for _ in range(weight)]
    agencies = []
    for i in range(count):
        family = list(Family)[i % len(Family)]
        kind = "government" if i % 7 == 3 else "department"
        name = _name(i, kind)
        scenario = scenarios[i % len(scenarios)] if scenarios else rng.choice(pool)
        deadline = date(year + 1, 3, 31) if kind == "government" else date(year + 1, 1, 31)
        offset = rng.randint(5, 40) if scenario is Scenario.LATE else -rng.randint(0, 25)
        shared = hosts is not None or family is Family.JIYUE
        agencies.append(
            FarmAgency(
                index=i,
                agency_id=f"farm-{i:05d}",
                name=name,
                kind=kind,
                region=f"99{i % 100:02d}00",
                family=family,
                encoding="gbk" if family in (Family.TRS, Family.GENERIC) and i % 2 == 0 else "utf-8",
                doc_format=_doc_format(rng, scenario),
                scenario=scenario,
                address=_address(_host_index(i, family, hosts, busiest)),
                column=f"/a{i:05d}" if shared else "",
                published=deadline + timedelta(days=offset),
                listing_position=rng.randrange(10),
            )
        )
    return agencies
