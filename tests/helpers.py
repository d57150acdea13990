"""Helpers for broker tests: run wirefeed processes, read topics, scrape metrics."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from agents.demo import LocalHTTPServer
from agents.kafka import ensure_topics, make_consumer
from agents.processes import start_cli as start_cli  # re-exported for the tests
from agents.processes import stop_process as stop  # noqa: F401 - re-exported for the tests
from pipeline.config import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent

# A short plain-text wire page: RawPage fields as the reader sends them.
SUMMIT_PAGE = {
    "url": "https://wire.example/world/2024/06/18/summit",
    "content_type": "text/plain",
    "content": "Leaders meet in the capital\n\nThe two leaders met on Tuesday to sign an agreement.\n"
    "Officials said the talks lasted two hours and covered trade and security.",
    "source": "Example Wire",
    "fetched_at": "2024-06-18T10:00:00Z",
}



def read_topic(
    settings: Settings, bootstrap: str, topic: str, until: int | None = None, timeout_s: float = 60,
    idle_s: float = 3.0,
) -> list[bytes]:
    """Values on ``topic`` from the beginning: until ``until`` records, else until idle for ``idle_s``."""
    ensure_topics(settings, bootstrap)  # so the consumer never subscribes to a topic that is not there yet
    # (a topic created just now may be missing from the consumer's first metadata: make_consumer
    # has it ask again within seconds)
    consumer = make_consumer(
        settings, bootstrap, topic, auto_offset_reset="earliest", enable_auto_commit=False,
        group_id=None, consumer_timeout_ms=500,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            got = False
            for message in consumer:
                values.append(message.value)
                got = True
                last = time.monotonic()
                if until is not None and len(values) >= until:
                    return values
            if until is None and not got and values and time.monotonic() - last > idle_s:
                return values
    finally:
        consumer.close()
    return values


def scrape(port: int, path: str = "/metrics") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
        return resp.read().decode()


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += float(value)
    return total


def wait_for(predicate, timeout_s: float = 60, interval_s: float = 0.5) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval_s)
    return False


class Routes(LocalHTTPServer):
    """A tiny HTTP server on 127.0.0.1 for reader tests: path -> handler(request) -> (status, headers, body)."""

    def __init__(self, routes: dict) -> None:  # noqa: ANN001
        from http.server import BaseHTTPRequestHandler

        self.routes = routes
        self.hits: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits.append((self.path, dict(self.headers)))
                route = outer.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {}, b"no"
                else:
                    status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        super().__init__(Handler)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class CountingStore(dict):
    """A dict standing in for a Faust table: every write or delete is one changelog record (``writes``)."""

    writes = 0

    def __setitem__(self, key: str, value: object) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes += 1
        super().__delitem__(key)

    def pop(self, key: str, *default: object) -> object:
        self.writes += dict.__contains__(self, key)  # not `in`: a subclass may count reads there
        return super().pop(key, *default)
