"""robots.txt: fetched once per origin (cached with a TTL), honoured before every request.

Parsed with Protego rather than ``urllib.robotparser``: the stdlib parser takes the
first matching rule instead of the longest (RFC 9309, what Google does), ignores
``*`` and ``$`` wildcards in paths, and so allows or refuses the wrong pages on
real sites' files. Protego follows RFC 9309 and reads ``Crawl-delay`` and ``Sitemap``.

What a missing or broken robots.txt means follows RFC 9309 §2.3.1: a 4xx (no
file) allows everything; a 5xx, timeout or network error means "unreachable",
so nothing on the origin is fetched until it is asked again (after
``error_ttl_s``). A file over the size cap is cut at the cap (Google reads the
first 500 KiB). The robots.txt request goes through the same address policy and
per-host turn as every other request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from protego import Protego

from pipeline.ingest.fetch import FetchError, PoliteClient, redact, split_url
from schemas.names import Stage

log = logging.getLogger("wirefeed.reader")
ROBOTS_MAX_BYTES = 512_000
MAX_ROBOTS_REDIRECTS = 5  # RFC 9309 §2.3.1.2


@dataclass
class _Entry:
    rules: Protego | None  # None: unreachable, refuse everything on the origin for now
    expires: float
    sitemaps: list[str] = field(default_factory=list)
    delay: float | None = None


def product_token(user_agent: str) -> str:
    """``wirefeed/0.1 (+https://…)`` → ``wirefeed``: the name robots.txt groups are matched against."""
    return user_agent.split("/")[0].split()[0] if user_agent.strip() else "*"


class RobotsCache:
    """Per-origin robots.txt rules for one user agent."""

    def __init__(
        self,
        client: PoliteClient,
        user_agent: str,
        ttl_s: float = 3600.0,
        error_ttl_s: float = 300.0,
        max_crawl_delay_s: float = 60.0,
        max_bytes: int = ROBOTS_MAX_BYTES,
    ) -> None:
        self.client = client
        self.token = product_token(user_agent)
        self.ttl_s = ttl_s
        self.error_ttl_s = error_ttl_s
        self.max_crawl_delay_s = max_crawl_delay_s
        self.max_bytes = max_bytes
        self._entries: dict[tuple[str, str, int], _Entry] = {}
        self._fetching: dict[tuple[str, str, int], threading.Lock] = {}
        self._lock = threading.Lock()

    def attach(self) -> RobotsCache:
        """Make the client ask this cache before every request (and space requests by Crawl-delay)."""
        self.client.robots = self
        return self

    def allowed(self, url: str) -> bool:
        """Whether our user agent may fetch ``url``; FetchError('robots_unavailable') when robots.txt is."""
        scheme, host, port = split_url(url)
        if urlsplit(url).path == "/robots.txt":
            return True
        entry = self._entry(scheme, host, port)
        if entry.rules is None:
            raise FetchError("robots_unavailable", f"robots.txt of {host} cannot be read now; not fetching")
        return bool(entry.rules.can_fetch(redact(url), self.token))

    def delay(self, scheme: str, host: str, port: int) -> float | None:
        """The origin's Crawl-delay for us (capped), if its robots.txt was read; never fetches."""
        entry = self._entries.get((scheme, host, port))
        return entry.delay if entry is not None else None

    def sitemaps(self, url: str) -> list[str]:
        """The ``Sitemap:`` lines of the robots.txt of ``url``'s origin."""
        scheme, host, port = split_url(url)
        entry = self._entry(scheme, host, port)
        if entry.rules is None:
            raise FetchError("robots_unavailable", f"robots.txt of {host} cannot be read now")
        return list(entry.sitemaps)

    def _entry(self, scheme: str, host: str, port: int) -> _Entry:
        key = (scheme, host, port)
        entry = self._entries.get(key)
        if entry is not None and entry.expires > time.monotonic():
            return entry
        with self._lock:
            fetching = self._fetching.setdefault(key, threading.Lock())
        with fetching:  # one fetch per origin; the others wait for its answer
            entry = self._entries.get(key)
            if entry is None or entry.expires <= time.monotonic():
                entry = self._load(scheme, host, port)
                self._entries[key] = entry
            return entry

    def _load(self, scheme: str, host: str, port: int) -> _Entry:
        netloc = f"[{host}]" if ":" in host else host
        url = f"{scheme}://{netloc}:{port}/robots.txt"
        now = time.monotonic()
        try:
            text = self._fetch(url)
        except FetchError as exc:
            if exc.kind.startswith("http_4") and exc.kind != "http_429":
                return _Entry(Protego.parse(""), now + self.ttl_s)  # no robots.txt: everything allowed
            if exc.kind in ("refused_address", "bad_url"):
                return _Entry(Protego.parse(""), now + self.ttl_s)  # the page fetch is refused by the same policy
            log.warning("robots.txt unreachable", extra={"url": url, "kind": exc.kind, "stage": Stage.READ})
            return _Entry(None, now + self.error_ttl_s)
        try:
            rules = Protego.parse(text)
            delay = rules.crawl_delay(self.token)
            sitemaps = [s for s in rules.sitemaps if isinstance(s, str)]
        except Exception as exc:  # Protego is lenient; a file it still chokes on counts as no rules
            log.warning("robots.txt unparsable; treated as empty", extra={"url": url, "error": str(exc)[:200]})
            rules, delay, sitemaps = Protego.parse(""), None, []
        if delay is not None:
            delay = min(max(float(delay), 0.0), self.max_crawl_delay_s)
        return _Entry(rules, now + self.ttl_s, sitemaps=sitemaps, delay=delay)

    def _fetch(self, url: str) -> str:
        for _ in range(MAX_ROBOTS_REDIRECTS + 1):
            target = self.client.policy.check(url)
            status, location, response = self.client.fetch_target(target, {}, self.max_bytes, truncate=True)
            if location:
                url = urljoin(url, location)
                continue
            if response is None:  # a redirect without a Location
                break
            return response.content.decode("utf-8", errors="replace")
        raise FetchError("http_4xx", "robots.txt redirects too often")  # RFC 9309: treat as unavailable (4xx)
