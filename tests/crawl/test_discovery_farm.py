"""Discovery and fetching against the site farm: every CMS family, every scenario, faults, politeness."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator

import pytest
from dwatch.crawlers.discover import discover
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import Conditional, Discovery, FetchPolicy, SiteSelectors
from dwatch.demo.sitefarm import Farm, FarmAgency, plan
from dwatch.demo.sitefarm.plan import Family, Scenario
from dwatch.reports.model import DateSource
from dwatch.reports.retrieval import FetchFailure, Outcome

YEAR = 2024
# Production politeness (2 in flight per host) with test-sized waits, so the suite stays fast; the
# timeouts leave room for a loaded machine, where the farm (in this process) answers slowly. One
# retry more than production: a flaky site fails its first two requests, and when the farm stalls
# past a timeout the request it answers first may be the latest one, which then meets the 503.
POLICY = FetchPolicy(
    per_host_concurrency=2,
    per_host_interval=0.02,
    connect_timeout=4,
    read_timeout=4,
    total_timeout=12,
    retries=3,
    retry_backoff=0.05,
    max_body_bytes=16 * 1024 * 1024,
    allow_private_addresses=True,
)


@pytest.fixture(scope="module")
def farm() -> Iterator[Farm]:
    # 200 agencies: every family and every scenario many times over (scenarios cycle through all 14).
    agencies = plan(200, YEAR, seed=3, scenarios=list(Scenario))
    farm = Farm(agencies, YEAR, seed=3)
    farm.prerender()  # real sites serve files they already have; rendering would stall the farm's loop
    with farm:
        yield farm


async def _discover_all(farm: Farm, policy: FetchPolicy = POLICY) -> dict[str, Discovery]:
    async with Fetcher(policy) as fetcher:
        results = await asyncio.gather(*(discover(farm.target(a), YEAR, fetcher) for a in farm.agencies))
    return {r.agency_id: r for r in results}


@pytest.fixture(scope="module")
def discoveries(farm: Farm) -> dict[str, Discovery]:
    return asyncio.run(_discover_all(farm))


def test_farm_covers_every_family_and_scenario(farm: Farm) -> None:
    assert {a.family for a in farm.agencies} == set(Family)
    assert {a.scenario for a in farm.agencies} == set(Scenario)
    assert {a.encoding for a in farm.agencies} == {"utf-8", "gbk"}
    assert {a.doc_format.value for a in farm.agencies} == {"html", "pdf", "docx"}


def test_every_outcome_is_right(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    wrong = [
        f"{a.agency_id} {a.family} {a.scenario}: expected {a.expected_outcome}, got {discoveries[a.agency_id].outcome}"
        f" ({discoveries[a.agency_id].reason})"
        for a in farm.agencies
        if discoveries[a.agency_id].outcome.value != a.expected_outcome
    ]
    assert wrong == []


def test_found_documents_are_the_right_bytes_from_the_right_url(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    for agency in farm.agencies:
        found = discoveries[agency.agency_id]
        if found.outcome is not Outcome.FOUND:
            continue
        assert found.document is not None
        assert found.document.final_url == farm.report_url(agency), agency
        assert found.document.sha256 == hashlib.sha256(farm.app.document(agency.agency_id)).hexdigest(), agency


def test_publication_dates_and_their_source(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    for agency in farm.agencies:
        found = discoveries[agency.agency_id]
        if found.outcome is Outcome.FOUND:
            assert found.publication_date == agency.published, agency
            assert found.date_evidence[0].source is DateSource.META, agency


def test_missing_and_unreachable_are_told_apart_with_reasons(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    expected_failure = {
        Scenario.DOWN: FetchFailure.HTTP_STATUS,
        Scenario.RESET: FetchFailure.CONNECTION,
        Scenario.HANGING: FetchFailure.TIMEOUT,
        Scenario.TRUNCATED: FetchFailure.TRUNCATED,
        Scenario.OFF_HOST: FetchFailure.HOST_NOT_ALLOWED,
        Scenario.OVERSIZED: FetchFailure.TOO_LARGE,
        Scenario.ROBOTS: FetchFailure.ROBOTS,
    }
    for agency in farm.agencies:
        found = discoveries[agency.agency_id]
        if agency.scenario is Scenario.MISSING:
            assert found.failure is None and "未发现" in found.reason
            assert found.pages_visited >= 2  # it paged through the whole column
        elif agency.scenario in expected_failure:
            assert found.failure is expected_failure[agency.scenario], (agency, found.reason)
            assert found.reason


def test_per_host_limits_were_never_exceeded(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    assert discoveries  # the sweep ran
    assert farm.server.max_in_flight
    assert max(farm.server.max_in_flight.values()) <= POLICY.per_host_concurrency


def test_flaky_sites_are_retried(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    flaky = [a for a in farm.agencies if a.scenario is Scenario.FLAKY]
    assert flaky
    for agency in flaky:
        document = discoveries[agency.agency_id].document
        # Two 503s, then the report: three attempts, one more if a timeout came first.
        assert document is not None and document.attempts >= 3, discoveries[agency.agency_id].reason


def test_wrong_content_type_is_sniffed(farm: Farm, discoveries: dict[str, Discovery]) -> None:
    for agency in (a for a in farm.agencies if a.scenario is Scenario.WRONG_TYPE):
        document = discoveries[agency.agency_id].document
        assert document is not None and document.content_type == "text/html; charset=utf-8"
        assert document.content is not None and document.content[:4] in (b"%PDF", b"PK\x03\x04")


def _one(farm: Farm, scenario: Scenario) -> FarmAgency:
    return next(a for a in farm.agencies if a.scenario is scenario and a.doc_format.value != "html")


def test_conditional_get_and_replacement(farm: Farm) -> None:
    agency = _one(farm, Scenario.REPLACED)

    async def run() -> tuple[Discovery, Discovery, Discovery]:
        async with Fetcher(POLICY) as fetcher:
            first = await discover(farm.target(agency), YEAR, fetcher)
            assert first.document is not None
            known = {first.document.url: Conditional(etag=first.document.etag)}
            unchanged = await discover(farm.target(agency), YEAR, fetcher, known)
            farm.app.replace(agency.agency_id)
            replaced = await discover(farm.target(agency), YEAR, fetcher, known)
            return first, unchanged, replaced

    first, unchanged, replaced = asyncio.run(run())
    assert unchanged.document is not None and unchanged.document.not_modified
    assert unchanged.document.content is None
    assert replaced.document is not None and replaced.document.status == 200
    assert replaced.document.sha256 != first.document.sha256  # type: ignore[union-attr]
    assert replaced.document.final_url == first.document.final_url  # type: ignore[union-attr]


def test_private_addresses_are_refused_by_default(farm: Farm) -> None:
    agency = _one(farm, Scenario.COMPLIANT)
    result = asyncio.run(_discover_one(farm, agency, POLICY.model_copy(update={"allow_private_addresses": False})))
    assert result.outcome is Outcome.UNREACHABLE
    assert result.failure is FetchFailure.ADDRESS_REFUSED


def test_hanging_site_gives_up_within_bounded_time(farm: Farm) -> None:
    agency = next(a for a in farm.agencies if a.scenario is Scenario.HANGING)
    loop_time = asyncio.run(_timed(farm, agency))
    # 4 attempts of at most read_timeout each, plus backoff: bounded, whatever the site does.
    assert loop_time < 3 * POLICY.total_timeout


async def _discover_one(farm: Farm, agency: FarmAgency, policy: FetchPolicy) -> Discovery:
    async with Fetcher(policy) as fetcher:
        return await discover(farm.target(agency), YEAR, fetcher)


async def _timed(farm: Farm, agency: FarmAgency) -> float:
    started = asyncio.get_running_loop().time()
    result = await _discover_one(farm, agency, POLICY)
    assert result.failure is FetchFailure.TIMEOUT
    return asyncio.get_running_loop().time() - started


def test_registry_selectors_override_the_generic_path(farm: Farm) -> None:
    agency = next(a for a in farm.agencies if a.scenario is Scenario.COMPLIANT and a.family is Family.TRS)
    base = farm.target(agency)

    def with_selectors(**selectors: str) -> Discovery:
        target = base.model_copy(update={"selectors": SiteSelectors(**selectors)})

        async def run() -> Discovery:
            async with Fetcher(POLICY) as fetcher:
                return await discover(target, YEAR, fetcher)

        return asyncio.run(run())

    assert with_selectors(link_css="div.list a", link_url_pattern=r"/t\d{8}_\d+\.html$").outcome is Outcome.FOUND
    # A pattern no report link matches, or a selector matching no link: the search finds nothing.
    assert with_selectors(link_url_pattern=r"/never/").outcome is Outcome.MISSING
    assert with_selectors(link_css="nav a").outcome is Outcome.MISSING
