"""`dwatch findings` (what is wrong, filtered) and `dwatch audit AGENCY YEAR` (everything we know)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dwatch.cli import app
from dwatch.cli.common import console, fail, print_finding, say
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH, FINDING_STATUS_ZH, NOTIFICATION_STATUS_ZH, RUN_STATUS_ZH, SEVERITY_ZH
from dwatch.links import dossier_url
from dwatch.reports.checks.findings import Severity
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.model import Location
from dwatch.store.audit import AuditRecord, audit
from dwatch.store.findings import FindingQuery, count_findings, query_findings
from dwatch.store.tables import FindingStatus
from dwatch.temporal.history import ui_link
from dwatch.timefmt import iso, local_minute

# --severity takes the level's name as users read it, or as the JSON and the API spell it.
_SEVERITY_NAMES = {**{zh: Severity(s) for s, zh in SEVERITY_ZH.items()}, **{s.value: s for s in Severity}}


def _min_severity(value: str) -> Severity:
    try:
        return _SEVERITY_NAMES[value.strip().lower()]
    except KeyError:
        choices = "、".join(f"{zh}（{s}）" for s, zh in SEVERITY_ZH.items())
        raise fail(f"--severity 的值“{value}”无效：可选值为 {choices}") from None


@app.command("findings")
def findings_command(
    agency: Annotated[str | None, typer.Option("--agency", help="机关编号")] = None,
    year: Annotated[int | None, typer.Option("--year", help="报告年度")] = None,
    status: Annotated[
        FindingStatus | None,
        typer.Option("--status", help="状态：open 待处理、acknowledged 已确认、waived 已豁免、resolved 已解决"),
    ] = None,
    severity: Annotated[
        str,
        typer.Option(
            "--severity",
            metavar="错误|警告|提示",
            help="列出此级别及更严重的问题（也可写 error、warning、info）；默认不列出提示",
        ),
    ] = "警告",
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出问题，最严重的在前；可按机关、报告年度、状态和严重程度筛选。"""
    query = FindingQuery(agency_id=agency, report_year=year, status=status, min_severity=_min_severity(severity))
    store = open_store()
    try:
        with store.session() as session:
            rows = query_findings(session, query)
            everything = count_findings(session, query.model_copy(update={"min_severity": Severity.INFO}))
    finally:
        store.close()
    if as_json:
        payload = [
            {c: getattr(r, c) for c in ("id", "agency_id", "report_year", "fingerprint", "rule_id", "severity")}
            | {"category": r.category, "status": r.status, "message_zh": r.message_zh}
            | {"location": r.location, "evidence": r.evidence}
            | {"first_seen_at": iso(r.first_seen_at), "last_seen_at": iso(r.last_seen_at)}
            for r in rows
        ]
        console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
        return
    hidden = everything - len(rows)
    note = f"；另有 {hidden} 项较轻的问题未列出，用 --severity 提示 查看全部" if hidden else ""
    console.print(f"问题 {len(rows)} 项，最严重的在前{note}", highlight=False, soft_wrap=True)
    for r in rows:
        console.print()
        details = (
            f"{r.agency_id}　{r.report_year} 年度　{FINDING_STATUS_ZH[r.status]}"
            f"　最近发现 {local_minute(r.last_seen_at)}　编号 {r.id}"
        )
        print_finding(r.severity, r.rule_id, r.message_zh, Location.model_validate(r.location), r.evidence, details)


@app.command("audit")
def audit_command(
    agency: Annotated[str, typer.Argument(help="机关编号", show_default=False)],
    year: Annotated[int, typer.Argument(help="报告年度", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """某机关某年度报告的全部记录（无论状态）：文档、检查、问题、状态变化、通知和工作流运行。"""
    store = open_store()
    try:
        with store.session() as session:
            record = audit(session, agency, year)
    finally:
        store.close()
    if record is None:
        raise fail(f"机关“{agency}”不存在", code=1)
    settings = Settings.from_env()
    links = _temporal_links(settings, record)
    dossier = dossier_url(settings, agency, year)
    if as_json:
        payload = record.model_dump(mode="json") | {"temporal_links": links, "dossier_url": dossier}
        console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
        return
    print_audit(record)
    say(f"\n监督看板 {dossier}")
    say(f"\n工作流（{len(record.workflow_runs)}）")
    for r in record.workflow_runs:
        finished = local_minute(r.finished_at) if r.finished_at else "进行中"
        status = RUN_STATUS_ZH.get(r.status, r.status)
        say(f"  {r.kind} {r.workflow_id} 运行 {r.run_id}　{status}　{local_minute(r.started_at)} → {finished}")
        say(f"     Temporal 界面 {links[str(r.id)]}")


def _temporal_links(settings: Settings, record: AuditRecord) -> dict[str, str]:
    """The Temporal UI page of each workflow run named in the record, by the run's row id."""
    return {str(r.id): ui_link(settings.temporal, r.workflow_id, r.run_id) for r in record.workflow_runs}


def _runs(record: AuditRecord) -> dict[int, str]:
    return {r.id: f"{r.workflow_id}/{r.run_id}" for r in record.workflow_runs}


def print_audit(record: AuditRecord) -> None:
    out = say
    runs = _runs(record)
    agency = record.agency
    out(f"{agency.name}（{agency.id}）{record.report_year} 年度报告")
    out(f"监督机构：{record.supervisor_name}（{agency.supervisor}）　区划：{agency.region}")
    out(f"\n文档（{len(record.documents)}）")
    for d in record.documents:
        published = f"{d.published_on}（{d.published_source}：{d.published_raw}）" if d.published_on else "未识别"
        out(f"  v{d.version} {d.url}")
        out(f"     最终地址 {d.final_url}　HTTP {d.http_status}　{d.media_type}　{d.size} 字节")
        out(f"     sha256 {d.sha256}　抓取 {local_minute(d.fetched_at)}　最近 {local_minute(d.last_fetched_at)}")
        out(f"     发布日期 {published}　工作流 {runs.get(d.workflow_run_id or 0, '—')}")
    out(f"\n解析结果（{len(record.reports)}）")
    for r in record.reports:
        out(f"  #{r.id} 文档#{r.document_id} {r.title or '（无标题）'} 格式 {r.format} 诊断 {r.diagnostics} 条")
    out(f"\n检查（{len(record.check_runs)}）")
    for c in record.check_runs:
        rules = "、".join(c.rules) or "—"
        out(
            f"  #{c.id} {local_minute(c.checked_at)} 规则库 {c.catalogue_version} 规则 {rules} 发现 {c.finding_count} 项"
        )
    out(f"\n问题（{len(record.findings)}）")
    for f in record.findings:
        message = f.message_zh.removeprefix(f"{f.rule_id} ")
        out(f"  [{FINDING_STATUS_ZH[f.status]}] {SEVERITY_ZH.get(f.severity, f.severity)} {f.rule_id} {message}")
        out(
            f"     指纹 {f.fingerprint}　首次 {f.first_seen_at:%Y-%m-%d}　最近 {f.last_seen_at:%Y-%m-%d}　共 {f.times_seen} 次"
        )
        for e in f.history:
            reason = f"：{e.reason}" if e.reason else ""
            change = f"{FINDING_STATUS_ZH.get(e.from_status or '', '—')} → {FINDING_STATUS_ZH[e.to_status]}"
            out(f"     {local_minute(e.at)} {change}（{e.actor}）{reason}")
    out(f"\n状态变化（{len(record.status_history)}）")
    for s in record.status_history:
        change = f"{_status_zh(s.from_status)} → " if s.from_status else ""
        detail = f"：{s.detail}" if s.detail else ""
        out(
            f"  {local_minute(s.at)} {change}{_status_zh(s.to_status)}{detail}"
            f"　工作流 {runs.get(s.workflow_run_id or 0, '—')}"
        )
    out(f"\n通知（{len(record.notifications)}）")
    for n in record.notifications:
        out(f"  {n.recipient} 经 {n.channel}（{n.target_masked}）：{n.subject}")
        out(
            f"     状态 {NOTIFICATION_STATUS_ZH.get(n.status, n.status)}　尝试 {n.attempts} 次　问题 {'、'.join(n.fingerprints) or '—'}"
            f"　创建 {local_minute(n.created_at)}"
        )
        for a in n.attempt_log:
            out(f"     {local_minute(a.attempted_at)} {'成功' if a.ok else '失败'}{'：' + a.error if a.error else ''}")


def _status_zh(status: str) -> str:
    return COMPLIANCE_STATUS_ZH[ComplianceStatus(status)]
