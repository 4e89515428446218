"""What the terminal shows: `dwatch` at 80 columns through a pipe, on the demo's data.

The store is filled the way the demo fills it, without Temporal: the site farm's agencies registered
under the demo supervisors, each report rendered by the farm, parsed, checked and recorded, and its
document archived under the farm's URL. Commands run as a user runs them (the installed `dwatch`,
stdout a pipe, COLUMNS=80).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario, plan
from dwatch.reports.checks import CATALOGUE, CheckContext, run_checks
from dwatch.reports.parsers import parse_document
from rich.cells import cell_len
from temporal_support import DWATCH
from typer.testing import CliRunner, Result

from dwatch.cli import _register, app
from dwatch.cli.orchestration import _missing_line
from dwatch.demo.registry import import_demo
from dwatch.store import migrate
from dwatch.store.blobs import LocalBlobStore
from dwatch.store.database import Store, make_engine
from dwatch.store.documents import FetchedDocument, record_fetch
from dwatch.store.findings import CheckRunInput, record_check_run
from dwatch.store.reports import save_report

YEAR = 2025
SCENARIOS = [Scenario.DEFECTIVE, Scenario.LATE, Scenario.COMPLIANT, Scenario.DEFECTIVE, Scenario.COMPLIANT]
URL = re.compile(r"(?:https?|mailto)://[^\s　（）]+")
RULE_LINE = re.compile(r"^(错误|警告|提示) ([A-Z0-9]+-[A-Z0-9]+) (\S.*)$")

Run = Callable[..., subprocess.CompletedProcess[str]]
Invoke = Callable[..., Result]
_register()
runner = CliRunner()


def _fill(store: Store, farm: Farm) -> dict[str, str]:
    """The demo's records for each farm agency with a report: document, parsed report, check run; the
    archived URL by agency."""
    urls = {}
    for agency in farm.agencies:
        url = farm.app.report_url(agency, farm.port)
        if url is None:
            continue
        data = farm.app.document(agency.agency_id)
        report = parse_document(data, url.rsplit("/", 1)[-1])
        findings = run_checks(report, None, CheckContext(published=agency.published))
        with store.session() as session:
            document = record_fetch(
                session,
                store.blobs,
                FetchedDocument(
                    agency_id=agency.agency_id,
                    report_year=YEAR,
                    url=url,
                    final_url=url,
                    http_status=200,
                    media_type=report.source.media_type,
                    fetched_at=datetime.now(UTC),
                ),
                data,
            )
            report_id = save_report(session, document.id, report)
            record_check_run(
                session,
                CheckRunInput(
                    agency_id=agency.agency_id,
                    report_year=YEAR,
                    catalogue_version=CATALOGUE.version,
                    document_id=document.id,
                    report_id=report_id,
                ),
                findings,
            )
        urls[agency.agency_id] = url
    return urls


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Invoke, dict[str, str]]:
    """`dwatch …` on a store holding the demo's data, through a pipe and in process (for the JSON the
    text is compared with); the report URLs archived."""
    root = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{root / 'dwatch.sqlite3'}"
    migrate.upgrade(url)
    farm = Farm(plan(len(SCENARIOS), YEAR, scenarios=SCENARIOS), YEAR)
    farm.port = 8088  # never started: only its URLs and documents are used
    store = Store(make_engine(url), LocalBlobStore(root / "blobs"))
    try:
        import_demo(store, farm, ["mailto://gwb:s3cret@mail.example.gov.cn?to=gongkai@example.gov.cn"])
        urls = _fill(store, farm)
    finally:
        store.close()
    env = {**os.environ, "COLUMNS": "80", "DWATCH_DATABASE_URL": url, "DWATCH_BLOB_DIR": str(root / "blobs")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([DWATCH, *args], env=env, capture_output=True, text=True, timeout=120)

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run, invoke, urls


def _urls_whole(output: str, expected: list[str]) -> None:
    """Every expected URL appears whole on one line of the output."""
    lines = output.splitlines()
    for url in expected:
        assert any(url in line for line in lines), f"{url} not whole on one line"


def test_findings_severity_first_info_hidden_one_block_each(demo: tuple[Run, Invoke, dict[str, str]]) -> None:
    run, invoke, _ = demo
    everything = json.loads(invoke("findings", "--severity", "info", "--json").stdout)
    severities = [f["severity"] for f in everything]
    assert "info" in severities and "error" in severities
    order = ["error", "warning", "info"]
    assert severities == sorted(severities, key=order.index)  # most severe first

    shown = run("findings")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    heads = [m for m in map(RULE_LINE.match, lines) if m]
    expected = [f for f in everything if f["severity"] != "info"]
    assert len(heads) == len(expected)  # info hidden by default, one head line per finding
    assert [h[2] for h in heads] == [f["rule_id"] for f in expected]
    assert all(h[1] != "提示" for h in heads)
    hidden = len(everything) - len(expected)
    assert f"另有 {hidden} 项较轻的问题未列出" in lines[0]
    for head, finding in zip(heads, expected, strict=True):
        message = finding["message_zh"].removeprefix(f"{finding['rule_id']} ")
        assert head[3] == message  # the whole message on the rule id's line, the id not repeated
        block = lines[lines.index(head[0]) + 1 :][:4]
        assert block[0].startswith("    ") and finding["agency_id"] in block[0]
        if finding["location"]:
            assert any(line.startswith("    位置：") for line in block)
        if finding["evidence"]:
            assert any(line.startswith("    原文：") for line in block)

    with_info = invoke("findings", "--severity", "提示").stdout
    assert sum(bool(RULE_LINE.match(line)) for line in with_info.splitlines()) == len(everything)
    errors_only = invoke("findings", "--severity", "error").stdout
    assert {m[1] for m in map(RULE_LINE.match, errors_only.splitlines()) if m} == {"错误"}


def test_findings_bad_severity_is_one_chinese_line(demo: tuple[Run, Invoke, dict[str, str]]) -> None:
    _, invoke, _ = demo
    result = invoke("findings", "--severity", "fatal")
    assert result.exit_code == 2
    assert "错误：--severity 的值“fatal”无效：可选值为 错误（error）、警告（warning）、提示（info）" in result.stderr


def test_audit_and_registry_keep_urls_whole_at_80_columns(demo: tuple[Run, Invoke, dict[str, str]]) -> None:
    run, invoke, urls = demo
    agency = json.loads(invoke("findings", "--json").stdout)[0]["agency_id"]
    audit = run("audit", agency, str(YEAR))
    assert audit.returncode == 0, audit.stderr
    _urls_whole(audit.stdout, [urls[agency]])
    assert any(len(line) > 80 for line in audit.stdout.splitlines())  # long lines are not folded
    for line in audit.stdout.splitlines():
        for url in URL.findall(line):
            assert url.startswith(("http://", "https://")) and " " not in url

    listed = run("registry", "list")
    assert listed.returncode == 0, listed.stderr
    listing = [a["listing_urls"][0] for a in json.loads(invoke("registry", "list", "--json").stdout)["agencies"]]
    _urls_whole(listed.stdout, listing)
    assert "s3cret" not in listed.stdout


def test_check_keeps_each_rule_and_its_message_on_one_line(tmp_path: Path) -> None:
    farm = Farm(plan(1, YEAR, scenarios=[Scenario.DEFECTIVE]), YEAR)
    report = tmp_path / "report.html"
    report.write_bytes(farm.app.document(farm.agencies[0].agency_id))
    env = {**os.environ, "COLUMNS": "80"}
    text = subprocess.run([DWATCH, "check", str(report)], env=env, capture_output=True, text=True, timeout=120)
    data = json.loads(runner.invoke(app, ["check", str(report), "--format", "json"]).stdout)
    assert data["findings"]
    lines = text.stdout.splitlines()
    for finding in data["findings"]:
        message = finding["message_zh"].removeprefix(f"{finding['rule_id']} ")
        assert any(line.endswith(f"{finding['rule_id']} {message}") for line in lines), finding["rule_id"]


def test_status_splits_the_missing_into_polled_and_past_their_grace_period() -> None:
    # The demo's year is long past its deadline: its 未发布 agencies were escalated and are no longer
    # polled; "0 still polled" alone read as if the 5 were forgotten.
    assert _missing_line(5, 0) == "其中未发布 5 个：仍在轮询 0 个，5 个已过宽限期、不再轮询（逾期未发布）"
    assert _missing_line(5, 2) == "其中未发布 5 个：仍在轮询 2 个，3 个已过宽限期、不再轮询（逾期未发布）"
    assert _missing_line(2, 2) == "其中未发布 2 个：仍在轮询 2 个"
    assert _missing_line(1, 3) == "其中未发布 1 个：仍在轮询 1 个"  # the store and visibility briefly disagree


@pytest.mark.parametrize("columns", [80, 200])
def test_parse_shows_table_four_in_its_three_groups(columns: int, tmp_path: Path) -> None:
    farm = Farm(plan(1, YEAR, scenarios=[Scenario.COMPLIANT]), YEAR)
    farm.port = 8088
    agency = farm.agencies[0]
    url = farm.app.report_url(agency, farm.port)
    assert url is not None
    report = tmp_path / url.rsplit("/", 1)[-1]
    report.write_bytes(farm.app.document(agency.agency_id))
    env = {**os.environ, "COLUMNS": str(columns)}
    done = subprocess.run([DWATCH, "parse", str(report)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table4 = done.stdout[done.stdout.index("表四") :].splitlines()
    titles = [line.strip() for line in table4]
    for group in ("行政复议", "行政诉讼 › 未经复议直接起诉", "行政诉讼 › 复议后起诉"):
        assert group in titles  # each group titled, its five outcomes under it
    for outcome in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"):
        assert sum(outcome in line for line in table4) == 3
    assert "…" not in "\n".join(table4)  # no header cut short
    assert all(cell_len(line) <= columns for line in table4)  # the tables fit the terminal
