"""Page metadata (title, publication date, author, language, site name) from HTML head tags.

Read straight from meta tags, ``<time>`` and JSON-LD: a handful of XPath lookups,
much cheaper than a full date search, and what wire pages reliably carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml.html import HtmlElement

_TITLE_KEYS = ("og:title", "twitter:title", "dc.title", "title", "headline", "sailthru.title")
_DATE_KEYS = (
    "article:published_time",
    "og:published_time",
    "published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
    "publication_date",
    "citation_publication_date",
)
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
    "byl",
    "byline",
)
_SITE_KEYS = ("og:site_name", "application-name", "twitter:site", "publisher")
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
_JSONLD_AUTHOR = re.compile(r'"author"\s*:\s*(?:\[\s*)?\{[^{}]*?"name"\s*:\s*"([^"]{2,80})"')
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"\s+[|\u2013\u2014\u00bb:-]\s+")
_LANG = re.compile(r"^[a-zA-Z]{2,3}")


@dataclass
class PageMeta:
    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    lang: str | None = None
    site_name: str | None = None


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (also with a trailing Z), else None."""
    if not value:
        return None
    value = value.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    for candidate in (value, value[:25], value[:19], value[:10]):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def _meta_values(tree: HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in values:
            values[key] = content
    return values


def _strip_site(title: str, site: str | None) -> str:
    """``Headline | Site`` -> ``Headline`` (the longest part when separated)."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        if site:
            parts = [p for p in parts if p.strip().casefold() != site.casefold()] or parts
        title = max(parts, key=len) if len(parts) > 1 and site is None else " - ".join(parts)
    return title.strip()


def read_metadata(tree: HtmlElement) -> PageMeta:
    metas = _meta_values(tree)
    site = next((metas[k] for k in _SITE_KEYS if k in metas), None)
    if site and site.startswith("@"):
        site = site[1:]
    title = next((metas[k] for k in _TITLE_KEYS if k in metas), None)
    if not title:
        h1 = tree.find(".//h1")
        title = h1.text_content().strip() if h1 is not None else None
    if not title:
        node = tree.find(".//title")
        title = _strip_site(node.text_content(), site) if node is not None and node.text_content() else None
    elif site:
        title = _strip_site(title, site)

    published = next((parse_date(metas[k]) for k in _DATE_KEYS if k in metas and parse_date(metas[k])), None)
    if published is None:
        for node in tree.iterfind(".//time"):
            published = parse_date(node.get("datetime"))
            if published:
                break
    scripts = None
    if published is None or not any(k in metas for k in _AUTHOR_KEYS):
        scripts = " ".join(
            s.text or "" for s in tree.iterfind(".//script") if s.get("type") == "application/ld+json"
        )
    if published is None and scripts:
        match = _JSONLD_DATE.search(scripts)
        published = parse_date(match.group(1)) if match else None

    author = next((metas[k] for k in _AUTHOR_KEYS if k in metas and not metas[k].startswith("http")), None)
    if author is None and scripts:
        match = _JSONLD_AUTHOR.search(scripts)
        author = match.group(1) if match else None
    if author:
        author = _BY.sub("", author).strip() or None

    lang = tree.get("lang") or tree.get("xml:lang") or metas.get("og:locale") or metas.get("content-language")
    match = _LANG.match(lang or "")
    return PageMeta(
        title=title.strip() if title else None,
        published_at=published,
        author=author,
        lang=match.group(0).lower() if match else None,
        site_name=site,
    )
