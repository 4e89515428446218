"""`dwatch check`: exit status like a linter, text/JSON/SARIF output."""

from __future__ import annotations

import json
from pathlib import Path

from bomb_support import docx_with_xml
from corpus import CORPUS
from typer.testing import CliRunner

from dwatch.cli import _register, app

_register()
runner = CliRunner()
HUAIHUA = str(CORPUS / "huaihua-jiaojing-2023.txt")
GANZHOU = str(CORPUS / "ganzhou-jkq-jiaojing-2023.txt")
PINGTAN_ZONE = str(CORPUS / "pingtan-zone-2023.html")


def test_errors_give_exit_status_one_and_a_grouped_report() -> None:
    result = runner.invoke(app, ["check", HUAIHUA])
    assert result.exit_code == 1
    assert "错误（6）" in result.output and "警告" in result.output
    assert result.output.index("错误") < result.output.index("警告")


def test_no_errors_give_exit_status_zero() -> None:
    assert runner.invoke(app, ["check", GANZHOU]).exit_code == 0


def test_late_publication_date_from_the_command_line_is_an_error() -> None:
    result = runner.invoke(
        app, ["check", GANZHOU, "--published", "2024-02-05", "--agency-kind", "department", "--format", "json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    (late,) = [f for f in data["findings"] if f["rule_id"] == "TIME-01"]
    assert (late["severity"], late["arguments"]["days_late"]) == ("error", 5)
    assert (data["agency_kind"], data["agency_kind_source"]) == ("department", "given")


def test_late_by_a_kind_inferred_from_the_name_is_a_warning_stating_the_assumption() -> None:
    # 赣州经开区交警大队 is a department by its name; without --agency-kind that is an inference only.
    result = runner.invoke(app, ["check", GANZHOU, "--published", "2024-02-05", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["agency_kind"], data["agency_kind_source"]) == ("department", "inferred")
    (late,) = [f for f in data["findings"] if f["rule_id"] == "TIME-01"]
    assert late["severity"] == "warning"
    assert (
        late["arguments"] | {"days_late": 5, "deadline": "2024-01-31", "kind_source": "inferred"} == late["arguments"]
    )
    assert "推定为政府部门" in late["message_zh"] and "2024-01-31" in late["message_zh"]
    assert "taken by its name for a department" in late["message_en"]
    text = runner.invoke(app, ["check", GANZHOU, "--published", "2024-02-05"]).output
    assert "机关类别：政府部门（按机关名称推定" in text


def test_a_local_deadline_does_not_rest_on_the_kind() -> None:
    result = runner.invoke(
        app, ["check", GANZHOU, "--published", "2024-02-05", "--deadline", "2024-02-01", "--format", "json"]
    )
    assert result.exit_code == 1


def test_a_government_level_body_not_named_a_government_is_on_time() -> None:
    # 平潭综合实验区 (published 2024-03-08) reports at the level of a government: deadline 03-31.
    result = runner.invoke(app, ["check", PINGTAN_ZONE, "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 0, [f["rule_id"] for f in data["findings"] if f["severity"] == "error"]
    assert (data["agency"], data["agency_kind"], data["agency_kind_source"]) == (
        "平潭综合实验区",
        "government",
        "inferred",
    )
    assert (data["title"], data["title_source"]) == ("平潭综合实验区2023年度政府信息公开工作年度报告", "heading")
    # The title and the statistics period are there (the title only around the body): no STR-03/04.
    assert not [f for f in data["findings"] if f["rule_id"] in {"TIME-01", "STR-03", "STR-04"}]


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
    assert run["properties"] == {"agencyKind": "department", "agencyKindSource": "inferred"}
    t302 = next(r for r in run["results"] if r["ruleId"] == "T3-02")
    names = {loc["kind"]: loc["name"] for loc in t302["locations"][0]["logicalLocations"]}
    assert names == {"section": "S3", "table": "table3", "row": "R24", "column": "自然人"}


def test_unreadable_input_exits_two(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["check", str(tmp_path / "absent.pdf")]).exit_code == 2
    assert runner.invoke(app, ["check", GANZHOU, "--published", "yesterday"]).exit_code == 2


def test_a_document_over_the_parse_budget_is_a_parse_limit_finding_not_a_crash(tmp_path: Path) -> None:
    bomb = tmp_path / "huge.docx"
    bomb.write_bytes(docx_with_xml(40 << 20))
    result = runner.invoke(app, ["check", str(bomb), "--format", "json"])
    data = json.loads(result.output)
    assert [f["rule_id"] for f in data["findings"] if f["rule_id"].startswith(("PARSE-", "STR-"))] == ["PARSE-LIMIT"]
