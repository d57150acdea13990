"""trafilatura's article extraction, minus the work our settings make useless.

``bare_extraction`` with ``fast=True, include_comments=False`` parses the page with
lxml.html's Python-level element class lookup, deep-copies the tree it is handed and
keeps a second copy (a backup used only by the readability/justext fallback that
``fast`` turns off). Here:

* :func:`parse_html` parses like ``trafilatura.utils.load_html`` (same parser settings,
  repairs and fallbacks; the repair's control-character scan made cheap) but gives the
  parser lxml's C-level default class lookup, so every element proxy trafilatura touches
  is an ``HtmlElement`` made without a Python call (lxml.html's lookup only adds
  form/input/label subclasses, which trafilatura never uses);
* :func:`article_body` runs trafilatura's extraction cascade for those settings without
  the backup copy, and measures the page's text (the recall-escalation test) with the same
  cleaning XPath split in two: the plain part in libxml2, the cookie-banner regex (an EXSLT
  ``re:test``, two Python callbacks on every element of the page) in one Python loop over
  the elements that have a class or id;
* the pruning expressions it runs on every page (the raw-tree prune, comment sections, the
  boilerplate sections of ``extract_content``) and the search for the article's container
  (``BODY_XPATH``) are replaced by Python stand-ins that select the same elements
  (:mod:`pipeline.clean.trafilatura_prune`); ``OVERALL_DISCARD_XPATH`` and ``BODY_XPATH`` are
  swapped in ``trafilatura.main_extractor`` itself, for this process.

All of it relies on trafilatura internals; when they change shape, :func:`article_body` falls back
to ``trafilatura_sequence`` and then to the public ``bare_extraction``
(tests/unit/test_trafilatura_fast.py checks that the outputs stay identical).
"""

from __future__ import annotations

import re
from copy import copy
from typing import Any

from lxml.etree import ElementDefaultClassLookup, HTMLParser, XPath, _Element
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, fromstring
from trafilatura import bare_extraction
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS, is_dubious_html

from pipeline.clean.trafilatura_prune import stand_ins

TRAFILATURA_OPTIONS = {"fast": True, "include_comments": False, "include_tables": True}

# trafilatura.utils.HTML_PARSER's settings, with a lookup that makes no Python call per element.
_PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)

try:  # internals of the installed trafilatura; see the module docstring
    from trafilatura import core as _core
    from trafilatura import main_extractor as _main_extractor
    from trafilatura.baseline import _spaced_text
    from trafilatura.baseline import baseline as _baseline
    from trafilatura.baseline import html2txt as _html2txt
    from trafilatura.htmlprocessing import convert_tags as _convert_tags
    from trafilatura.htmlprocessing import prune_unwanted_nodes as _prune
    from trafilatura.htmlprocessing import tree_cleaning as _tree_cleaning
    from trafilatura.main_extractor import extract_content as _extract_content
    from trafilatura.settings import _COOKIE_CONSENT_RE, BASIC_CLEAN_XPATH
    from trafilatura.settings import Extractor as _TrafilaturaOptions
    from trafilatura.xml import delete_element as _delete_element

    _sequence: Any = _core.trafilatura_sequence
    _is_forum: Any = _core._forum_thread_page
    _RAW_PRUNE = stand_ins(_core.RAW_TREE_PRUNE_XPATH)
    _COMMENTS_PRUNE = stand_ins(_core.REMOVE_COMMENTS_AND_LISTS_XPATH)
    # read by extract_content on every page and on the recall retry: the same selection, faster
    _main_extractor.OVERALL_DISCARD_XPATH = stand_ins(_main_extractor.OVERALL_DISCARD_XPATH)
    _main_extractor.BODY_XPATH = stand_ins(_main_extractor.BODY_XPATH)  # _extract reads first matches only
    _ESCALATION = (
        _core.ESCALATION_MAX_LENGTH,
        _core.ESCALATION_PAGE_SHARE,
        _core.ESCALATION_ACCEPT_RATIO,
    )
    OPTIONS: Any = _TrafilaturaOptions(
        fast=TRAFILATURA_OPTIONS["fast"],
        comments=TRAFILATURA_OPTIONS["include_comments"],
        tables=TRAFILATURA_OPTIONS["include_tables"],
    )
except (ImportError, AttributeError, TypeError):  # pragma: no cover - depends on the installed trafilatura
    _sequence = None
    OPTIONS = None
    _COOKIE_CONSENT_RE = BASIC_CLEAN_XPATH = None

# BASIC_CLEAN_XPATH (what html2txt cuts before measuring a page) in two parts; used only while
# trafilatura's expression is exactly their union.
_PLAIN_CLEAN = (
    ".//aside|.//div[contains(@class|@id, 'footer')]|.//fencedframe|.//footer|.//script|.//style"
    "|.//svg|.//template"
)
_CONSENT_TEST = f"re:test(@class, '{_COOKIE_CONSENT_RE}', 'i') or re:test(@id, '{_COOKIE_CONSENT_RE}', 'i')"
FAST_PAGE_TEXT = BASIC_CLEAN_XPATH is not None and BASIC_CLEAN_XPATH.path == f"{_PLAIN_CLEAN}|.//*[{_CONSENT_TEST}]"
_CONSENT_CANDIDATES = XPath(".//*[@class or @id]")
_PLAIN_CLEAN_XPATH = XPath(_PLAIN_CLEAN)
_CONSENT = re.compile(_COOKIE_CONSENT_RE or "(?!)", re.IGNORECASE)  # as EXSLT re:test compiles it


def basic_cleaning_targets(tree: HtmlElement) -> list[HtmlElement]:
    """What ``BASIC_CLEAN_XPATH`` selects in ``tree``, in document order."""
    targets = _PLAIN_CLEAN_XPATH(tree)
    consent = [
        el
        for el in _CONSENT_CANDIDATES(tree)
        if _CONSENT.search(el.get("class") or "") or _CONSENT.search(el.get("id") or "")
    ]
    if not consent:
        return targets
    chosen = set(targets).union(consent)
    return [el for el in tree.iter() if el in chosen]


def page_text_length(tree: HtmlElement) -> int:
    """``len(trafilatura.baseline.html2txt(tree))``, computed on a copy, ``tree`` untouched."""
    if not FAST_PAGE_TEXT:  # pragma: no cover - depends on the installed trafilatura
        return len(_html2txt(tree))
    tree = copy(tree)
    body = tree.find(".//body")
    if body is None:
        body = tree  # html2txt takes an element without <body> as the content itself
    for element in basic_cleaning_targets(body):
        _delete_element(element)
    return len(_spaced_text(body))


# The characters INVALID_XML_CHARS strips. Looking for each with ``in`` (C, memchr-like) is about
# four times faster than the regex's scan of a 200 KB page, and pages almost never hold one.
INVALID_XML_CHARACTERS = (
    *(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)),
    "\ufffe",
    "\uffff",
)


def repair_html(content: str, beginning: str) -> str:
    """``trafilatura.utils.repair_faulty_html``, with the control-character scan made cheap."""
    if any(ch in content for ch in INVALID_XML_CHARACTERS):
        content = INVALID_XML_CHARS.sub("", content)
    # libxml2/lxml cannot parse a DOCTYPE with a slash in it (https://bugs.launchpad.net/lxml/+bug/1955915)
    if "doctype" in beginning:
        first, _, rest = content.partition("\n")
        content = DOCTYPE_TAG.sub("", first, count=1) + "\n" + rest
    # a self-closing <html/> in the first lines
    for line in content[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            content = FAULTY_HTML.sub(r"\1>", content, count=1)
            break
    return content


def _from_bytes(content: str) -> HtmlElement | None:
    try:
        return fromstring(content.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except Exception:  # lxml refuses the bytes too: not HTML we can read
        return None


def parse_html(content: str) -> HtmlElement | None:
    """The page as an lxml.html tree (as ``trafilatura.utils.load_html`` would build it), or None."""
    beginning = content[:50].lower()
    content = repair_html(content, beginning)
    tree: HtmlElement | None = None
    tried_bytes = False
    try:
        tree = fromstring(content, parser=_PARSER)
    except ValueError:  # a str with an encoding declaration: lxml wants bytes
        tree, tried_bytes = _from_bytes(content), True
    except Exception:  # lxml gave up on the text
        tree = None
    if (tree is None or len(tree) < 1) and not tried_bytes:
        tree = _from_bytes(content)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # not a document (trafilatura rejects it the same way)
    return tree


def _fast_sequence(tree: HtmlElement, options: Any, url: str | None) -> tuple[_Element, str]:
    """``trafilatura_sequence`` for fast mode, comments off, balanced focus (body and its text).

    Same steps in the same order; only the pre-conversion backup copy (read by the
    fallback extractors alone, off in fast mode) is not made.
    """
    is_forum = _is_forum(tree)
    tree = _prune(tree, _RAW_PRUNE)
    if not is_forum:
        tree = _prune(tree, _COMMENTS_PRUNE)
    postbody, text = _extract_content(_convert_tags(_tree_cleaning(copy(tree), options), options, url), options)
    if len(text) < options.min_extracted_size:  # rescue: baseline on the pruned raw tree
        b_body, b_text, b_len = _baseline(tree)
        if b_len > len(text):
            postbody, text = b_body, b_text
    max_length, page_share, accept_ratio = _ESCALATION
    if 0 < len(text) < max_length and len(text) < page_share * page_text_length(tree):
        recall = copy(options)
        recall.focus = "recall"
        r_text = ""
        try:
            r_body, r_text = _extract_content(
                _convert_tags(_tree_cleaning(copy(tree), recall), recall, url), recall
            )
        except Exception:  # pragma: no cover - trafilatura logs and ignores this too
            r_text = ""
        if len(r_text) >= options.min_extracted_size and len(r_text) > accept_ratio * len(text):
            postbody, text = r_body, r_text
    return postbody, text


def article_body(tree: HtmlElement, url: str | None) -> _Element | None:
    """trafilatura's article body (its XML tree) with TRAFILATURA_OPTIONS, or None. Consumes ``tree``."""
    if _sequence is not None:
        fast = OPTIONS.fast and not OPTIONS.comments and OPTIONS.focus == "balanced"
        try:
            if fast:
                body, text = _fast_sequence(tree, OPTIONS, url)
            else:  # pragma: no cover - only if the options above change
                body, text, _, _ = _sequence(tree, OPTIONS, url)
        except (TypeError, ValueError, AttributeError):
            pass
        else:
            return body if len(text) >= OPTIONS.min_output_size else None
    doc = bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    return doc.body if doc is not None else None
