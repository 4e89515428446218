"""`dwatch check`: exit status like a linter, text/JSON/SARIF output."""

from __future__ import annotations

import json

from corpus import CORPUS
from typer.testing import CliRunner

from dwatch.cli import _register, app

_register()
runner = CliRunner()
HUAIHUA = str(CORPUS / "huaihua-jiaojing-2023.txt")
GANZHOU = str(CORPUS / "ganzhou-jkq-jiaojing-2023.txt")


def test_errors_give_exit_status_one_and_a_grouped_report() -> None:
    result = runner.invoke(app, ["check", HUAIHUA])
    assert result.exit_code == 1
    assert "错误（6）" in result.output and "警告" in result.output
    assert result.output.index("错误") < result.output.index("警告")


def test_no_errors_give_exit_status_zero() -> None:
    assert runner.invoke(app, ["check", GANZHOU]).exit_code == 0


def test_late_publication_date_from_the_command_line_is_an_error() -> None:
    result = runner.invoke(app, ["check", GANZHOU, "--published", "2024-02-05", "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    (late,) = [f for f in data["findings"] if f["rule_id"] == "TIME-01"]
    assert (late["severity"], late["arguments"]["days_late"]) == ("error", 5)


def test_government_kind_moves_the_deadline() -> None:
    result = runner.invoke(
        app, ["check", GANZHOU, "--published", "2024-02-05", "--agency-kind", "government", "--format", "json"]
    )
    assert result.exit_code == 0


def test_json_output() -> None:
    data = json.loads(runner.invoke(app, ["check", HUAIHUA, "--format", "json", "--previous", GANZHOU]).output)
    assert data["summary"]["error"] == 6
    assert {"T3-02", "N-01"} <= {f["rule_id"] for f in data["findings"]}
    assert all(f["catalogue_version"] == data["catalogue_version"] for f in data["findings"])


def test_sarif_output() -> None:
    result = runner.invoke(app, ["check", HUAIHUA, "--format", "sarif"])
    log = json.loads(result.output)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(r["shortDescription"]["text"] for r in run["tool"]["driver"]["rules"])
    for res in run["results"]:
        assert res["ruleId"] == rule_ids[res["ruleIndex"]]
        assert res["level"] in {"error", "warning", "note"}
        assert res["partialFingerprints"]["dwatchFingerprint/v1"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("huaihua-jiaojing-2023.txt")
    t302 = next(r for r in run["results"] if r["ruleId"] == "T3-02")
    names = {loc["kind"]: loc["name"] for loc in t302["locations"][0]["logicalLocations"]}
    assert names == {"section": "S3", "table": "table3", "row": "R24", "column": "自然人"}


def test_unreadable_input_exits_two(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["check", str(tmp_path / "absent.pdf")]).exit_code == 2
    assert runner.invoke(app, ["check", GANZHOU, "--published", "yesterday"]).exit_code == 2
