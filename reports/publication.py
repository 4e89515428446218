"""Which of several dates is the publication date (spec §5.4 "Timeliness rule")."""

from __future__ import annotations

from dwatch.reports.model import DateEvidence, DateSource

# Page metadata is written by the CMS at publication; a visible label may be edited by hand; 成文日期 is
# when the text was signed; a URL date is when the CMS filed the page.
PREFERENCE = (DateSource.META, DateSource.VISIBLE, DateSource.WRITTEN, DateSource.URL, DateSource.SIGNATURE)


def publication_date(evidence: list[DateEvidence], prefer: tuple[DateSource, ...] = PREFERENCE) -> DateEvidence | None:
    """The first date of the most preferred source present; sources not in `prefer` never count."""
    for source in prefer:
        found = next((e for e in evidence if e.source is source), None)
        if found is not None:
            return found
    return None
