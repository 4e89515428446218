"""Which of several dates is the publication date (spec §5.4 "Timeliness rule")."""

from __future__ import annotations

from reports.model import DateEvidence, DateSource

# Page metadata is written by the CMS at publication; a visible label may be edited by hand; 成文日期 is
# when the text was signed; a URL date is when the CMS filed the page.
PREFERENCE = (DateSource.META, DateSource.VISIBLE, DateSource.WRITTEN, DateSource.URL, DateSource.SIGNATURE)
DISAGREEMENT_DAYS = 7


def publication_date(evidence: list[DateEvidence]) -> DateEvidence | None:
    ranked = sorted(evidence, key=lambda e: PREFERENCE.index(e.source))
    return ranked[0] if ranked else None


def disagreements(evidence: list[DateEvidence]) -> list[tuple[DateEvidence, DateEvidence]]:
    """Pairs of sources more than a week apart: worth an INFO note (the page may have been changed)."""
    chosen = publication_date(evidence)
    if chosen is None:
        return []
    return [(chosen, e) for e in evidence if abs((e.value - chosen.value).days) > DISAGREEMENT_DAYS]
