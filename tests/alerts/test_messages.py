"""WeCom's 2048-byte limit: long messages are split at line ends and arrive whole."""

from __future__ import annotations

from typing import Any

from alerts.receivers import Web, agency
from alerts.support import TODAY, YEAR, record_review
from dwatch.reports.compliance import ComplianceStatus
from hypothesis import given
from hypothesis import strategies as st

from dwatch.alerts.messages import split_text
from dwatch.alerts.service import send_digest
from dwatch.config import Settings


@given(st.text(alphabet=st.sampled_from("年报未发布\n ab"), max_size=3000), st.integers(min_value=64, max_value=600))
def test_parts_fit_and_keep_every_character(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(p.encode("utf-8")) <= limit for p in parts)
    joined = "".join(p.split("\n", 1)[1] if len(parts) > 1 else p for p in parts)
    assert joined.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_a_long_digest_reaches_wecom_in_numbered_parts(make_store: Any, settings: Settings, web: Web) -> None:
    agencies = [agency(f"a{i:02d}", "city") for i in range(60)]
    store = make_store([{"id": "city", "name": "市政务公开办", "notify": [{"url": "wecombot://goodkey"}]}], agencies)
    for row in agencies:
        record_review(store, row["id"], ComplianceStatus.MISSING)

    [delivery] = send_digest(store, settings, YEAR, sweep_id="sweep-1", today=TODAY)

    texts = [r.json()["text"]["content"] for r in web.at("/cgi-bin/webhook/send")]
    assert delivery.status == "sent" and len(texts) > 1
    assert all(len(t.encode("utf-8")) <= 2048 for t in texts)
    assert [t.split("\n", 1)[0] for t in texts] == [f"（{i}/{len(texts)}）" for i in range(1, len(texts) + 1)]
    assert all(f"机关a{i:02d}" in "".join(texts) for i in range(60))
