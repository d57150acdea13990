"""HTML pages: trafilatura finds the article, we keep its structure as blocks.

trafilatura's settings were chosen by measurement on the dev benchmark
(bench/extraction.py): ``include_comments=False`` gains precision at no recall
cost, ``fast=True`` (no readability/justext fallback) is ~1.7x faster for the
same score, ``favor_precision`` and ``include_links`` lose recall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from pipeline.clean.blocks import Block, normalise
from pipeline.clean.metadata import PageMeta, read_metadata

TRAFILATURA_OPTIONS = {"fast": True, "include_comments": False, "include_tables": True}
_CAPTION_XPATH = (
    ".//figcaption | .//*[contains(@class, 'caption') or contains(@class, 'credit')]"
    "[not(self::html or self::body or self::article or self::main or self::section)]"
)
# Link texts shorter than this are menu items, not headlines; they never make a block link-only.
_MIN_LINK_CHARS = 12
_LONG_LINKS = XPath(f".//a[string-length(normalize-space(.)) >= {_MIN_LINK_CHARS}]")
_KINDS = {"head": "head", "item": "item", "quote": "quote", "cell": "cell"}


@dataclass
class HtmlPage:
    meta: PageMeta
    blocks: list[Block] = field(default_factory=list)


def _texts(nodes: list[HtmlElement], min_chars: int, max_chars: int = 600) -> set[str]:
    out: set[str] = set()
    for node in nodes:
        text = normalise(node.text_content())
        if min_chars <= len(text) <= max_chars:
            out.add(text)
    return out


class _LinkIndex:
    """Texts of the page's links, to tell a headline link from a paragraph."""

    def __init__(self, links: set[str]) -> None:
        self.links = links
        self.lengths = sorted({len(t) for t in links})

    def lead_share(self, text: str) -> float:
        """How much of ``text`` the longest link text it starts with makes up (0 when none)."""
        if text in self.links:
            return 1.0
        n, best = len(text), 0
        for length in self.lengths:
            if length > n:
                break
            if text[:length] in self.links:
                best = length
        return best / n if n else 0.0


def html_blocks(content: str, url: str | None = None) -> HtmlPage | None:
    """The page's metadata and its article text as blocks, or None if there is no article."""
    tree = load_html(content)
    if tree is None:
        return None
    doc = bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)  # works on its own copy of the tree
    meta = read_metadata(tree)
    if doc is None or doc.body is None:
        return HtmlPage(meta=meta)
    kinds: dict[str, str] = {}
    for element in doc.body.iter(*_KINDS):
        kinds.setdefault(normalise("".join(element.itertext())), _KINDS[element.tag])
    captions = _texts(tree.xpath(_CAPTION_XPATH), 3)
    links = _LinkIndex(_texts(_LONG_LINKS(tree), _MIN_LINK_CHARS, 300))
    blocks = []
    for line in xmltotxt(doc.body, False).split("\n"):
        line = line.strip()
        if not line:
            continue
        key = normalise(line)
        kind = "caption" if key in captions else kinds.get(key, "p")
        share = links.lead_share(key) if len(key) >= _MIN_LINK_CHARS else 0.0
        blocks.append(Block(text=line, kind=kind, link_only=share >= 0.6, link_lead=share >= 0.25))
    return HtmlPage(meta=meta, blocks=blocks)
