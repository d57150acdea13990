"""Feed documents (RSS, Atom, JSON Feed) into items, and the feeds file into FeedConfigs."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import struct_time

import feedparser
import yaml

from pipeline.ingest.fetch import FetchError, redact, split_url

# External entities and internal entity expansion are refused before parsing:
# a feed has no business declaring entities (billion-laughs, XXE).
_DTD_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


class FeedError(ValueError):
    """The feed document or the feeds file cannot be used; ``reason`` is a short code for logs."""

    def __init__(self, message: str, reason: str = "bad_feed") -> None:
        super().__init__(message)
        self.reason = reason


FEED_KINDS = ("auto", "site")


@dataclass(frozen=True)
class FeedConfig:
    """One feeds-file entry. ``kind``: ``auto`` (an RSS/Atom/JSON feed, a sitemap or a sitemap
    index, told apart by content) or ``site`` (read the sitemaps the site's robots.txt lists)."""

    url: str
    name: str
    interval_s: float | None = None
    kind: str = "auto"
    window_hours: float | None = None  # sitemaps: only entries newer than this (default: the setting)


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str | None
    published_at: datetime | None
    source: str | None = None  # the outlet, when an aggregating feed names it per item
    lang: str | None = None  # a language hint (Google News sitemaps name it)
    # what the feed says about this version of the item (updated date, content hash): when it changes,
    # the page is fetched again so the corrected story is republished under the same id
    version: str | None = None


def version_of(*parts: object) -> str | None:
    """A short hash of what identifies an item's version, or None when nothing does."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    if not text.strip("\x1f"):
        return None
    return hashlib.blake2b(text.encode("utf-8", errors="replace"), digest_size=8).hexdigest()


def usable_link(link: object) -> str | None:
    """The link stripped when the fetcher could use it (http(s), a host, a valid port, no control chars)."""
    if not isinstance(link, str):
        return None
    link = link.strip()
    try:
        split_url(link)
    except FetchError:
        return None
    return link


def load_feeds_file(path: Path) -> list[FeedConfig]:
    """Read the YAML feeds file: ``feeds: [{url, name?, interval?, type?, window_hours?}]``.

    A name defaults to the URL without credentials: names become metric labels and ``RawPage.source``.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FeedError(f"cannot read feeds file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise FeedError(f"feeds file {path} is not valid YAML: {exc}") from None
    entries = data.get("feeds") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise FeedError(f"feeds file {path} needs a non-empty 'feeds:' list")
    unknown_top = sorted(set(data) - {"feeds"})
    if unknown_top:
        raise FeedError(f"{path}: unknown key {unknown_top[0]!r}: allowed keys are 'feeds'")
    feeds = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise FeedError(f"{path}: feeds[{i}] needs a 'url'")
        unknown = sorted(set(entry) - FEED_KEYS)
        if unknown:  # a misspelt key (e.g. 'intervall') would otherwise be ignored without a word
            raise FeedError(
                f"{path}: feeds[{i}] has unknown key {unknown[0]!r}: allowed keys are "
                + ", ".join(repr(k) for k in sorted(FEED_KEYS))
            )
        url = entry["url"].strip()
        if not url.startswith(("http://", "https://")):
            raise FeedError(f"{path}: feeds[{i}].url={url!r} is not allowed: must be an http(s) URL")
        kind = str(entry.get("type") or ("site" if url.rstrip("/").endswith("/robots.txt") else "auto"))
        if kind not in FEED_KINDS:
            raise FeedError(f"{path}: feeds[{i}].type={kind!r} is not allowed: must be one of {', '.join(FEED_KINDS)}")
        window = entry.get("window_hours")
        if window is not None and (isinstance(window, bool) or not isinstance(window, int | float) or window <= 0):
            raise FeedError(f"{path}: feeds[{i}].window_hours={window!r} is not allowed: must be a number > 0")
        feeds.append(FeedConfig(url=url, name=str(entry.get("name") or redact(url)),
                                interval_s=_interval(entry, i, path), kind=kind, window_hours=window))
    return feeds


FEED_KEYS = frozenset({"url", "name", "interval", "type", "window_hours"})


def _interval(entry: dict, i: int, path: Path) -> float | None:
    """The feed's poll interval in seconds: a positive number, or absent (the default applies)."""
    value = entry.get("interval")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise FeedError(
            f"{path}: feeds[{i}].interval={value!r} is not allowed: must be a number of seconds > 0 (e.g. 600)"
        )
    return float(value)


def _when(value: struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_json_feed(document: bytes) -> list[FeedItem]:
    """Items of a JSON Feed (jsonfeed.org 1.x); feedparser does not read these."""
    try:
        data = json.loads(document)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"not a JSON feed: {exc}"[:300]) from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError("JSON feed has no 'items' list")
    items = []
    for entry in data["items"]:
        if not isinstance(entry, dict):
            continue
        link = usable_link(entry.get("url") or entry.get("external_url"))
        if link is None:
            continue
        title = entry.get("title") if isinstance(entry.get("title"), str) else None
        body = entry.get("content_html") or entry.get("content_text") or entry.get("summary")
        version = version_of(entry.get("date_modified"), title, body)
        items.append(FeedItem(url=link, title=title, published_at=_iso(entry.get("date_published")),
                              version=version))
    return items


def parse_feed(document: bytes, base_url: str) -> list[FeedItem]:
    """Items of an RSS/Atom/JSON feed, document order kept; links must be http(s)."""
    if document.lstrip()[:1] == b"{":
        return parse_json_feed(document)
    if _DTD_ENTITY.search(document[:65536]):
        raise FeedError("feed declares XML entities; refused")
    parsed = feedparser.parse(document, response_headers={"content-location": base_url})
    # bozo also flags harmless things (a missing Content-Type); no version and no entries means not a feed
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"not a feed: {parsed.get('bozo_exception')!r}"[:300])
    items = []
    for entry in parsed.entries:
        link = usable_link(entry.get("link") or entry.get("id"))
        if link is None:
            continue
        content = " ".join(str(c.get("value", "")) for c in entry.get("content") or [] if isinstance(c, dict))
        items.append(
            FeedItem(
                url=link,
                title=(entry.get("title") or None),
                published_at=_when(entry.get("published_parsed") or entry.get("updated_parsed")),
                source=(entry.get("source") or {}).get("title") or None,
                version=version_of(entry["updated"] if "updated" in entry else None,  # noqa: SIM401 - .get warns
                                   entry.get("title"), entry.get("summary"), content),
            )
        )
    return items
