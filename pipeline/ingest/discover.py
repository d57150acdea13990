"""Feed discovery: the feeds and sitemaps a site advertises, so a user can write a feeds file.

Two places are read, both through the reader's client (address policy,
robots.txt, caps): the page's ``<link rel="alternate">`` elements with a feed
type (RSS, Atom, JSON Feed) and the ``Sitemap:`` lines of the site's robots.txt.
Nothing is guessed (no probing of /feed, /rss.xml …): only what the site says.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from pipeline.ingest.feeds import usable_link
from pipeline.ingest.fetch import FetchError, PoliteClient, decode_body
from pipeline.ingest.robots import RobotsCache

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json feed",
    "application/json": "json feed",
    "application/rdf+xml": "rss",
    "application/xml": "feed",
    "text/xml": "feed",
}


@dataclass(frozen=True)
class Found:
    url: str
    kind: str  # rss, atom, json feed, feed, sitemap
    title: str | None
    via: str  # "page" (<link rel=alternate>) or "robots.txt"


@dataclass
class Discovery:
    found: list[Found]
    problems: list[str]  # what could not be read, said plainly (the rest is still listed)


def advertised_feeds(html: str, base_url: str) -> list[Found]:
    """``<link rel="alternate" type="…feed type…" href>`` of a page, in document order, deduplicated."""
    if not html.strip():
        return []
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    found: dict[str, Found] = {}
    for link in tree.iterfind(".//link"):
        rel = {r.lower() for r in (link.get("rel") or "").split()}
        kind = FEED_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        if "alternate" not in rel or kind is None:
            continue
        try:
            url = usable_link(urljoin(base_url, (link.get("href") or "").strip()))
        except ValueError:
            url = None
        if url and url not in found:
            title = (link.get("title") or "").strip() or None
            found[url] = Found(url, kind, title, "page")
    return list(found.values())


def discover(client: PoliteClient, robots: RobotsCache, url: str) -> Discovery:
    """What ``url``'s page and its site's robots.txt advertise."""
    found: list[Found] = []
    problems: list[str] = []
    try:
        response = client.get(url)
        found += advertised_feeds(decode_body(response.content, response.content_type), response.url)
    except FetchError as exc:
        problems.append(f"page not read ({exc.kind}): {exc}")
    try:
        found += [Found(s, "sitemap", None, "robots.txt") for s in robots.sitemaps(url)
                  if usable_link(s) and s not in {f.url for f in found}]
    except FetchError as exc:
        problems.append(f"robots.txt not read ({exc.kind}): {exc}")
    return Discovery(found, problems)
