"""Routing of the farm: which agency a request is for, what it is asked for, and which fault applies."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dwatch.demo.sitefarm.pages import (
    Entry,
    attachment_page,
    attachment_path,
    detail_path,
    encode,
    listing_page,
    listing_path,
    other_document_page,
)
from dwatch.demo.sitefarm.plan import DocFormat, FarmAgency, Scenario
from dwatch.demo.sitefarm.server import Fault, Request, Response
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, render

_FLAKY_FAILURES = 2  # the first requests for a flaky agency's report fail with 503
_OVERSIZE = 64 * 1024 * 1024
_MEDIA = {
    DocFormat.PDF: "application/pdf",
    DocFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class _Route:
    agency: FarmAgency
    kind: str  # listing | report | attachment | other
    entry: Entry | None = None
    page: int = 0


class FarmApp:
    def __init__(self, agencies: list[FarmAgency], year: int, seed: int = 0, latency: float = 0.0) -> None:
        self.year = year
        self.seed = seed
        self.latency = latency
        self._by_address: dict[str, list[FarmAgency]] = {}
        for agency in agencies:
            self._by_address.setdefault(agency.address, []).append(agency)
        self._owners = {address: group[0] for address, group in self._by_address.items() if len(group) == 1}
        self.agencies = {a.agency_id: a for a in agencies}
        self.versions: Counter[str] = Counter()  # replacements made per agency
        self._documents: dict[tuple[str, int], bytes] = {}
        self._report_requests: Counter[str] = Counter()
        self._entries = {a.agency_id: self._entries_of(a) for a in agencies}
        self._routes: dict[tuple[str, str], _Route] = {}
        for agency in agencies:
            self._add_routes(agency)

    # ---- what each site contains --------------------------------------------------------------

    def _entries_of(self, agency: FarmAgency) -> list[Entry]:
        rng = random.Random(f"{self.seed}/{agency.agency_id}")
        y, name = self.year, agency.name
        base = 100_000 + agency.index * 100
        others = [
            Entry(base + 1, f"{name}{y - 1}年政府信息公开工作年度报告", date(y, 1, rng.randint(10, 28))),
            Entry(base + 2, f"{name}{y - 2}年政府信息公开工作年度报告", date(y - 1, 1, rng.randint(10, 28))),
            Entry(base + 3, f"{name}{y + 1}年部门预算公开", date(y + 1, 2, rng.randint(1, 20))),
            Entry(base + 4, f"{name}{y}年度部门决算", date(y, 8, rng.randint(1, 28))),
            Entry(base + 5, f"{name}{y + 1}年政务公开工作要点", date(y + 1, 3, rng.randint(1, 28))),
            Entry(
                base + 6, f"关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知", date(y, 12, rng.randint(1, 20))
            ),
            *(Entry(base + 10 + k, f"{name}关于公布第{k}批政务服务事项的公告", date(y, k, 15)) for k in range(1, 7)),
        ]
        others.sort(key=lambda e: e.published, reverse=True)
        if agency.scenario is not Scenario.MISSING:
            report = Entry(base + 99, f"{name}{y}年政府信息公开工作年度报告", agency.published, is_report=True)
            others.insert(min(agency.listing_position, len(others)), report)
        return others

    def _add_routes(self, agency: FarmAgency) -> None:
        entries = self._entries[agency.agency_id]
        pages = -(-len(entries) // 6)
        for page in range(pages):
            self._routes[(agency.address, listing_path(agency, page))] = _Route(agency, "listing", page=page)
        for entry in entries:
            kind = "report" if entry.is_report else "other"
            self._routes[(agency.address, detail_path(agency, entry))] = _Route(agency, kind, entry)
            if entry.is_report and agency.doc_format is not DocFormat.HTML:
                path = attachment_path(agency, entry, agency.doc_format.value)
                self._routes[(agency.address, path)] = _Route(agency, "attachment", entry)

    @staticmethod
    def listing_url(agency: FarmAgency, port: int) -> str:
        return f"http://{agency.address}:{port}{listing_path(agency, 0)}"

    def report_url(self, agency: FarmAgency, port: int) -> str | None:
        """The URL of the document the crawler should end with, or None for a missing report."""
        entry = next((e for e in self._entries[agency.agency_id] if e.is_report), None)
        if entry is None:
            return None
        if agency.doc_format is DocFormat.HTML:
            return f"http://{agency.address}:{port}{detail_path(agency, entry)}"
        return f"http://{agency.address}:{port}{attachment_path(agency, entry, agency.doc_format.value)}"

    # ---- serving -------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        address, port = request.host.rsplit(":", 1)
        route = self._routes.get((address, request.path))
        # Site-wide faults belong to the agency owning the host; a shared 集约化 host has no single owner.
        owner = route.agency if route else self._owners.get(address)
        if owner is not None and owner.scenario is Scenario.DOWN:
            return Response(503, b"service unavailable", delay=self.latency)
        if owner is not None and owner.scenario is Scenario.RESET:
            return Response(fault=Fault.RESET)
        if request.path == "/robots.txt":
            return self._robots(address)
        if route is None:
            return Response(404, b"not found", {"Content-Type": "text/html"}, delay=self.latency)
        response = self._serve_route(route, request, port)
        response.delay = self.latency
        return response

    def _agencies_at(self, address: str) -> list[FarmAgency]:
        return self._by_address.get(address, [])

    def _robots(self, address: str) -> Response:
        blocked = [a for a in self._agencies_at(address) if a.scenario is Scenario.ROBOTS]
        lines = ["User-agent: *", "Disallow: /admin/"]
        for agency in blocked:
            lines.append(f"Disallow: {listing_path(agency, 0).rsplit('/', 1)[0]}/")
        return Response(200, "\n".join(lines).encode(), {"Content-Type": "text/plain"})

    def _serve_route(self, route: _Route, request: Request, port: str) -> Response:
        agency = route.agency
        if route.kind == "listing":
            if agency.scenario is Scenario.HANGING:
                return Response(fault=Fault.HANG)
            html_text = listing_page(agency, self._entries[agency.agency_id], route.page)
            return _html(agency, html_text)
        assert route.entry is not None
        if route.kind == "other":
            return _html(agency, other_document_page(agency, route.entry))
        if route.kind == "report" and agency.doc_format is not DocFormat.HTML:
            if agency.scenario is Scenario.OFF_HOST:
                return Response(302, b"", {"Location": f"http://127.66.6.6:{port}/mirror/{route.entry.entry_id}.html"})
            attachment = attachment_path(agency, route.entry, agency.doc_format.value)
            return _html(agency, attachment_page(agency, route.entry, attachment))
        return self._serve_report(agency, request)

    def _serve_report(self, agency: FarmAgency, request: Request) -> Response:
        """The report document itself: the HTML article, or the PDF/DOCX attachment."""
        self._report_requests[agency.agency_id] += 1
        if agency.scenario is Scenario.FLAKY and self._report_requests[agency.agency_id] <= _FLAKY_FAILURES:
            return Response(503, b"busy")
        if agency.scenario is Scenario.OFF_HOST:
            return Response(302, b"", {"Location": "http://127.66.6.6/mirror/report.html"})
        if agency.scenario is Scenario.OVERSIZED:
            return Response(200, _oversized(), {"Content-Type": _MEDIA[DocFormat.PDF]})
        version = self.versions[agency.agency_id]
        headers = {"ETag": f'"{agency.agency_id}-v{version}"', "Last-Modified": _http_date(agency.published, version)}
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(304, b"", headers)
        body = self.document(agency.agency_id)
        if agency.doc_format is DocFormat.HTML:
            headers["Content-Type"] = f"text/html; charset={'gb2312' if agency.encoding == 'gbk' else 'utf-8'}"
        else:
            wrong = agency.scenario is Scenario.WRONG_TYPE
            headers["Content-Type"] = "text/html; charset=utf-8" if wrong else _MEDIA[agency.doc_format]
        fault = Fault.TRUNCATE if agency.scenario is Scenario.TRUNCATED else None
        return Response(200, body, headers, fault=fault)

    # ---- documents ------------------------------------------------------------------------------

    def report(self, agency_id: str) -> SyntheticReport:
        """The truth of the agency's current report (after any replacement)."""
        return _report(self.agencies[agency_id], self.year, self.seed, self.versions[agency_id])

    def document(self, agency_id: str) -> bytes:
        """The bytes of the agency's current report; rendered once, kept like a file on a real site."""
        key = (agency_id, self.versions[agency_id])
        if key not in self._documents:
            self._documents[key] = _render(self.agencies[agency_id], self.report(agency_id))
        return self._documents[key]

    def replace(self, agency_id: str) -> None:
        """The agency silently replaces its published report (spec §4.1: 发布后有变动)."""
        self.versions[agency_id] += 1


def _report(agency: FarmAgency, year: int, seed: int, version: int) -> SyntheticReport:
    report = generate(seed * 100_003 + agency.index, agency_kind=agency.kind, year=year, agency=agency.name)  # type: ignore[arg-type]
    report = report.model_copy(update={"published": agency.published})
    if agency.scenario is Scenario.DEFECTIVE:
        report = break_reconciliation(report)
    if version:
        s5 = report.sections["S5"] + f"\n（本报告于发布后第{version}次更新。）"
        report = report.model_copy(update={"sections": {**report.sections, "S5": s5}})
    return report


def _render(agency: FarmAgency, report: SyntheticReport) -> bytes:
    fmt = {
        DocFormat.HTML: Format.HTML_GBK if agency.encoding == "gbk" else Format.HTML,
        DocFormat.PDF: Format.PDF,
        DocFormat.DOCX: Format.DOCX,
    }[agency.doc_format]
    return render(report, fmt)


def break_reconciliation(report: SyntheticReport) -> SyntheticReport:
    """A typical real defect: one more application in （七）总计 than the rows above it (T3-02/03/04)."""
    total = list(report.table3["R24"])
    total[0] = str(int(total[0] or 0) + 1)
    return report.model_copy(update={"table3": {**report.table3, "R24": total}})


@lru_cache(maxsize=1)
def _oversized() -> bytes:
    return b"%PDF-1.4\n" + b"0" * _OVERSIZE


def _html(agency: FarmAgency, text: str) -> Response:
    charset = "gb2312" if agency.encoding == "gbk" else "utf-8"
    return Response(200, encode(agency, text), {"Content-Type": f"text/html; charset={charset}"})


def _http_date(published: date, version: int) -> str:
    moment = published + timedelta(days=version)
    return moment.strftime("%a, %d %b %Y 09:30:00 GMT")
