"""The feed reader: polls feeds and sitemaps, fetches new items' pages, hands RawPages to a publisher.

Kafka is not in here: ``publish`` is a callable that must return only once the
page is durably written (the CLI passes a kafka-python producer wrapper).

What is remembered advances only with what was acknowledged:

- a page is marked seen only after ``publish`` returned;
- a feed's (or sitemap's) ETag / Last-Modified are stored only when every new
  item of that document was published or can never be (robots, 4xx, not HTML);
  while the broker is down the validators stay as they were, so the next poll
  gets the whole document again instead of a 304 that would hide the unsent pages.

Feeds are polled concurrently (one slow or dripping host holds only its own
feed), and nothing a hostile feed or page contains escapes a poll: every
failure is counted, logged and the other items and feeds go on.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

from pipeline import metrics
from pipeline.config import Settings
from pipeline.ids import canonical_url
from pipeline.ingest.feeds import FeedConfig, FeedError, FeedItem, parse_feed
from pipeline.ingest.fetch import FetchError, PoliteClient, Response, decode_body, redact
from pipeline.ingest.robots import RobotsCache
from pipeline.ingest.sitemaps import looks_like_sitemap, parse_sitemap
from schemas import RawPage
from schemas.names import Stage

log = logging.getLogger("wirefeed.reader")
Publish = Callable[[RawPage, str], None]
MAX_BACKOFF_S = 3600.0
# While a poll publishes pages, the seen-state is written at most this often: a crash then re-sends
# only the pages published since the last write (plus those in flight), not the whole poll so far.
SAVE_EVERY_S = 1.0
# Sitemap indexes may nest once (robots.txt → index → sitemaps); deeper is a loop or an attack.
MAX_SITEMAP_DEPTH = 2


@dataclass
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_poll: float = 0.0
    children: list[str] = field(default_factory=list)  # a sitemap index's sitemaps, for when it answers 304


@dataclass
class ReaderState:
    """What the reader remembers across restarts: pages sent (with their version) and feed validators."""

    path: Path | None
    max_seen: int = 200_000
    # canonical URL -> [sent at (epoch s), version the feed gave, times re-sent as an update]
    seen: OrderedDict[str, list] = field(default_factory=OrderedDict)
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
            state.seen = OrderedDict((k, _seen_entry(v)) for k, v in data.get("seen", {}).items())
            names = {f.name for f in dataclasses.fields(FeedState)}
            state.feeds = {k: FeedState(**{n: x for n, x in v.items() if n in names})
                           for k, v in data.get("feeds", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            log.warning("reader state unreadable; starting fresh", extra={"path": str(path), "error": str(exc)})
            state.seen, state.feeds = OrderedDict(), {}
        return state

    def feed(self, url: str) -> FeedState:
        """The state of the feed or sitemap at ``url``, keyed without credentials (the file is not a vault)."""
        with self._lock:
            return self.feeds.setdefault(redact(url), FeedState())

    def is_seen(self, key: str) -> bool:
        with self._lock:
            return key in self.seen

    def wanted(self, key: str, version: str | None, max_updates: int) -> bool:
        """Unseen, or seen with another version than now and re-sent fewer than ``max_updates`` times."""
        with self._lock:
            entry = self.seen.get(key)
        if entry is None:
            return True
        _, known, updates = entry
        return version is not None and known is not None and version != known and updates < max_updates

    def mark_seen(self, key: str, version: str | None = None) -> None:
        with self._lock:
            old = self.seen.get(key)
            updates = 0 if old is None else old[2] + (version != old[1] and old[1] is not None)
            self.seen[key] = [time.time(), version, updates]
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
            data = {"seen": dict(self.seen), "feeds": {k: dataclasses.asdict(v) for k, v in self.feeds.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash leaves the old or the new state, never half
        self._saved_at = time.monotonic()


def _seen_entry(value: object) -> list:
    if isinstance(value, int | float):  # state files before versions were kept
        return [float(value), None, 0]
    if isinstance(value, list) and len(value) == 3:
        return [float(value[0]), value[1] if isinstance(value[1], str) else None, int(value[2])]
    raise ValueError(f"bad seen entry {value!r}"[:100])


class Outcome(Enum):
    PUBLISHED = "published"
    SKIPPED = "skipped"  # will not succeed by asking again (robots, 4xx, not HTML): validators may advance
    RETRY = "retry"  # may succeed later (timeout, 5xx, broker down): validators must stay


@dataclass
class _Document:
    """A fetched feed or sitemap with what it listed; its validators are stored once its items are done."""

    url: str
    response: Response | None
    items: list[FeedItem] = field(default_factory=list)


@dataclass
class PollResult:
    feed: str
    items: int = 0
    produced: int = 0
    errors: int = 0
    not_modified: bool = False


@dataclass(eq=False)
class Reader:
    """Polls feeds on their intervals and publishes each new (or updated) item's page once."""

    settings: Settings
    feeds: list[FeedConfig]
    client: PoliteClient
    publish: Publish
    state: ReaderState
    on_close: Callable[[], None] | None = None  # e.g. flush and close the producer behind ``publish``

    def __post_init__(self) -> None:
        settings, client, state = self.settings, self.client, self.state
        # robots.txt is read for sitemap discovery (``type: site``) even when it is not enforced
        self.robots = client.robots if isinstance(client.robots, RobotsCache) else RobotsCache(
            client, settings.user_agent, ttl_s=settings.robots_ttl_s)
        self._feed_pool = ThreadPoolExecutor(max_workers=max(1, settings.reader_feed_workers),
                                             thread_name_prefix="wirefeed-feed")
        self._running: dict[str, Future] = {}
        self._running_lock = threading.Lock()
        self._finished = threading.Event()  # a poll ended since the state was last saved
        self._results: list[PollResult] = []  # polls ended since the last "poll done" line (run)
        for feed in self.feeds:  # failures in a row survive a restart (the state file): so does the alert
            metrics.FEED_CONSECUTIVE_FAILURES.labels(self._label(feed)).set(state.feed(feed.url).failures)

    def close(self) -> None:
        self._feed_pool.shutdown(wait=True)
        self.client.close()
        self.state.save()
        if self.on_close is not None:
            self.on_close()

    def due(self, now: float) -> list[FeedConfig]:
        with self._running_lock:
            running = set(self._running)
        return [f for f in self.feeds if f.url not in running and self.state.feed(f.url).next_poll <= now]

    def _start_due(self, now: float) -> list[Future]:
        started = []
        for feed in self.due(now):
            future = self._feed_pool.submit(self.poll_feed, feed)
            with self._running_lock:
                self._running[feed.url] = future
            future.add_done_callback(lambda f, url=feed.url: self._forget_running(url, f))
            started.append(future)
        return started

    def _forget_running(self, url: str, future: Future) -> None:
        with self._running_lock:
            self._running.pop(url, None)
            if not future.cancelled() and future.exception() is None:
                self._results.append(future.result())
        self._finished.set()

    @staticmethod
    def _log_round(results: list[PollResult]) -> None:
        """One INFO line per round of polls: a quiet reader is then visibly a working one."""
        if results:
            log.info("poll done", extra={
                "feeds": len(results), "failed_feeds": sum(not r.items and r.errors > 0 for r in results),
                "items": sum(r.items for r in results), "produced": sum(r.produced for r in results),
                "errors": sum(r.errors for r in results), "not_modified": sum(r.not_modified for r in results),
            })

    def poll_once(self, now: float | None = None) -> list[PollResult]:
        """Poll every feed that is due (concurrently) and wait for them; return what happened per feed."""
        futures = self._start_due(time.time() if now is None else now)
        results = [f.result() for f in futures]
        self.state.save()
        with self._running_lock:
            self._results.clear()  # reported here, not again by run()
        self._log_round(results)
        return results

    @staticmethod
    def _label(feed: FeedConfig) -> str:
        return redact(feed.name)

    def poll_feed(self, feed: FeedConfig) -> PollResult:
        """One poll of one feed; never raises (a feed that breaks the reader would break it every interval)."""
        label = self._label(feed)
        result = PollResult(feed=label)
        fstate = self.state.feed(feed.url)
        interval = feed.interval_s or self.settings.poll_interval_s
        try:
            documents = self._documents(feed, fstate, result)
        except Exception as exc:  # noqa: BLE001 - FetchError/FeedError expected; anything else must not escape
            kind = exc.kind if isinstance(exc, FetchError) else "bad_feed" if isinstance(exc, FeedError) else "internal"
            fstate.failures += 1
            backoff = min(interval * 2 ** min(fstate.failures, 10), MAX_BACKOFF_S)
            fstate.next_poll = time.time() + max(backoff, interval)
            metrics.FETCH_ERRORS.labels(label, kind).inc()
            metrics.FEED_POLLS.labels(label, "error").inc()
            metrics.feed_polled(label, ok=False, consecutive_failures=fstate.failures)
            log.warning(
                "feed poll failed",
                exc_info=kind == "internal",
                extra={"url": redact(feed.url), "stage": Stage.READ, "kind": kind, "error": str(exc)[:300],
                       "reason": getattr(exc, "reason", kind), "failures": fstate.failures},
            )
            result.errors += 1
            return result
        fstate.failures = 0
        metrics.FEED_POLLS.labels(label, "not_modified" if result.not_modified else "ok").inc()
        metrics.feed_polled(label, ok=True, consecutive_failures=0)
        result.items = sum(len(d.items) for d in documents)
        max_updates = self.settings.max_item_updates
        with ThreadPoolExecutor(max_workers=max(1, self.settings.reader_page_workers),
                                thread_name_prefix="wirefeed-fetch") as pages:
            for document in documents:
                todo: dict[str, FeedItem] = {}
                for item in document.items:
                    key = canonical_url(item.url)
                    if key not in todo and self.state.wanted(key, item.version, max_updates):
                        todo[key] = item
                outcomes = list(pages.map(lambda kv: self._fetch_and_publish(feed, kv[0], kv[1]), todo.items()))
                result.produced += outcomes.count(Outcome.PUBLISHED)
                result.errors += len(outcomes) - outcomes.count(Outcome.PUBLISHED)
                if Outcome.RETRY not in outcomes and document.response is not None:
                    dstate = self.state.feed(document.url)
                    dstate.etag, dstate.last_modified = document.response.etag, document.response.last_modified
        fstate.next_poll = time.time() + interval
        return result

    # -- what a feed lists ----------------------------------------------------
    def _documents(self, feed: FeedConfig, fstate: FeedState, result: PollResult) -> list[_Document]:
        window = timedelta(hours=feed.window_hours or self.settings.sitemap_window_hours)
        if feed.kind == "site":
            sitemaps = self.robots.sitemaps(feed.url)
            if not sitemaps:
                raise FeedError(f"robots.txt of {redact(feed.url)} lists no sitemaps")
            documents: list[_Document] = []
            self._read_sitemaps(feed, sitemaps, window, 1, documents)
            return documents
        response = self.client.get(feed.url, fstate.etag, fstate.last_modified)
        metrics.FETCH_BYTES.labels(self._label(feed)).inc(len(response.content))
        if response.not_modified:
            result.not_modified = True
            documents = []
            if fstate.children:  # an index that did not change: its sitemaps may have
                self._read_sitemaps(feed, fstate.children, window, 1, documents)
            return documents
        if looks_like_sitemap(response.content):
            sitemap = parse_sitemap(response.content, self.client.max_bytes, window)
            fstate.children = sitemap.children[: self.settings.sitemap_max_children]
            documents = [_Document(feed.url, response, sitemap.items)]
            if sitemap.children:
                self._read_sitemaps(feed, fstate.children, window, 1, documents)
            return documents
        return [_Document(feed.url, response, parse_feed(response.content, response.url))]

    def _read_sitemaps(
        self, feed: FeedConfig, urls: list[str], window: timedelta, depth: int, out: list[_Document]
    ) -> None:
        """Each sitemap on its own: one that fails is counted and logged, the others are read."""
        label = self._label(feed)
        for url in urls[: self.settings.sitemap_max_children]:
            cstate = self.state.feed(url)
            try:
                response = self.client.get(url, cstate.etag, cstate.last_modified)
                metrics.FETCH_BYTES.labels(label).inc(len(response.content))
                if response.not_modified:
                    children = cstate.children
                    out.append(_Document(url, None))
                else:
                    sitemap = parse_sitemap(response.content, self.client.max_bytes, window)
                    children = cstate.children = sitemap.children[: self.settings.sitemap_max_children]
                    out.append(_Document(url, response, sitemap.items))
                if children:
                    if depth >= MAX_SITEMAP_DEPTH:
                        raise FeedError(f"sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH}")
                    self._read_sitemaps(feed, children, window, depth + 1, out)
            except (FetchError, FeedError) as exc:
                kind = exc.kind if isinstance(exc, FetchError) else "bad_sitemap"
                metrics.FETCH_ERRORS.labels(label, kind).inc()
                # the reason code keeps different failures apart in the logs' repeat filter
                log.warning("sitemap failed", extra={"url": redact(url), "stage": Stage.READ, "kind": kind,
                                                     "reason": getattr(exc, "reason", kind),
                                                     "error": str(exc)[:300]})

    # -- pages ----------------------------------------------------------------
    def _fetch_and_publish(self, feed: FeedConfig, key: str, item: FeedItem) -> Outcome:
        label = self._label(feed)
        try:
            return self._fetch_and_publish_unsafe(feed, label, key, item)
        except Exception:  # noqa: BLE001 - one item's surprise must not cost the feed's other items
            metrics.FETCH_ERRORS.labels(label, "internal").inc()
            log.exception("page failed", extra={"url": redact(item.url), "stage": Stage.READ, "kind": "internal"})
            return Outcome.SKIPPED

    def _fetch_and_publish_unsafe(self, feed: FeedConfig, label: str, key: str, item: FeedItem) -> Outcome:
        try:
            response = self.client.get(item.url)
        except FetchError as exc:
            metrics.FETCH_ERRORS.labels(label, exc.kind).inc()
            log.warning("page fetch failed", extra={"url": redact(item.url), "stage": Stage.READ, "kind": exc.kind,
                                                    "error": str(exc)[:300]})
            return Outcome.RETRY if exc.transient else Outcome.SKIPPED
        metrics.PAGES_FETCHED.labels(label).inc()
        metrics.FETCH_BYTES.labels(label).inc(len(response.content))
        mime = response.content_type.split(";")[0].strip().lower()
        if mime and mime not in ("text/html", "application/xhtml+xml", "text/plain"):
            metrics.FETCH_ERRORS.labels(label, "unsupported_type").inc()
            log.warning("page is not HTML or text", extra={"url": redact(item.url), "stage": Stage.READ, "type": mime})
            self.state.mark_seen(key, item.version)  # it will not become HTML by asking again
            return Outcome.SKIPPED
        page = RawPage(
            url=redact(response.url),
            content=decode_body(response.content, response.content_type),
            content_type="text/plain" if mime == "text/plain" else "text/html",
            fetched_at=datetime.now(UTC),
            title=item.title,
            published_at=item.published_at,
            source=redact(item.source or feed.name),
            feed_url=redact(feed.url),
            lang=item.lang,
        )
        try:
            self.publish(page, key)
        except Exception as exc:  # not marked seen, validators kept: the next poll tries again
            metrics.FETCH_ERRORS.labels(label, "publish").inc()
            log.warning("publish failed", extra={"url": redact(item.url), "stage": Stage.READ, "error": str(exc)[:300]})
            return Outcome.RETRY
        metrics.PAGES_PRODUCED.labels(label).inc()
        self.state.mark_seen(key, item.version)
        self.state.checkpoint()
        return Outcome.PUBLISHED

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a feed still being read is not started again, the others go on."""
        while not stop.is_set():
            self._start_due(time.time())
            if self._finished.is_set():  # save what the finished polls changed (validators, back-off)
                self._finished.clear()
                self.state.save()
                with self._running_lock:
                    results, self._results = self._results, []
                self._log_round(results)
            pending = [self.state.feed(f.url).next_poll for f in self.feeds]
            wait = max(0.2, min(pending, default=time.time() + 1) - time.time())
            stop.wait(min(wait, 1.0))
        self.state.save()
