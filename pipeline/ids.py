"""Canonical URLs, stable article ids and content hashes."""

from __future__ import annotations

import contextlib
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from lxml.html import HtmlElement

from pipeline.text import fold_for_hash

# Query parameters that only track the click, never change the page.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|ref_src|smid|sr_share)$", re.I)


def canonical_url(url: str, declared: str | None = None) -> str:
    """The URL a page is known by; never raises.

    Scheme and host stay as the site uses them (``http`` is not forced to
    ``https`` and ``www.`` is kept: they can be different sites); the host is
    lower-cased, a default port, credentials, tracking parameters, the fragment
    and a trailing slash are dropped, and the query is sorted. When ``declared``
    (the page's ``<link rel=canonical>`` or ``og:url``) is on the same site, it
    names the page instead; a canonical pointing at another site is ignored
    (a syndicated copy must not take over the original's id).
    """
    if declared:
        with contextlib.suppress(ValueError):
            declared = urljoin(url.strip(), declared.strip())
            if same_site(url, declared):
                url = declared
    url = url.strip()
    with contextlib.suppress(Exception):  # courlan raises on odd inputs; our own normalisation follows
        url = normalize_url(url, strict=False, trailing_slash=False)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # bad port or brackets: keep the URL (minus fragment) rather than fail the page
        return url.partition("#")[0]
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, query, ""))


def declared_canonical(tree: HtmlElement) -> str | None:
    """The URL a page declares for itself: ``<link rel=canonical href>``, else ``<meta property=og:url>``.

    Pass it to ``canonical_url(page_url, declared)``, which takes it only when it is on the same site.
    """
    for link in tree.iterfind(".//link"):
        rel = {r.lower() for r in (link.get("rel") or "").split()}
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            return href
    for meta in tree.iterfind(".//meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            content = (meta.get("content") or "").strip()
            if content:
                return content
    return None


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on one site: the same host, ignoring a leading ``www.`` and the scheme."""
    try:
        ha, hb = (urlsplit(u).hostname or "" for u in (a, b))
    except ValueError:
        return False
    ha, hb = ha.lower().removeprefix("www."), hb.lower().removeprefix("www.")
    return bool(ha) and ha == hb


def article_id(canonical: str) -> str:
    """Stable 16-hex id of an article, derived from its canonical URL."""
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).hexdigest()


def content_hash(body: str) -> str:
    """Hash of the normalised body: equal for copies that differ only in quotes, case or spacing."""
    return hashlib.blake2b(fold_for_hash(body).encode("utf-8"), digest_size=16).hexdigest()
