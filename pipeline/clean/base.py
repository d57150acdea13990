"""The base stage: which extractor's blocks the cleaner starts from.

trafilatura in fast mode is the first candidate (cheap, precise on most news pages). It has no
fallback of its own, and on some pages it picks the wrong part: a navigation list, a sidebar,
a teaser box, a layout table holding the whole page. When its candidate looks doubtful, a
second extractor with another method (readability-lxml: scores containers by the text and
commas of their paragraphs, against the link density of the container) gives a second
candidate, and the one with more running text wins. Each feature is simple enough to explain
on any page:

* **prose words**: words in blocks that read as running text (end like a sentence, at least
  ``PROSE_MIN_WORDS`` words, not a link list, not a table row);
* **link share**: the share of words in blocks that are mostly a link's text;
* **table share**: the share of words in layout-table rows (trafilatura keeps tables, and a
  page laid out as one table comes out as rows of menus, teasers and the article);
* **clutter**: the share of words outside running text; between two candidates with about the
  same article, the one with far less around it is the better cut of the page;
* **page prose**: prose words in the page's own ``<p>`` elements, read before extraction; a
  candidate holding well under half of them has likely kept a side part of the page and missed
  the article's paragraphs (trafilatura in fast mode has no fallback to notice that);

The thresholds were set on the development halves (bench/extraction.py) and are round
numbers on purpose: they say "little running text", "mostly links", "mostly table".
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.html import HtmlElement

from pipeline.clean.blocks import Block, is_sentence, words

# A candidate with fewer prose words than this may have missed the article.
DOUBT_PROSE_WORDS = 100
# ... or when this share of its words is in link-only blocks or in layout-table rows.
DOUBT_LINK_SHARE = 0.35
DOUBT_TABLE_SHARE = 0.3
# ... or when it holds less than this share of the prose in the page's own paragraphs.
DOUBT_PAGE_PROSE_SHARE = 0.5
# ... and then the second candidate must hold this share of the first's prose.
SUPERSET_SHARE = 0.8
# A paragraph of running text.
PROSE_MIN_WORDS = 8
# The second candidate replaces the first when it holds this much more prose, or (when the
# first is mostly table rows or links) about as much prose in clean paragraphs.
REPLACE_RATIO = 1.3
CLEAN_REPLACE_RATIO = 0.7
# A candidate with this share of its words outside running text is mostly clutter.
DOUBT_CLUTTER = 0.6


@dataclass(frozen=True)
class Features:
    words: int
    prose_words: int
    link_share: float
    table_share: float

    @property
    def doubtful(self) -> bool:
        return (
            self.prose_words < DOUBT_PROSE_WORDS
            or self.link_share >= DOUBT_LINK_SHARE
            or self.table_share >= DOUBT_TABLE_SHARE
        )


def missed_page_prose(first: Features, page_prose: int) -> bool:
    """Whether the candidate holds too little of the running text in the page's own paragraphs."""
    return first.prose_words < DOUBT_PAGE_PROSE_SHARE * page_prose


def kept_share(first: list[Block], second: list[Block]) -> float:
    """The share of ``first``'s prose words in paragraphs that ``second`` holds too (word for word).

    A candidate chosen only because the first missed page prose must be the first's article and
    more, not another part of the page (a comment thread, a list of other stories).
    """
    held = " " + " ".join(" ".join(words(b.text)).casefold() for b in second) + " "
    total = inside = 0
    for b in first:
        if is_prose(b):
            n = len(words(b.text))
            total += n
            if " " + " ".join(words(b.text)).casefold() + " " in held:
                inside += n
    return inside / total if total else 1.0


def _key(text: str) -> str:
    return " ".join(words(text)).casefold()


def extend_run(first: list[Block], second: list[Block]) -> list[Block] | None:
    """The first candidate's article as the second holds it, grown by the unbroken prose around it.

    Used when the first candidate missed most of the page's running text: the second candidate's
    blocks from the first to the last paragraph both hold, plus the paragraphs of running text
    that continue it on either side without a break. A comment thread or a column of teasers
    after an article comes with short lines between its paragraphs (names, dates, headlines),
    which end the run. None when the second does not hold the first's article.
    """
    if kept_share(first, second) < SUPERSET_SHARE:
        return None
    held = {_key(b.text) for b in first if is_prose(b)}
    hits = [i for i, b in enumerate(second) if is_prose(b) and _key(b.text) in held]
    if not hits:
        return None
    start, end = hits[0], hits[-1]
    while start > 0 and is_prose(second[start - 1]):
        start -= 1
    while end + 1 < len(second) and is_prose(second[end + 1]):
        end += 1
    return second[start : end + 1]


def page_prose_words(tree: HtmlElement) -> int:
    """Prose words in the page's ``<p>`` elements (running text, as :func:`is_prose` counts it)."""
    total = 0
    for p in tree.iter("p"):
        text = " ".join(p.text_content().split())
        n = len(words(text))
        if n >= PROSE_MIN_WORDS and is_sentence(text):
            total += n
    return total


def is_prose(block: Block) -> bool:
    return (
        not block.link_only
        and block.kind not in ("cell", "caption")
        and len(words(block.text)) >= PROSE_MIN_WORDS
        and is_sentence(block.text)
    )


def features(blocks: list[Block]) -> Features:
    total = prose = links = table = 0
    for b in blocks:
        n = len(words(b.text))
        total += n
        if b.link_only:
            links += n
        if b.kind == "cell":
            table += n
        elif is_prose(b):
            prose += n
    return Features(total, prose, links / total if total else 0.0, table / total if total else 0.0)


def clutter(f: Features) -> float:
    """The share of a candidate's words that are not running text (menus, teasers, labels, rows)."""
    return 1 - f.prose_words / f.words if f.words else 0.0


def prefer_second(first: Features, second: Features) -> bool:
    """Whether the second candidate's blocks should replace the first's.

    With clearly more running text, it wins. With about as much, it wins where the first is messy
    and the second is cleaner in the same respect: fewer layout-table rows, fewer link-only
    blocks, or at most half the first's clutter when the first is mostly clutter.
    """
    if second.prose_words == 0 or second.link_share >= DOUBT_LINK_SHARE:
        return False
    if second.prose_words >= REPLACE_RATIO * max(first.prose_words, 1):
        return True
    cleaner = (
        (first.table_share >= DOUBT_TABLE_SHARE and second.table_share < first.table_share)
        or (first.link_share >= DOUBT_LINK_SHARE and second.link_share < first.link_share)
        or (clutter(first) >= DOUBT_CLUTTER and clutter(second) <= clutter(first) / 2)
    )
    return cleaner and second.prose_words >= CLEAN_REPLACE_RATIO * first.prose_words
