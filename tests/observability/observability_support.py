"""Helpers of the observability tests: reading Prometheus text, an OTLP/HTTP trace collector."""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_metrics(text: str) -> list[Sample]:
    samples = []
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = dict(_LABEL.findall(match["labels"] or ""))
            samples.append(Sample(match["name"], labels, float(match["value"])))
    return samples


def total(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


def by_label(samples: list[Sample], name: str, label: str, **labels: str) -> dict[str, float]:
    """The sums of the samples of `name` (whose labels include `labels`) per value of `label`."""
    sums: dict[str, float] = {}
    for s in samples:
        if s.name == name and label in s.labels and labels.items() <= s.labels.items():
            sums[s.labels[label]] = sums.get(s.labels[label], 0) + s.value
    return sums


@dataclass(frozen=True)
class Span:
    name: str
    service: str
    attributes: dict[str, Any]
    trace_id: bytes
    span_id: bytes
    parent_id: bytes


@dataclass
class Collector:
    """Receives OTLP/HTTP protobuf exports on 127.0.0.1 (POST /v1/traces), keeps the spans."""

    spans: list[Span] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                collector.receive(self.path, self.headers.get("Content-Type", ""), body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-collector", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def receive(self, path: str, content_type: str, body: bytes) -> None:
        self.paths.append(path)
        assert content_type == "application/x-protobuf", content_type
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        Span(
                            name=span.name,
                            service=resource.get("service.name", ""),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            trace_id=span.trace_id,
                            span_id=span.span_id,
                            parent_id=span.parent_span_id,
                        )
                    )

    def __enter__(self) -> Collector:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None
