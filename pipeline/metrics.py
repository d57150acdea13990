"""Prometheus metrics: one definition for every process (reader, worker, process).

Names are part of the operating contract: dashboards and alert rules in
``deploy/`` query them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_E2E_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

PAGES_FETCHED = Counter("wirefeed_pages_fetched", "Article pages fetched", ["feed"])
PAGES_PRODUCED = Counter("wirefeed_pages_produced", "RawPages produced to wire.raw", ["feed"])
FETCH_BYTES = Counter("wirefeed_fetch_bytes", "Bytes fetched (feeds and pages)", ["feed"])
FETCH_ERRORS = Counter("wirefeed_fetch_errors", "Fetch failures by kind", ["feed", "kind"])
FEED_POLLS = Counter("wirefeed_feed_polls", "Feed polls by outcome", ["feed", "outcome"])

STAGE_PROCESSED = Counter("wirefeed_stage_processed", "Records a stage finished", ["stage"])
STAGE_FAILED = Counter("wirefeed_stage_failed", "Records a stage dead-lettered", ["stage"])
STAGE_SECONDS = Histogram(
    "wirefeed_stage_seconds", "Time a stage spent on one record", ["stage"], buckets=_LATENCY_BUCKETS
)
END_TO_END_SECONDS = Histogram(
    "wirefeed_end_to_end_seconds", "fetched_at to published on wire.articles", buckets=_E2E_BUCKETS
)
ARTICLES_PUBLISHED = Counter("wirefeed_articles_published", "Articles written to wire.articles")
DUPLICATES = Counter("wirefeed_duplicates", "Articles flagged as duplicates", ["kind"])
STORY_SIZE = Histogram(
    "wirefeed_story_size", "Size of the story an article joined", buckets=(1, 2, 3, 5, 10, 20, 50, 100)
)
DLQ = Counter("wirefeed_dlq", "Dead letters by stage and reason", ["stage", "reason"])
REMOVED_BLOCKS = Counter("wirefeed_removed_blocks", "Blocks the cleaner removed, by rule", ["rule"])
CONSUMER_LAG = Gauge("wirefeed_consumer_lag", "Messages behind the high-water mark", ["topic", "partition"])


class _Handler(BaseHTTPRequestHandler):
    ready: Callable[[], bool] = staticmethod(lambda: True)
    alive: Callable[[], bool] = staticmethod(lambda: True)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        if path == "/metrics":
            self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            ok = bool(self.alive())
            self._send(200 if ok else 503, b"ok\n" if ok else b"failed\n", "text/plain")
        elif path == "/readyz":
            ok = bool(self.ready())
            self._send(200 if ok else 503, b"ready\n" if ok else b"not ready\n", "text/plain")
        else:
            self._send(404, b"not found\n", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - scrapes are not news
        pass


def serve_http(
    host: str, port: int, ready: Callable[[], bool] | None = None, alive: Callable[[], bool] | None = None
) -> ThreadingHTTPServer:
    """Serve ``/metrics``, ``/healthz`` (``alive()``) and ``/readyz`` (``ready()``) from a daemon thread."""
    handler = type("Handler", (_Handler,), {"ready": staticmethod(ready or (lambda: True)),
                                            "alive": staticmethod(alive or (lambda: True))})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="wirefeed-http", daemon=True).start()
    return server
