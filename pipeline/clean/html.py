"""HTML pages: trafilatura finds the article (readability-lxml where it looks wrong), we keep its structure as blocks.

Which candidate is used is decided in ``pipeline/clean/base.py``. A table that holds a long
running-text cell is a page layout: its rows become one block per cell, so the cleaner can cut
the menus and labels around the article cell instead of keeping or losing the row whole.

trafilatura's settings were chosen by measurement on the dev benchmark
(bench/extraction.py): ``include_comments=False`` gains precision at no recall
cost, ``fast=True`` (no readability/justext fallback) is ~1.7x faster for the
same score, ``favor_precision`` and ``include_links`` lose recall.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field

from lxml.etree import Element, XPath
from lxml.html import HtmlElement, fragment_fromstring
from trafilatura.xml import xmltotxt

from pipeline.clean import base
from pipeline.clean.blocks import Block, is_sentence
from pipeline.clean.metadata import PageMeta, read_metadata
from pipeline.clean.readability_fast import summary as readability_summary
from pipeline.clean.trafilatura_fast import TRAFILATURA_OPTIONS, article_body, parse_html
from pipeline.text import fold_line, words

__all__ = ["TRAFILATURA_OPTIONS", "HtmlPage", "html_blocks"]

# Captions: <figcaption>, and elements whose class names a caption or a credit (not the page's
# or the article's own containers). A walk in Python: three times cheaper than the XPath
# ".//figcaption | .//*[contains(@class, 'caption') or contains(@class, 'credit')][not(self::html
# or self::body or self::article or self::main or self::section)]" it replaces (same elements).
_NOT_CAPTIONS = frozenset(("html", "body", "article", "main", "section"))


def _caption_nodes(tree: HtmlElement) -> list[HtmlElement]:
    out = []
    for el in tree.iterdescendants(Element):
        if el.tag == "figcaption":
            out.append(el)
        elif el.tag not in _NOT_CAPTIONS:
            names = el.get("class")
            if names is not None and ("caption" in names or "credit" in names):
                out.append(el)
    return out

# Link texts shorter than this are menu items, not headlines; they never make a block link-only.
_MIN_LINK_CHARS = 12
_LONG_LINKS = XPath(f".//a[string-length(normalize-space(.)) >= {_MIN_LINK_CHARS}]")
_KINDS = {"head": "head", "item": "item", "quote": "quote", "cell": "cell"}
# trafilatura writes a table row as "| cell | cell |", with "|" inside a cell escaped as "\\|".
_ROW = re.compile(r"^\|.*\|$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
# A table with a cell of this much running text is a page layout, not data: its rows are split
# into cells, and each cell is judged on its own.
LAYOUT_CELL_WORDS = 30
# readability-lxml re-measures the text of every container it scores, so its cost grows faster than
# the page; on pages larger than this (news pages are far smaller) trafilatura's candidate stands.
SECOND_OPINION_MAX_CHARS = 2_000_000
# When caption text is at least this share of a candidate, the page is a gallery: captions are its text.
CAPTION_CONTENT_SHARE = 0.5
# Tags whose text readability-lxml's summary holds as blocks, and the block kind each gives.
_FRAGMENT_KINDS = {
    **{f"h{i}": "head" for i in range(1, 7)},
    "li": "item", "dt": "item", "dd": "item", "blockquote": "quote", "td": "cell", "th": "cell",
    "p": "p", "pre": "p", "figcaption": "caption", "caption": "caption",
}  # fmt: skip
_CONTAINERS = {"div", "section", "article", "main", "ul", "ol", "dl", "table", "tbody", "thead", "tfoot", "tr",
               "figure", "body", "html", "form", "center", "header", "footer", "aside", "nav", "span"}
_SKIP = {"script", "style", "noscript", "iframe", "template", "select", "button"}


@dataclass
class HtmlPage:
    meta: PageMeta
    blocks: list[Block] = field(default_factory=list)
    base: str = ""  # the extractor whose candidate the blocks come from


def _texts(nodes: list[HtmlElement], min_chars: int, max_chars: int = 600) -> set[str]:
    out: set[str] = set()
    for node in nodes:
        text = fold_line(node.text_content())
        if min_chars <= len(text) <= max_chars:
            out.add(text)
    return out


class _LinkIndex:
    """Texts of the page's links, to tell a headline link from a paragraph."""

    def __init__(self, links: set[str]) -> None:
        self.by_prefix: dict[str, list[int]] = {}
        self.links = links
        for text in links:
            self.by_prefix.setdefault(text[:_MIN_LINK_CHARS], []).append(len(text))

    def lead_share(self, text: str) -> float:
        """How much of ``text`` the longest link text it starts with makes up (0 when none)."""
        n, best = len(text), 0
        for length in self.by_prefix.get(text[:_MIN_LINK_CHARS], ()):
            if best < length <= n and text[:length] in self.links:
                best = length
        return best / n if n else 0.0


def _row_cells(line: str) -> list[str]:
    cells = (c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip()[1:-1]))
    return [c for c in cells if c]


def _split_layout_tables(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Rows of a layout table (a run of rows with a long running-text cell) become their cells."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        if not _ROW.match(lines[i][0]):
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and _ROW.match(lines[j][0]):
            j += 1
        rows = [_row_cells(text) for text, _ in lines[i:j]]
        if any(len(words(c)) >= LAYOUT_CELL_WORDS and is_sentence(c) for cells in rows for c in cells):
            for cells in rows:
                out += [(c, "p" if len(words(c)) >= LAYOUT_CELL_WORDS else "cell") for c in cells]
        else:
            out += lines[i:j]
        i = j
    return out


def _to_blocks(lines: list[tuple[str, str]], captions: set[str], links: _LinkIndex) -> list[Block]:
    blocks = []
    for line, kind in _split_layout_tables(lines):
        key = fold_line(line)
        if key in captions:
            kind = "caption"
        elif kind == "cell" and len(words(line)) >= base.PROSE_MIN_WORDS and is_sentence(line):
            kind = "p"  # a table cell holding running text: a paragraph of a page laid out as a table
        share = links.lead_share(key) if len(key) >= _MIN_LINK_CHARS else 0.0
        card = kind == "card"
        blocks.append(Block(text=line, kind="item" if card else kind, link_only=share >= 0.6,
                            link_lead=share >= 0.25, head_lead=card))
    captioned = sum(len(words(b.text)) for b in blocks if b.kind == "caption")
    if captioned and captioned >= CAPTION_CONTENT_SHARE * sum(len(words(b.text)) for b in blocks):
        for b in blocks:  # a gallery or slideshow: the captions are the article
            if b.kind == "caption":
                b.kind = "p"
    return blocks


def _kind_key(text: str) -> str:
    """A line's text with no whitespace at all: the text output joins an element's parts with a
    space (an item's heading and its paragraph) where the element's own text has none, or a newline."""
    return "".join(fold_line(text).split())


def _trafilatura_lines(body) -> list[tuple[str, str]]:  # noqa: ANN001 - trafilatura's XML element
    """The text output's lines with their kind; a list item that opens with a heading and goes on
    (a headline and its teaser: a card of a link list) is of kind ``card``."""
    kinds: dict[str, str] = {}
    for element in body.iter(*_KINDS):
        children = list(element)
        card = element.tag == "item" and len(children) > 1 and children[0].tag == "head"
        kinds.setdefault(_kind_key("".join(element.itertext())), "card" if card else _KINDS[element.tag])
    lines = []
    for line in xmltotxt(body, False).split("\n"):
        line = line.strip()
        if line:
            lines.append((line, kinds.get(_kind_key(line), "p")))
    return lines


def fragment_lines(root: HtmlElement) -> list[tuple[str, str]]:
    """An HTML fragment's text as (line, kind): a line per block element, ``<br>`` ends a line."""
    lines: list[tuple[str, str]] = []
    buffer: list[str] = []
    kind_stack: list[str] = ["p"]

    def flush() -> None:
        text = " ".join("".join(buffer).split())
        buffer.clear()
        if text:
            lines.append((text, kind_stack[-1]))

    def walk(el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP:
            buffer.append(el.tail or "")
            return
        block = tag in _FRAGMENT_KINDS or tag in _CONTAINERS
        if block:
            flush()
            kind_stack.append(_FRAGMENT_KINDS.get(tag, kind_stack[-1]))
        elif tag == "br":
            flush()
        buffer.append(el.text or "")
        for child in el:
            walk(child)
        if block:
            flush()
            kind_stack.pop()
        buffer.append(el.tail or "")

    walk(root)
    flush()
    return lines


def _text_only_cleaner() -> None:
    """Give readability-lxml its own HTML cleaner minus the ``javascript`` pass.

    That pass deletes ``on*`` attributes and rewrites every ``javascript:`` link, a quarter of
    readability's time, and changes no text: readability scores and returns text, never reads an
    event attribute or a link target (tests/unit/test_clean_base.py compares the two on pages).
    Everything else (scripts, styles, comments, <link> tags removed) is as readability sets it.
    """
    from readability import readability as module

    cleaner = module.html_cleaner
    if getattr(cleaner, "javascript", False):
        module.html_cleaner = copy(cleaner)
        module.html_cleaner.javascript = False


def readability_lines(content: str) -> list[tuple[str, str]]:
    """readability-lxml's article (its ``summary()``) as lines, or nothing when it finds none.

    It gets a tree of its own, parsed as readability parses (``readability_fast``), not ours:
    trafilatura has pruned ours, and readability edits the tree it is given. No URL: it would
    rewrite every link on the page to an absolute one, a third of its time, for nothing we read.
    """
    _text_only_cleaner()
    try:
        return fragment_lines(fragment_fromstring(readability_summary(content), create_parent="div"))
    except Exception:  # readability gives up on some pages (no body, odd trees): no candidate
        return []


BlockMaker = Callable[[list[tuple[str, str]]], list[Block]]


def first_candidate(tree: HtmlElement, url: str | None) -> tuple[list[Block], BlockMaker]:
    """trafilatura's article from the parsed page as blocks, and the maker of blocks from any other
    extractor's lines on this page (the same captions and links judge both candidates).

    Captions and links are read before trafilatura prunes the tree; so must anything else the caller reads.
    """
    captions = _texts(_caption_nodes(tree), 3)
    links = _LinkIndex(_texts(_LONG_LINKS(tree), _MIN_LINK_CHARS, 300))
    body = article_body(tree, url)

    def to_blocks(lines: list[tuple[str, str]]) -> list[Block]:
        return _to_blocks(lines, captions, links)

    return (to_blocks(_trafilatura_lines(body)) if body is not None else []), to_blocks


def html_blocks(content: str, url: str | None = None) -> HtmlPage | None:
    """The page's metadata and its article text as blocks, or None if there is no article."""
    tree = parse_html(content)
    if tree is None:
        return None
    # Everything we read from the page itself is read before trafilatura prunes the tree.
    meta = read_metadata(tree)
    blocks, to_blocks = first_candidate(tree, url)
    first = base.features(blocks)
    if not first.doubtful:
        return HtmlPage(meta=meta, blocks=blocks, base="trafilatura")
    if len(content) > SECOND_OPINION_MAX_CHARS:
        return HtmlPage(meta=meta, blocks=blocks, base="trafilatura")
    # readability writes a sentence with links in it as a run of pieces: whole again, it reads as prose
    second = base.rejoin(to_blocks(readability_lines(content)))
    if base.prefer_second(first, base.features(second)) or base.runs_together(blocks, second):
        return HtmlPage(meta=meta, blocks=second, base="readability")
    return HtmlPage(meta=meta, blocks=base.agreed_span(blocks, second), base="trafilatura")
