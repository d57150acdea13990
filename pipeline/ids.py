"""Canonical URLs, stable article ids and content hashes."""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

# Query parameters that only track the click, never change the page.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|ref_src|smid|sr_share)$", re.I)


def canonical_url(url: str) -> str:
    """The URL a page is known by: normalised, tracking parameters and fragment dropped."""
    url = url.strip()
    with contextlib.suppress(Exception):  # courlan raises on odd inputs; our own normalisation follows
        url = normalize_url(url, strict=False, trailing_slash=False)
    parts = urlsplit(url)
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme, netloc, path, query, ""))


def article_id(canonical: str) -> str:
    """Stable 16-hex id of an article, derived from its canonical URL."""
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).hexdigest()


_WS = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise_text(text: str) -> str:
    """Text folded for hashing: NFKC, lower case, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _WS.sub(" ", _PUNCT.sub(" ", text)).strip()


def content_hash(body: str) -> str:
    """Hash of the normalised body: equal for copies that differ only in quotes, case or spacing."""
    return hashlib.blake2b(normalise_text(body).encode("utf-8"), digest_size=16).hexdigest()
