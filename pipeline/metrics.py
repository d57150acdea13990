"""Prometheus metrics: one definition for every process (reader, worker, process).

Names are part of the operating contract: dashboards and alert rules in
``deploy/`` query them. Each process exports only its own families
(:data:`READER_REGISTRY`, :data:`WORKER_REGISTRY`): a reader showing
``wirefeed_articles_published_total 0`` would be a signal that lies.
"""

from __future__ import annotations

import platform
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_E2E_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
# A record fetched longer ago than this is a replay or a backlog from long ago, not live latency:
# it is counted in END_TO_END_SKIPPED instead of the histogram (whose top bucket this is).
END_TO_END_MAX_AGE_S = 3600.0

PAGES_FETCHED = Counter("wirefeed_pages_fetched", "Article pages fetched", ["feed"], registry=None)
PAGES_PRODUCED = Counter("wirefeed_pages_produced", "RawPages produced to wire.raw", ["feed"], registry=None)
FETCH_BYTES = Counter("wirefeed_fetch_bytes", "Bytes fetched (feeds and pages)", ["feed"], registry=None)
FETCH_ERRORS = Counter("wirefeed_fetch_errors", "Fetch failures by kind", ["feed", "kind"], registry=None)
FEED_POLLS = Counter("wirefeed_feed_polls", "Feed polls by outcome", ["feed", "outcome"], registry=None)

STAGE_PROCESSED = Counter("wirefeed_stage_processed", "Records a stage finished", ["stage"], registry=None)
STAGE_FAILED = Counter("wirefeed_stage_failed", "Records a stage dead-lettered", ["stage"], registry=None)
STAGE_SECONDS = Histogram(
    "wirefeed_stage_seconds", "Time a stage spent on one record", ["stage"], buckets=_LATENCY_BUCKETS,
    registry=None,
)
END_TO_END_SECONDS = Histogram(
    "wirefeed_end_to_end_seconds", "fetched_at to published on wire.articles, records fetched within the last hour",
    buckets=_E2E_BUCKETS, registry=None,
)
END_TO_END_SKIPPED = Counter(
    "wirefeed_end_to_end_skipped", "Published records fetched over an hour earlier (replays): not in the histogram",
    registry=None,
)
ARTICLES_PUBLISHED = Counter("wirefeed_articles_published", "Articles written to wire.articles", registry=None)
DUPLICATES = Counter("wirefeed_duplicates", "Articles flagged as duplicates", ["kind"], registry=None)
STORY_SIZE = Histogram(
    "wirefeed_story_size", "Size of the story an article joined", buckets=(1, 2, 3, 5, 10, 20, 50, 100),
    registry=None,
)
DLQ = Counter("wirefeed_dlq", "Dead letters by stage and reason", ["stage", "reason"], registry=None)
REMOVED_BLOCKS = Counter("wirefeed_removed_blocks", "Blocks the cleaner removed, by rule", ["rule"], registry=None)
UNTAGGED_TOPICS = Counter(
    "wirefeed_untagged_topics",
    "Articles given no topics, by reason (unsupported_language, unknown_language, no_evidence)",
    ["reason"], registry=None,
)
CONSUMER_LAG = Gauge(
    "wirefeed_consumer_lag", "The worker group's committed offset behind the high-water mark, read from the broker",
    ["topic", "partition"], registry=None,
)
CONSUMER_LAG_UPDATED = Gauge(
    "wirefeed_consumer_lag_updated_timestamp_seconds", "When the lag was last read from the broker", registry=None
)
FEED_LAST_SUCCESS = Gauge(
    "wirefeed_feed_last_success_timestamp_seconds", "When a poll of the feed last succeeded", ["feed"], registry=None
)
FEED_CONSECUTIVE_FAILURES = Gauge(
    "wirefeed_feed_consecutive_failures", "Polls of the feed that failed in a row (0 after a success)", ["feed"],
    registry=None,
)
BUILD_INFO = Gauge("wirefeed_build_info", "Always 1; the labels say what runs", ["version", "python"], registry=None)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wirefeed")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


BUILD_INFO.labels(_version(), platform.python_version()).set(1)


def process_registry(*collectors: object) -> CollectorRegistry:
    """A registry for one kind of process: its own families, build info and process_* metrics."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in (*collectors, BUILD_INFO):
        registry.register(collector)
    ProcessCollector(registry=registry)  # process_cpu_seconds_total, memory, open fds, start time
    return registry


# What each process exports. The offline `process` command serves no metrics.
READER_REGISTRY = process_registry(
    PAGES_FETCHED, PAGES_PRODUCED, FETCH_BYTES, FETCH_ERRORS, FEED_POLLS, FEED_LAST_SUCCESS,
    FEED_CONSECUTIVE_FAILURES, CONSUMER_LAG, CONSUMER_LAG_UPDATED,
)
WORKER_REGISTRY = process_registry(
    STAGE_PROCESSED, STAGE_FAILED, STAGE_SECONDS, END_TO_END_SECONDS, END_TO_END_SKIPPED, ARTICLES_PUBLISHED,
    DUPLICATES, STORY_SIZE, DLQ, REMOVED_BLOCKS, UNTAGGED_TOPICS,
)


def observe_end_to_end(fetched_at: float, now: float | None = None) -> bool:
    """Record fetch-to-publish latency of a live record; a replayed old one only counts as skipped."""
    age = (time.time() if now is None else now) - fetched_at
    if age > END_TO_END_MAX_AGE_S:
        END_TO_END_SKIPPED.inc()
        return False
    END_TO_END_SECONDS.observe(max(age, 0.0))
    return True


def feed_polled(feed: str, ok: bool, consecutive_failures: int, now: float | None = None) -> None:
    """A poll's outcome as the reader knows it: what WirefeedFeedFailing alerts on."""
    FEED_CONSECUTIVE_FAILURES.labels(feed).set(consecutive_failures)
    if ok:
        FEED_LAST_SUCCESS.labels(feed).set(time.time() if now is None else now)


class _Handler(BaseHTTPRequestHandler):
    ready: Callable[[], bool] = staticmethod(lambda: True)
    alive: Callable[[], bool] = staticmethod(lambda: True)
    registry: CollectorRegistry

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        if path == "/metrics":
            self._send(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
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
    host: str, port: int, ready: Callable[[], bool] | None = None, alive: Callable[[], bool] | None = None, *,
    registry: CollectorRegistry,
) -> ThreadingHTTPServer:
    """Serve ``/metrics`` (``registry``: this process's families only), ``/healthz`` (``alive()``) and
    ``/readyz`` (``ready()``) from a daemon thread."""
    handler = type("Handler", (_Handler,), {"ready": staticmethod(ready or (lambda: True)),
                                            "alive": staticmethod(alive or (lambda: True)), "registry": registry})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="wirefeed-http", daemon=True).start()
    return server

# the search-index sink (wirefeed index)
INDEX_DOCS = Counter(
    "wirefeed_index_docs", "Index actions acknowledged, by op and outcome", ["op", "outcome"], registry=None
)
INDEX_FAILED = Counter(
    "wirefeed_index_failed", "Index items that failed, by reason and what happened to them", ["reason", "action"],
    registry=None,
)
INDEX_BULK_SECONDS = Histogram(
    "wirefeed_index_bulk_seconds", "Latency of one bulk request to the index", ["backend"], buckets=_LATENCY_BUCKETS,
    registry=None,
)
INDEX_LAG = Gauge(
    "wirefeed_index_lag", "Records on wire.articles not yet committed by the sink", ["partition"], registry=None
)
INDEX_LAST_COMMIT = Gauge(
    "wirefeed_index_last_commit_timestamp_seconds", "When the sink last committed offsets", registry=None
)
INDEX_SEARCHABLE_SECONDS = Histogram(
    "wirefeed_index_publish_to_ack_seconds", "Record timestamp on wire.articles to bulk acknowledged",
    buckets=_E2E_BUCKETS, registry=None,
)
# `wirefeed index` exports its own families and the dead letters it writes (stage "index")
INDEX_REGISTRY = process_registry(
    INDEX_DOCS, INDEX_FAILED, INDEX_BULK_SECONDS, INDEX_LAG, INDEX_LAST_COMMIT, INDEX_SEARCHABLE_SECONDS, DLQ,
)
