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

* **run together**: a candidate whose longest block is far longer than the other's, and holds the
  other's paragraphs, ran the article's paragraphs into one block, often with the headline, the
  dateline and share buttons glued on; the cleaner judges a block whole, so it cannot cut those.

readability-lxml writes a sentence that holds links as a run of pieces (the text before the link,
the link, the rest); ``rejoin`` makes it one block again before any feature is measured, so the
second candidate's running text is counted as running text.

When the first candidate stands, the second still says where the article starts and ends: if
it lies almost whole inside the first, what the first holds beyond their agreed ends (teasers, a
sidebar, a footer block) is cut (``agreed_span``), the literature's finding that extractors agree
on the article and disagree on the junk, used only where both have run.

The thresholds were set on the development halves (bench/extraction.py) and are round
numbers on purpose: they say "little running text", "mostly links", "mostly table".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.clean.blocks import Block, is_sentence
from pipeline.text import word_units, words

# A candidate with fewer prose words than this may have missed the article, or caught only part
# of it (one block of a story split around an insert); many blog posts are this short, so it is
# checked, not replaced. 200 rather than 100: on the dev sets readability-lxml then runs on about
# a third of pages rather than a fifth, for +0.0015 pooled F1 and no set worse (bench/extraction.py).
DOUBT_PROSE_WORDS = 200
# ... or when this share of its words is in link-only blocks or in layout-table rows.
DOUBT_LINK_SHARE = 0.35
DOUBT_TABLE_SHARE = 0.3
# ... or when this share of its words is in teasers (blocks that start with a headline link, or are
# one): the article stands among other stories' teasers, and the second candidate's view of where
# it ends is worth its cost (``agreed_span``). 0.05 asks on about one page in ten more; on the dev
# sets page-signal 0.952 -> 0.956, dragnet +0.001, no set worse (bench/extraction.py).
DOUBT_TEASER_SHARE = 0.05
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
    teaser_share: float = 0.0

    @property
    def doubtful(self) -> bool:
        return (
            self.prose_words < DOUBT_PROSE_WORDS
            or self.link_share >= DOUBT_LINK_SHARE
            or self.table_share >= DOUBT_TABLE_SHARE
            or self.teaser_share >= DOUBT_TEASER_SHARE
        )


def is_prose(block: Block) -> bool:
    return (
        not block.link_only
        and block.kind not in ("cell", "caption")
        and len(words(block.text)) >= PROSE_MIN_WORDS
        and is_sentence(block.text)
    )


def features(blocks: list[Block]) -> Features:
    total = prose = links = table = teasers = 0
    for b in blocks:
        n = len(words(b.text))
        total += n
        if b.link_only:
            links += n
        if b.link_only or b.link_lead:
            teasers += n
        if b.kind == "cell":
            table += n
        elif is_prose(b):
            prose += n
    if not total:
        return Features(0, 0, 0.0, 0.0)
    return Features(total, prose, links / total, table / total, teasers / total)


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


# Agreement between the two candidates, when both are at hand (doubtful pages): the share of the
# second's words that must lie inside the first for the two to have found the same article, and
# the words a block needs to count as evidence of where the article starts or ends.
AGREE_CONTAINED = 0.85
AGREE_BLOCK_WORDS = 5
# Never cut more running text than the agreed part keeps: the second may have found a quoted
# release or a long sidebar inside the first rather than the story. List items do not count here:
# beyond the agreed ends a list is the page's (other stories' teasers with their summaries, a
# credits notice), and a long one would otherwise keep itself. On the dev sets 2 pages change, both
# better (page-signal 0.9629 -> 0.9633, dragnet 0.9301 -> 0.9306, pooled +0.0004, others unchanged).
AGREE_MAX_DROPPED_PROSE = 1.0
# The signature line of an embedded tweet: "— Name (@handle) April 2, 2013".
TWEET_SIGNATURE = re.compile(r"^[\u2014\u2013-]+\s*[^\n]{0,80}\(@\w{1,20}\)\s*\w+\.? \d{1,2}, \d{4}\s*$")


def _joined(blocks: list[Block]) -> str:
    """The blocks' case-folded words, one space apart (what ``_held`` searches in)."""
    return " ".join(token for b in blocks for token in words(b.text.casefold()))


def _held(text: str, hay: str) -> bool:
    """Most of ``text``'s words stand, in order, as a run in ``hay`` (its halves or a middle run)."""
    tokens = words(text.casefold())
    if not tokens:
        return False
    k = max(1, (len(tokens) + 1) // 2)
    return any(" ".join(tokens[i : i + k]) in hay for i in range(0, len(tokens) - k + 1, max(1, k // 2)))


def _contained(first: list[Block], second: list[Block]) -> bool:
    """Whether the second candidate lies almost whole inside the first (the two found the same article)."""
    hay = _joined(first)
    total = len(_joined(second).split())
    inside = sum(len(words(b.text)) for b in second if _held(b.text, hay))
    return total > 0 and inside >= AGREE_CONTAINED * total


# The first candidate ran the article's paragraphs together when its longest block is at least this
# many times the second's longest (the second has the same text as paragraphs), and the second keeps
# at least this share of the first's running text (the glued-on headline and dateline count as prose
# in the first's one block, so the second holds less). On the dev sets (bench/extraction.py) 25 of the
# 463 doubtful pages switch to readability, all but one page-signal's wire stories printed in one
# layout-table cell: page-signal 0.9594 -> 0.9629 (13 pages gain > 0.005, 2 lose: publisher lines
# after the story kept), pooled 0.9400 -> 0.9410, the other sets unchanged, no CPU change (the
# pages are doubtful already). Ratio 1.5 measured the same, 3 half the gain; share 0.7 loses two gains.
RUN_TOGETHER_RATIO = 2
RUN_TOGETHER_MIN_PROSE = 0.5


def runs_together(first: list[Block], second: list[Block]) -> bool:
    """Whether the first candidate holds the second's article run together into a few long blocks.

    Then the second is the better cut of the same text: as paragraphs, the cleaner can judge the
    headline, dateline and share buttons that the first glued to the story, and keep the story.
    """
    longest_first = max((len(words(b.text)) for b in first), default=0)
    longest_second = max((len(words(b.text)) for b in second), default=0)
    if not longest_second or longest_first < RUN_TOGETHER_RATIO * longest_second:
        return False
    f1, f2 = features(first), features(second)
    if f2.link_share >= DOUBT_LINK_SHARE or f2.prose_words < RUN_TOGETHER_MIN_PROSE * f1.prose_words:
        return False
    return _contained(first, second)


def agreed_span(first: list[Block], second: list[Block]) -> list[Block]:
    """The first candidate from the first to the last block the second candidate also holds.

    Two extractors with different methods that find the same article agree on where it starts
    and ends; what only the first holds beyond those ends (teaser lists, sidebars, footers around
    the story) is the first's overreach. Blocks between the ends stay, whoever holds them: the
    second may skip a sub-heading or a list inside the story. Nothing changes unless the second
    candidate lies almost whole inside the first (else they found different things and the choice
    between them is ``prefer_second``'s).
    """
    hay = _joined(second)
    if not hay or not first or not _contained(first, second):
        return first
    agree = [i for i, b in enumerate(first) if word_units(b.text) >= AGREE_BLOCK_WORDS and _held(b.text, hay)]
    if not agree:
        return first
    start, end = agree[0], agree[-1] + 1
    if start > 0 and first[start - 1].kind == "head":
        start -= 1  # the story's own heading, right above it (readability leaves headings out)
    # embedded posts quoted after the agreed text are the story's (readability drops embeds)
    end = max([end] + [i + 1 for i in range(end, len(first)) if TWEET_SIGNATURE.match(first[i].text)])
    dropped = features([b for b in first[:start] + first[end:] if b.kind != "item"]).prose_words  # lists: see above
    if dropped > AGREE_MAX_DROPPED_PROSE * features(first[start:end]).prose_words:
        return first  # the first holds more running text outside the agreed part: no agreement on the article
    return first[start:end]


# A run that opens with the mark closing the sentence (". Happy holidays!"), not an ellipsis.
_CLOSING = re.compile(r"[.,;:!?)](\s|$)")


def rejoin(blocks: list[Block]) -> list[Block]:
    """Lines that carry on the sentence the line before left open, joined into it.

    readability-lxml rewrites a container of text and inline links into a paragraph per text run,
    so one sentence of its article can come out as "Head over to the site to" / "download the
    manifesto." (the link) / "for free." Joined, the sentence is judged as the prose it is.
    """
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == b.kind == "p"
            and not is_sentence(prev.text)
            and (
                _CLOSING.match(b.text)  # the sentence's end, after a link that closed its run
                or ((prev.text[-1:].isalnum() or prev.text[-1:] == ",") and b.text[:1].islower())
            )
        ):
            out[-1] = Block(text=f"{prev.text} {b.text}", kind="p", link_lead=prev.link_lead)
        else:
            out.append(b)
    return out
