"""The service's own metrics (prefix `dwatch_`), recorded through the Temporal runtime's meter, so they
are served on the same Prometheus endpoint as the SDK's worker metrics (activity latency and
failures, workflows completed and failed, task slots).

Inside an activity the activity's meter is used: its series also carry `namespace`, `task_queue`
and `activity_type`. Elsewhere the meter of the process's metrics runtime (`runtime.runtime_for`)
is used, or none at all: a CLI command records nothing and binds no port.

Parsing and checking may run in a child process (the worker's review pool): the parent records
them from the returned `Review`, which carries the document format, the durations and the
findings per rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.common import MetricMeter

if TYPE_CHECKING:
    from dwatch.alerts.delivery import Delivery
    from dwatch.workflows.models import Review

AGENCY_REPORTS = "dwatch_agency_reports_total"
DOCUMENTS_PARSED = "dwatch_documents_parsed_total"
FINDINGS = "dwatch_findings_total"
ALERTS = "dwatch_alerts_total"
PARSE_SECONDS = "dwatch_parse_duration_seconds"
CHECK_SECONDS = "dwatch_check_duration_seconds"

# Bucket boundaries (seconds) of our histograms: parsing a large scanned PDF takes tens of seconds.
BUCKETS: dict[str, list[float]] = {
    PARSE_SECONDS: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    CHECK_SECONDS: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
}

_process_meter: MetricMeter = MetricMeter.noop


def use_process_meter(meter: MetricMeter) -> None:
    """The meter for recordings made outside activities (set by `runtime.runtime_for`)."""
    global _process_meter
    _process_meter = meter


def meter() -> MetricMeter:
    if activity.in_activity():
        try:
            return activity.metric_meter()
        except RuntimeError:  # a synchronous activity in another process has no meter
            return MetricMeter.noop
    return _process_meter


def record_review(review: Review) -> None:
    """Count one finished review of an agency-year: its compliance status, the document it parsed (if
    any) and the findings of its checks per rule and severity."""
    m = meter()
    m.create_counter(AGENCY_REPORTS, "agency-year reviews by the compliance status they ended in").add(
        1, {"status": review.status.value}
    )
    if review.document_format is not None:
        outcome = "parsed" if review.report_id is not None else "unparseable"
        m.create_counter(DOCUMENTS_PARSED, "documents parsed, by format and outcome").add(
            1, {"format": review.document_format, "outcome": outcome}
        )
    if review.parse_seconds is not None:
        m.create_histogram_float(PARSE_SECONDS, "time to parse one document", "s").record(
            review.parse_seconds, {"format": review.document_format or "unknown"}
        )
    if review.check_seconds is not None:
        m.create_histogram_float(CHECK_SECONDS, "time to check one parsed report", "s").record(review.check_seconds)
    if review.findings_by_rule:
        findings = m.create_counter(FINDINGS, "findings of the checks, by rule and severity")
        for tally in review.findings_by_rule:
            findings.add(tally.count, {"rule_id": tally.rule_id, "severity": tally.severity})


def record_deliveries(deliveries: Iterable[Delivery]) -> None:
    """Count alerts sent and failed per channel (the target's scheme); duplicates were not sent again."""
    alerts = None
    for delivery in deliveries:
        if delivery.status == "duplicate":
            continue
        alerts = alerts or meter().create_counter(ALERTS, "alert deliveries, by channel and outcome")
        alerts.add(1, {"channel": delivery.channel, "outcome": delivery.status})
