from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_support import REASON, REFUSED, digest, escalation, report_run, sweep_id, sweep_run
from dwatch.reports.model import AnnualReport, SourceInfo
from dwatch.reports.retrieval import Outcome
from factories import AGENCY, FIXTURES, YEAR, fetched, finding, run
from sqlalchemy import select
from typer.testing import CliRunner, Result

from dwatch.cli import _register, app
from dwatch.store import migrate
from dwatch.store.database import Store, make_engine
from dwatch.store.documents import record_fetch
from dwatch.store.findings import record_check_run
from dwatch.store.notifications import NotificationRequest, create_notification, record_attempt
from dwatch.store.reports import save_report
from dwatch.store.runs import start_run
from dwatch.store.tables import Finding

SECRETS = ("s3cret-pass", "another-secret", "abc123")
Invoke = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Invoke:
    _register()
    runner = CliRunner()
    env = {"DWATCH_DATABASE_URL": db_url, "DWATCH_BLOB_DIR": str(tmp_path / "blobs"), "COLUMNS": "200"}
    return lambda *args: runner.invoke(app, list(args), env=env)


def test_registry_import_list_export(cli: Invoke, tmp_path: Path) -> None:
    result = cli("registry", "import", str(FIXTURES / "registry.yaml"))
    assert result.exit_code == 0, result.output
    assert "监督机构 新增 2" in result.output and "机关 新增 3" in result.output

    listed = cli("registry", "list", "--json")
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert [a["id"] for a in data["agencies"]] == ["gz-jkq-jiaojing", "hh-gov", "hh-jiaojing"]
    assert "mailto://****@mail.hunan.gov.cn/****" in listed.stdout
    printed = cli("registry", "export", "--format", "csv")
    for output in (listed.output, cli("registry", "list").output, printed.output):
        assert not any(secret in output for secret in SECRETS)

    target = tmp_path / "full.csv"
    assert cli("registry", "export", "--output", str(target)).exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o600
    assert "s3cret-pass" in target.read_text(encoding="utf-8")
    again = cli("registry", "import", str(target))
    assert again.exit_code == 0
    assert "监督机构 新增 0、更新 0、未变 2" in again.output


def test_registry_import_rejects_a_bad_file(cli: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes("type,id,name\nsupervisor,s1,怀化\nsupervisor,s1,湖南\n".encode("gbk"))
    result = cli("registry", "import", str(bad))
    assert result.exit_code == 1
    assert "第2行：不是 UTF-8 编码" in result.output
    assert "第3行：不是 UTF-8 编码" in result.output
    assert "bad.csv 有 2 处错误，未导入任何内容" in result.output
    assert json.loads(cli("registry", "list", "--json").stdout) == {"supervisors": [], "agencies": [], "hosts": []}


def _history(store: Store) -> None:
    """A year of records for one agency: fetch, parse, check twice, waive, notify."""
    with store.session() as session:
        workflow = start_run(session, "annual-hh-jiaojing-2023", "run-7", "annual-check")
        document = record_fetch(
            session, store.blobs, fetched().model_copy(update={"workflow_run_id": workflow.id}), b"v1"
        )
        report = AnnualReport(
            source=SourceInfo(name="nb.html", sha256=document.sha256, media_type="text/html", size=2),
            title="怀化市公安局交警支队2023年政府信息公开工作年度报告",
        )
        report_id = save_report(session, document.id, report, workflow_run_id=workflow.id)
        checks = run(0, document_id=document.id, report_id=report_id, workflow_run_id=workflow.id)
        record_check_run(
            session, checks, [finding("ACC-01", message="申请总数与分项之和不符"), finding("MISS-01", row="R02")]
        )
        record_check_run(session, run(24), [finding("ACC-01", message="申请总数与分项之和不符")])
        acc = session.scalars(select(Finding).where(Finding.rule_id == "ACC-01")).one()
        notification, _ = create_notification(
            session,
            NotificationRequest(
                idempotency_key="annual-hh-jiaojing-2023/run-7/hh-gwb",
                recipient="怀化市人民政府办公室政务公开办",
                target_url="mailto://hh:another-secret@mail.huaihua.gov.cn",
                subject="发现 1 个问题",
                body="…",
                finding_ids=[acc.id],
                workflow_run_id=workflow.id,
            ),
        )
        record_attempt(session, notification.id, ok=True)


def test_findings_and_audit(cli: Invoke, registered: Store) -> None:
    _history(registered)
    open_findings = json.loads(
        cli("findings", "--agency", AGENCY, "--year", str(YEAR), "--status", "open", "--json").stdout
    )
    assert [f["rule_id"] for f in open_findings] == ["ACC-01"]
    resolved = json.loads(cli("findings", "--status", "resolved", "--json").stdout)
    assert [f["rule_id"] for f in resolved] == ["MISS-01"]
    assert cli("findings", "--status", "bogus").exit_code != 0
    assert "ACC-01" in cli("findings").output

    text = cli("audit", AGENCY, str(YEAR))
    assert text.exit_code == 0, text.output
    for expected in (
        "https://www.huaihua.gov.cn/hhjj/zfxxgknb/t20240125_1.shtml",
        "2024-01-25（meta：2024-01-25 10:00）",
        "申请总数与分项之和不符",
        "待处理 → 已解决",
        "mailto://****@mail.huaihua.gov.cn",
        "annual-hh-jiaojing-2023/run-7",
        "ACC-01、ACC-02、MISS-01",
    ):
        assert expected in text.output
    assert "another-secret" not in text.output

    record = json.loads(cli("audit", AGENCY, str(YEAR), "--json").stdout)
    assert [d["version"] for d in record["documents"]] == [1]
    assert record["reports"][0]["title"] == "怀化市公安局交警支队2023年政府信息公开工作年度报告"
    assert len(record["check_runs"]) == 2
    assert {f["rule_id"]: f["status"] for f in record["findings"]} == {"ACC-01": "open", "MISS-01": "resolved"}
    assert record["notifications"][0]["fingerprints"] == [finding("ACC-01").fingerprint]
    assert record["notifications"][0]["status"] == "sent"
    assert record["workflow_runs"][0]["workflow_id"] == "annual-hh-jiaojing-2023"
    assert "another-secret" not in json.dumps(record)

    assert cli("audit", "no-such-agency", "2023").exit_code == 1


@pytest.mark.parametrize(
    ("outcome", "label"),
    [(Outcome.MISSING, "未发布"), (Outcome.UNREACHABLE, "无法访问")],
    ids=["missing", "unreachable"],
)
def test_audit_of_a_report_never_found(cli: Invoke, registered: Store, outcome: Outcome, label: str) -> None:
    """No document, no finding: the runs, the status change and the notifications are listed all the same."""
    sweep_run(registered, YEAR, [AGENCY])
    report_run(registered, AGENCY, YEAR, "run-1", outcome, passes=2)
    if outcome is Outcome.MISSING:
        escalation(registered, AGENCY, YEAR, "hn-gwb")
    else:
        digest(registered, [AGENCY], YEAR, "hn-gwb")

    text = cli("audit", AGENCY, str(YEAR))
    assert text.exit_code == 0, text.output
    for expected in (
        "状态变化（1）",
        f"{label}：{REASON}　工作流 report/{AGENCY}/{YEAR}/run-1",
        "通知（1）",
        "【督办】" if outcome is Outcome.MISSING else "年度报告检查汇总",
        f"失败：{REFUSED}",
        "成功",
        "工作流（2）",
        f"sweep {sweep_id(YEAR)} 运行 sweep-run-1",
        f"report report/{AGENCY}/{YEAR} 运行 run-1",
    ):
        assert expected in text.output
    assert "s3cret-pass" not in text.output

    record = json.loads(cli("audit", AGENCY, str(YEAR), "--json").stdout)
    assert [e["to_status"] for e in record["status_history"]] == [outcome.value]
    assert [len(n["attempt_log"]) for n in record["notifications"]] == [2]
    assert [r["kind"] for r in record["workflow_runs"]] == ["sweep", "report"]
    assert set(record["temporal_links"]) == {str(r["id"]) for r in record["workflow_runs"]}
    assert record["dossier_url"].endswith(f"/agencies/{AGENCY}/{YEAR}")


def test_db_upgrade_command(tmp_path: Path) -> None:
    _register()
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"DWATCH_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "head" in result.output
    engine = make_engine(url)
    assert migrate.is_current(engine)
    engine.dispose()
