"""Farm agencies publishing their reports as HTML pages, each on a host of its own (for the tests of
the images such pages carry)."""

from __future__ import annotations

from dwatch.demo.sitefarm import Farm, FarmAgency, plan
from dwatch.demo.sitefarm.plan import DocFormat, Scenario


def html_farm(count: int, year: int, seed: int) -> tuple[list[FarmAgency], Farm]:
    agencies = [
        a.model_copy(update={"doc_format": DocFormat.HTML, "encoding": "utf-8"})
        for a in plan(count, year, seed=seed, scenarios=[Scenario.COMPLIANT])
    ]
    assert len({a.address for a in agencies}) == count
    return agencies, Farm(agencies, year, seed=seed)
