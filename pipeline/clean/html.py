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
from trafilatura.xml import xmltotxt

from pipeline.clean.blocks import Block, normalise
from pipeline.clean.metadata import PageMeta, read_metadata
from pipeline.clean.trafilatura_fast import TRAFILATURA_OPTIONS, article_body, parse_html

__all__ = ["TRAFILATURA_OPTIONS", "HtmlPage", "html_blocks"]

_CAPTION_XPATH = XPath(
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


def html_blocks(content: str, url: str | None = None) -> HtmlPage | None:
    """The page's metadata and its article text as blocks, or None if there is no article."""
    tree = parse_html(content)
    if tree is None:
        return None
    # Everything we read from the page itself is read before trafilatura prunes the tree.
    meta = read_metadata(tree)
    captions = _texts(_CAPTION_XPATH(tree), 3)
    links = _LinkIndex(_texts(_LONG_LINKS(tree), _MIN_LINK_CHARS, 300))
    body = article_body(tree, url)
    if body is None:
        return HtmlPage(meta=meta)
    kinds: dict[str, str] = {}
    for element in body.iter(*_KINDS):
        kinds.setdefault(normalise("".join(element.itertext())), _KINDS[element.tag])
    blocks = []
    for line in xmltotxt(body, False).split("\n"):
        line = line.strip()
        if not line:
            continue
        key = normalise(line)
        kind = "caption" if key in captions else kinds.get(key, "p")
        share = links.lead_share(key) if len(key) >= _MIN_LINK_CHARS else 0.0
        blocks.append(Block(text=line, kind=kind, link_only=share >= 0.6, link_lead=share >= 0.25))
    return HtmlPage(meta=meta, blocks=blocks)
