"""Parsing an untrusted document under a budget of wall time and memory.

A concurrent.futures pool cannot stop one of its tasks: a runaway parse would keep its pool process,
and the memory it took, however the activity awaiting it ended. So each document is parsed in a
process of its own, and only there:

- forked from a forkserver that has the parsers imported: milliseconds per document, and safe from
  a threaded parent (the Temporal worker, a review pool process);
- its address space capped (RLIMIT_AS), so pdfium inflating a Flate bomb or expanding nested form
  XObjects runs out of memory there, not in the reviewer; its CPU time capped too (RLIMIT_CPU), in
  case the process watching it dies first;
- watched by the caller against a wall-time deadline, `wall_seconds` plus `wall_seconds_per_page` for
  each page (the child says how many once the PDF is open) up to `wall_seconds_cap`, and killed at it.

The caller only waits, so a bomb never stays in the review pool; the next document gets a fresh
process. A limit hit is a result, not an error: an AnnualReport whose only content is a PARSE-LIMIT
error diagnostic (which limit, its value, the page reached). The checks needing no content still
run, rule PARSE-LIMIT makes the agency-year need a person, and nothing retries it. The review
activity's start-to-close timeout stays above `wall_seconds_cap`, so it is this budget, not the
activity timeout, that ends a hostile parse.
"""

from __future__ import annotations

import os
import resource
import time
from multiprocessing import forkserver, get_context, spawn
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

from dwatch.reports.assemble import assemble
from dwatch.reports.layout import Layout
from dwatch.reports.model import AnnualReport, DiagnosticLevel
from dwatch.reports.parsers import parse_document, sniff, source_info
from dwatch.reports.parsers.errors import ParseError, ParseLimitExceeded
from dwatch.reports.parsers.limits import DEFAULT_LIMITS, Limit, LimitHit, ParseLimits, listen_pages
from dwatch.reports.parsers.ocr import ImageSource

# Imported once by the forkserver, so a forked parse starts with them loaded (the main module first,
# as multiprocessing would otherwise run it again in every child: see `forkserver_main`).
_PRELOAD = [
    "dwatch.reports.parsers.forkserver_main",
    "dwatch.reports.parsers.docx",
    "dwatch.reports.parsers.html",
    "dwatch.reports.parsers.pdf",
]
# The parent's main script, for `forkserver_main` to load in the forkserver.
MAIN_PATH_ENV = "DWATCH_PARSE_MAIN_PATH"
_CPU_GRACE = 30  # CPU seconds past the wall-time cap before the kernel ends a parse nobody watches
_context: ForkServerContext | None = None


def _forkserver() -> ForkServerContext:
    global _context
    if _context is None:
        context = get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        main_path = spawn.get_preparation_data("dwatch-parse").get("init_main_from_path")
        # The forkserver is a `python -c` process: it would put the working directory first on its path,
        # where a checkout's `dwatch/` folder hides the installed package (safe-path mode leaves it out).
        # Both variables are given to it alone, while it starts.
        given = {MAIN_PATH_ENV: main_path or "", "PYTHONSAFEPATH": "1"}
        saved = {name: os.environ.get(name) for name in given}
        os.environ.update(given)
        try:
            forkserver.ensure_running()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        _context = context
    return _context


def parse_within_budget(
    data: bytes,
    name: str,
    *,
    content_type: str | None = None,
    limits: ParseLimits = DEFAULT_LIMITS,
    images: ImageSource | None = None,
) -> AnnualReport:
    """`parse_document` in a process of its own, within `limits`' time and memory.

    Raises a `ParseError` subclass when the document is unreadable; over a budget limit it returns a
    report holding the PARSE-LIMIT diagnostic. `images` is called here, for the child."""
    context = _forkserver()
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_parse_in_child,
        args=(theirs, data, name, content_type, limits, images is not None),
        name="dwatch-parse",
        daemon=True,
    )
    started = time.monotonic()
    child.start()
    theirs.close()
    try:
        return _supervise(ours, child, started, limits, images)
    except ParseLimitExceeded as exc:
        return limited_report(exc.hit, data, name)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        ours.close()


def limited_report(hit: LimitHit, data: bytes, name: str) -> AnnualReport:
    """The report of a document whose parse was stopped at a limit: nothing read, the hit said."""
    layout = Layout(diagnostics=[hit.diagnostic(DiagnosticLevel.ERROR)])
    return assemble(layout, source_info(data, name, sniff(data)))


def _supervise(
    conn: Connection, child: BaseProcess, started: float, limits: ParseLimits, images: ImageSource | None
) -> AnnualReport:
    budget = limits.wall_seconds_for(0)
    page = pages = 0
    while True:
        left = started + budget - time.monotonic()
        if left <= 0:
            where = f" while reading page {page} of {pages}" if page else ""
            raise _over(Limit.WALL_SECONDS, budget, page, f"the parse was stopped after {budget:g} s{where}")
        if not conn.poll(left):
            continue
        try:
            message: tuple[Any, ...] = conn.recv()
        except EOFError:
            child.join()
            if child.exitcode is None or child.exitcode >= 0:
                raise ParserCrashed(f"the parsing process ended with exit code {child.exitcode}") from None
            # Killed by a signal: pdfium aborts when an allocation fails at the address-space limit.
            detail = f"the parsing process was ended by signal {-child.exitcode}, most likely out of memory"
            raise _over(Limit.MEMORY_BYTES, limits.memory_bytes, page, detail) from None
        kind = message[0]
        if kind == "page":
            page, pages = message[1], message[2]
            budget = limits.wall_seconds_for(pages)
        elif kind == "image":
            conn.send(images(message[1]) if images is not None else None)
        elif kind == "report":
            report: AnnualReport = message[1]
            return report
        elif kind == "error":
            error: ParseError = message[1]
            raise error
        elif kind == "crash":
            raise ParserCrashed(message[1])
        else:  # "memory"
            raise _over(Limit.MEMORY_BYTES, limits.memory_bytes, page, "the parse ran out of memory")


class ParserCrashed(RuntimeError):
    """A parser failed on something other than the document (a bug): the review fails, to be retried."""


def _over(limit: Limit, value: float, page: int, detail: str) -> ParseLimitExceeded:
    return ParseLimitExceeded(LimitHit(limit=limit, value=value, page=page or None, detail=detail))


def _parse_in_child(
    conn: Connection, data: bytes, name: str, content_type: str | None, limits: ParseLimits, with_images: bool
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    cpu = int(limits.wall_seconds_cap) + _CPU_GRACE
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    listen_pages(lambda page, pages: conn.send(("page", page, pages)))

    def image(src: str) -> bytes | None:
        conn.send(("image", src))
        reply: bytes | None = conn.recv()
        return reply

    try:
        report = parse_document(
            data, name, content_type=content_type, limits=limits, images=image if with_images else None
        )
        conn.send(("report", report))
    except ParseError as exc:
        conn.send(("error", exc))
    except MemoryError:
        conn.send(("memory",))
    except Exception as exc:  # a bug, not the document: said as text, as the exception may not pickle
        conn.send(("crash", f"{type(exc).__name__}: {exc}"))
