"""Sitemaps as feeds: XML sitemaps, sitemap indexes, Google News sitemaps, plain-text URL lists.

Parsing is ultimate-sitemap-parser's (``usp``): it reads the sitemaps.org and
Google News schemas (``<news:title>``, ``<news:publication_date>``,
``<news:language>``), tolerates the namespace mistakes real sites make, refuses
DTDs and entity declarations, and keeps what it read when a file ends
abruptly. We never let it fetch: the reader fetches every sitemap through its
own client (address policy, robots.txt, size and time caps, conditional GET)
and hands usp the bytes. Before usp sees a document we refuse, with a reason,
what is not a sitemap at all, so a hostile sitemap fails alone and clearly.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from usp.objects.sitemap import AbstractIndexSitemap, InvalidSitemap
from usp.tree import sitemap_from_str

from pipeline.ingest.feeds import FeedError, FeedItem, usable_link, version_of
from pipeline.ingest.fetch import FetchError, decode_content

_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<(?:[\w.-]+:)?(urlset|sitemapindex)\b")
_GZIP_MAGIC = b"\x1f\x8b"
# A date this far ahead is a broken date, not news: it would stay "inside the window" for ever.
FUTURE_SLACK = timedelta(days=1)
# usp reports what it could not parse through its logger; we turn the message into the reason.
_usp_lock = threading.Lock()
_USP_PLACEHOLDER = "from http://usp-local-dummy.local/"  # the URL usp gives a document parsed from a string


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap document holds: pages (with their dates) or, for an index, child sitemaps."""

    items: list[FeedItem]
    children: list[str]
    undated: int = 0  # entries left out because no valid date said how new they are
    old: int = 0  # entries left out because they are older than the window


def looks_like_sitemap(document: bytes) -> bool:
    """Whether a fetched document is an XML sitemap or index (gzipped counts), not an RSS/Atom/JSON feed."""
    if document[:2] == _GZIP_MAGIC:
        return True
    return _ROOT.search(document[:4096]) is not None


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # "Parsing sitemap from URL <usp's placeholder> failed: <reason>": keep the reason
        self.messages.append(record.getMessage().split(" failed: ", 1)[-1])


def parse_sitemap(document: bytes, max_bytes: int, window: timedelta, now: datetime | None = None) -> Sitemap:
    """Entries newer than ``window`` (by news publication date, else lastmod) and child sitemaps.

    Raises FeedError with the reason when the document is not a usable sitemap:
    DTD or entities, not a sitemap root, too large once inflated, or entries none
    of which carries a valid date.
    """
    now = now or datetime.now(UTC)
    if document[:2] == _GZIP_MAGIC:  # a .xml.gz file: gzip as content, not as transfer encoding
        try:
            document = decode_content(document, "gzip", max_bytes)
        except FetchError as exc:
            raise FeedError(f"gzipped sitemap: {exc}", "sitemap_gzip") from None
    if _DTD.search(document[:65536]):
        raise FeedError("sitemap declares a DTD or XML entities; refused", "sitemap_entities")
    text = document.decode("utf-8", errors="replace")
    is_xml = text.lstrip("\ufeff \t\r\n")[:1] == "<"
    if is_xml and not _ROOT.search(document[:4096]):
        raise FeedError("not a sitemap: no <urlset> or <sitemapindex> root element", "not_a_sitemap")
    capture = _Capture()
    usp_log = logging.getLogger("usp")
    with _usp_lock:
        usp_log.addHandler(capture)
        propagate, usp_log.propagate = usp_log.propagate, False
        level = usp_log.level
        usp_log.setLevel(logging.WARNING)  # its reasons are ours to report, whatever the root level
        try:
            parsed = sitemap_from_str(text)
        except Exception as exc:  # usp is defensive, but a hostile file must fail alone whatever it raises
            raise FeedError(f"sitemap unparsable: {type(exc).__name__}: {exc}"[:300], "sitemap_unparsable") from None
        finally:
            usp_log.removeHandler(capture)
            usp_log.propagate = propagate
            usp_log.setLevel(level)
    if isinstance(parsed, InvalidSitemap):
        reason = capture.messages[-1] if capture.messages else parsed.reason.replace(_USP_PLACEHOLDER, "it")
        raise FeedError(f"not a sitemap: {reason}"[:300], "not_a_sitemap")
    if isinstance(parsed, AbstractIndexSitemap):
        children = [link for link in (usable_link(c.url) for c in parsed.sub_sitemaps) if link]
        return Sitemap(items=[], children=list(dict.fromkeys(children)))
    pages = parsed.pages
    if not pages and capture.messages:  # usp keeps what it read before an error; here that is nothing
        raise FeedError(f"sitemap unparsable: {capture.messages[-1]}"[:300], "sitemap_unparsable")
    return _pages(pages, window, now, broken=capture.messages)


def _valid(when: datetime | None, now: datetime) -> datetime | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when if when <= now + FUTURE_SLACK else None


def _pages(pages: list, window: timedelta, now: datetime, broken: list[str]) -> Sitemap:  # noqa: ANN001
    items: list[FeedItem] = []
    seen: set[str] = set()
    undated = old = 0
    for page in pages:
        link = usable_link(page.url)
        if link is None or link in seen:
            continue
        seen.add(link)
        story = page.news_story
        published = _valid(story.publish_date, now) if story is not None else None
        modified = _valid(page.last_modified, now)
        when = published or modified
        if when is None:
            undated += 1
            continue
        if when < now - window:
            old += 1
            continue
        title = (story.title or None) if story is not None else None
        lang = (story.publication_language or None) if story is not None else None
        items.append(FeedItem(
            url=link, title=title, published_at=published, lang=lang,
            source=(story.publication_name or None) if story is not None else None,
            version=version_of(page.last_modified, title),
        ))
    if not items and undated and not old:
        hint = f" ({broken[-1]})" if broken else ""
        raise FeedError(f"sitemap has {undated} entries but no valid date to tell how new they are{hint}"[:300],
                        "sitemap_undated")
    return Sitemap(items=items, children=[], undated=undated, old=old)
