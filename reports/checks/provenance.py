"""How the document was obtained: over an invalid certificate, or changed since it was first published.

These rules read the check context (what the crawler and the archive know), not the document.
"""

from __future__ import annotations

from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.model import Location


class NoParams(Params):
    pass


@kind("insecure_tls", NoParams, ("default",))
def insecure_tls(run: RuleRun, _: NoParams) -> None:
    if run.subject.context.insecure_tls:
        run.emit("default", location=Location())


@kind("changed_after_publication", NoParams, ("default",))
def changed_after_publication(run: RuleRun, _: NoParams) -> None:
    context = run.subject.context
    if context.document_version > 1:
        first = context.first_fetched.isoformat() if context.first_fetched else "首次获取时"
        run.emit(
            "default", location=Location(), key=context.document_version, version=context.document_version, first=first
        )
