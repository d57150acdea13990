"""Site templates learnt from the stream.

A site repeats its own junk (taglines, widget labels, promo lines) on every
page. We count, per source, on how many distinct pages each short line was
seen; a line seen on ``min_pages`` earlier pages of that source is template
boilerplate even when no rule names it. State is bounded (LRU over sources and
over lines per source) and decays: a line not seen for ``window`` pages of its
source starts counting again.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from pipeline.clean.blocks import Block, is_headline, is_label, is_sentence
from pipeline.text import fold_line, words
from schemas.names import Rule

_DIGITS = re.compile(r"\d+")


def fingerprint(text: str) -> str:
    """A line's identity across pages: case, spacing and numbers ignored."""
    return _DIGITS.sub("0", fold_line(text))


def _prose(block: Block) -> bool:
    return block.kept and len(words(block.text)) >= 12 and is_sentence(block.text)


def _subheading(blocks: list[Block], i: int) -> bool:
    """A heading between two prose paragraphs: common sub-headings ("Background") recur, yet are body."""
    b = blocks[i]
    if b.kind == "head":
        return True
    return (
        0 < i < len(blocks) - 1
        and len(words(b.text)) <= 10
        and (is_headline(b.text) or is_label(b.text))
        and _prose(blocks[i - 1])
        and _prose(blocks[i + 1])
    )


@dataclass
class _Seen:
    pages: int
    last_page: int


class _SourceMemory:
    def __init__(self) -> None:
        self.pages = 0
        self.lines: OrderedDict[str, _Seen] = OrderedDict()


class TemplateMemory:
    """Per-source counts of short lines over distinct pages, bounded and decaying."""

    def __init__(
        self,
        min_pages: int = 3,
        max_words: int = 30,
        max_sources: int = 2000,
        max_lines_per_source: int = 4000,
        window: int = 500,
    ) -> None:
        self.min_pages = min_pages
        self.max_words = max_words
        self.max_sources = max_sources
        self.max_lines = max_lines_per_source
        self.window = window
        self._sources: OrderedDict[str, _SourceMemory] = OrderedDict()

    def _memory(self, source: str) -> _SourceMemory:
        memory = self._sources.get(source)
        if memory is None:
            memory = self._sources[source] = _SourceMemory()
            if len(self._sources) > self.max_sources:
                self._sources.popitem(last=False)
        else:
            self._sources.move_to_end(source)
        return memory

    def _eligible(self, text: str) -> bool:
        """Short lines only, and no prose sentence: agencies reuse background paragraphs across
        stories ("The war began in February 2022 ..."), and those are body."""
        n = len(words(text))
        return 0 < n <= self.max_words and (n <= 12 or not is_sentence(text))

    def mark(self, source: str | None, blocks: list[Block]) -> None:
        """Mark kept blocks that are this source's template lines, then learn this page's lines."""
        if not source:
            return
        memory = self._memory(source)
        page_no = memory.pages
        seen_here: set[str] = set()
        for i, b in enumerate(blocks):
            if not self._eligible(b.text):
                continue
            key = fingerprint(b.text)
            seen_here.add(key)
            entry = memory.lines.get(key)
            if (
                b.kept
                and not _subheading(blocks, i)
                and entry is not None
                and entry.pages >= self.min_pages
                and page_no - entry.last_page <= self.window
            ):
                b.rule = Rule.TEMPLATE
        for key in seen_here:
            entry = memory.lines.get(key)
            if entry is None or page_no - entry.last_page > self.window:
                memory.lines[key] = _Seen(pages=1, last_page=page_no)
            else:
                entry.pages += 1
                entry.last_page = page_no
            memory.lines.move_to_end(key)
        while len(memory.lines) > self.max_lines:
            memory.lines.popitem(last=False)
        memory.pages += 1
