"""The feed reader: polls feeds, fetches new items' pages, hands RawPages to a publisher.

Kafka is not in here: ``publish`` is a callable that must return only once the
page is durably written (the CLI passes a kafka-python producer wrapper). A page
is marked seen only after ``publish`` returns, so a crash re-sends, never loses.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline import metrics
from pipeline.config import Settings
from pipeline.feeds import FeedConfig, FeedError, FeedItem, parse_feed
from pipeline.fetch import FetchError, PoliteClient, decode_body, redact
from pipeline.ids import canonical_url
from schemas import RawPage

log = logging.getLogger("wirefeed.reader")
Publish = Callable[[RawPage, str], None]
MAX_BACKOFF_S = 3600.0
# While a poll publishes pages, the seen-state is written at most this often: a crash then re-sends
# only the pages published since the last write (plus those in flight), not the whole poll so far.
SAVE_EVERY_S = 1.0


@dataclass
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_poll: float = 0.0


@dataclass
class ReaderState:
    """What the reader remembers across restarts: pages sent and feed validators."""

    path: Path | None
    max_seen: int = 200_000
    seen: OrderedDict[str, float] = field(default_factory=OrderedDict)
    feeds: dict[str, FeedState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _saved_at: float = field(default=0.0, repr=False)

    @classmethod
    def load(cls, path: Path | None, max_seen: int = 200_000) -> ReaderState:
        state = cls(path=path, max_seen=max_seen)
        if path is None or not path.exists():
            return state
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state.seen = OrderedDict((k, float(v)) for k, v in data.get("seen", {}).items())
            state.feeds = {k: FeedState(**v) for k, v in data.get("feeds", {}).items()}
        except (OSError, ValueError, TypeError) as exc:
            log.warning("reader state unreadable; starting fresh", extra={"path": str(path), "error": str(exc)})
        return state

    def is_seen(self, key: str) -> bool:
        with self._lock:
            return key in self.seen

    def mark_seen(self, key: str) -> None:
        with self._lock:
            self.seen[key] = time.time()
            self.seen.move_to_end(key)
            while len(self.seen) > self.max_seen:
                self.seen.popitem(last=False)

    def save(self) -> None:
        with self._write_lock:  # one writer at a time: fetch threads checkpoint too
            self._write()

    def checkpoint(self, every_s: float = SAVE_EVERY_S) -> None:
        """Save, unless saved within the last ``every_s`` seconds or another thread is saving now."""
        if time.monotonic() - self._saved_at < every_s or not self._write_lock.acquire(blocking=False):
            return
        try:
            self._write()
        finally:
            self._write_lock.release()

    def _write(self) -> None:
        if self.path is None:
            return
        with self._lock:
            data = {"seen": dict(self.seen), "feeds": {k: vars(v) for k, v in self.feeds.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash leaves the old or the new state, never half
        self._saved_at = time.monotonic()


@dataclass
class PollResult:
    feed: str
    items: int = 0
    produced: int = 0
    errors: int = 0
    not_modified: bool = False


class Reader:
    """Polls feeds on their intervals and publishes each new item's page once."""

    def __init__(
        self,
        settings: Settings,
        feeds: list[FeedConfig],
        client: PoliteClient,
        publish: Publish,
        state: ReaderState,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.feeds = feeds
        self.client = client
        self.publish = publish
        self.state = state
        self._on_close = on_close  # e.g. flush and close the producer behind ``publish``
        self._pages = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wirefeed-fetch")
        for feed in feeds:  # failures in a row survive a restart (the state file): so does the alert
            failures = state.feeds.get(feed.url, FeedState()).failures
            metrics.FEED_CONSECUTIVE_FAILURES.labels(feed.name).set(failures)

    def close(self) -> None:
        self._pages.shutdown(wait=True)
        self.client.close()
        self.state.save()
        if self._on_close is not None:
            self._on_close()

    def due(self, now: float) -> list[FeedConfig]:
        return [f for f in self.feeds if self.state.feeds.get(f.url, FeedState()).next_poll <= now]

    def poll_once(self, now: float | None = None) -> list[PollResult]:
        """Poll every feed that is due; return what happened per feed."""
        now = time.time() if now is None else now
        results = [self.poll_feed(feed) for feed in self.due(now)]
        self.state.save()
        if results:  # one INFO line per poll round: a quiet reader is then visibly a working one
            log.info("poll done", extra={
                "feeds": len(results), "failed_feeds": sum(not r.items and r.errors > 0 for r in results),
                "items": sum(r.items for r in results), "produced": sum(r.produced for r in results),
                "errors": sum(r.errors for r in results), "not_modified": sum(r.not_modified for r in results),
            })
        return results

    def poll_feed(self, feed: FeedConfig) -> PollResult:
        result = PollResult(feed=feed.name)
        fstate = self.state.feeds.setdefault(feed.url, FeedState())
        interval = feed.interval_s or self.settings.poll_interval_s
        try:
            response = self.client.get(feed.url, fstate.etag, fstate.last_modified)
            metrics.FETCH_BYTES.labels(feed.name).inc(len(response.content))
            if response.not_modified:
                result.not_modified = True
                items: list[FeedItem] = []
            else:
                items = parse_feed(response.content, response.url)
                fstate.etag, fstate.last_modified = response.etag, response.last_modified
        except (FetchError, FeedError) as exc:
            kind = exc.kind if isinstance(exc, FetchError) else "bad_feed"
            fstate.failures += 1
            backoff = min(interval * 2 ** min(fstate.failures, 10), MAX_BACKOFF_S)
            fstate.next_poll = time.time() + max(backoff, interval)
            metrics.FETCH_ERRORS.labels(feed.name, kind).inc()
            metrics.FEED_POLLS.labels(feed.name, "error").inc()
            metrics.feed_polled(feed.name, ok=False, consecutive_failures=fstate.failures)
            log.warning(
                "feed poll failed",
                extra={"url": redact(feed.url), "stage": "read", "kind": kind, "error": str(exc),
                       "failures": fstate.failures},
            )
            result.errors += 1
            return result
        fstate.failures = 0
        fstate.next_poll = time.time() + interval
        metrics.FEED_POLLS.labels(feed.name, "not_modified" if result.not_modified else "ok").inc()
        metrics.feed_polled(feed.name, ok=True, consecutive_failures=0)
        new = [item for item in items if not self.state.is_seen(canonical_url(item.url))]
        result.items = len(items)
        for ok in self._pages.map(lambda item: self._fetch_and_publish(feed, item), new):
            result.produced += ok
            result.errors += not ok
        return result

    def _fetch_and_publish(self, feed: FeedConfig, item: FeedItem) -> bool:
        key = canonical_url(item.url)
        try:
            response = self.client.get(item.url)
        except FetchError as exc:
            metrics.FETCH_ERRORS.labels(feed.name, exc.kind).inc()
            log.warning("page fetch failed", extra={"url": redact(item.url), "stage": "read", "kind": exc.kind})
            return False
        metrics.PAGES_FETCHED.labels(feed.name).inc()
        metrics.FETCH_BYTES.labels(feed.name).inc(len(response.content))
        mime = response.content_type.split(";")[0].strip().lower()
        if mime and mime not in ("text/html", "application/xhtml+xml", "text/plain"):
            metrics.FETCH_ERRORS.labels(feed.name, "unsupported_type").inc()
            log.warning("page is not HTML or text", extra={"url": redact(item.url), "stage": "read", "type": mime})
            self.state.mark_seen(key)  # it will not become HTML by asking again
            return False
        page = RawPage(
            url=response.url,
            content=decode_body(response.content, response.content_type),
            content_type="text/plain" if mime == "text/plain" else "text/html",
            fetched_at=datetime.now(UTC),
            title=item.title,
            published_at=item.published_at,
            source=item.source or feed.name,
            feed_url=feed.url,
        )
        try:
            self.publish(page, key)
        except Exception as exc:  # not marked seen: the next poll tries again
            metrics.FETCH_ERRORS.labels(feed.name, "publish").inc()
            log.warning("publish failed", extra={"url": redact(item.url), "stage": "read", "error": str(exc)})
            return False
        metrics.PAGES_PRODUCED.labels(feed.name).inc()
        self.state.mark_seen(key)
        self.state.checkpoint()
        return True

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set."""
        while not stop.is_set():
            self.poll_once()
            pending = [self.state.feeds.get(f.url, FeedState()).next_poll for f in self.feeds]
            wait = max(0.2, min(pending, default=time.time() + 1) - time.time())
            stop.wait(min(wait, 5.0))
