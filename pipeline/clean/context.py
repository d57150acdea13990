"""Context rules: boilerplate recognisable only from its neighbours.

Related-article lists under a "You Might Also Like" label, inline inserts (a
section label line followed by a headline), headlines that follow a photo
caption, runs of link-only headlines, reader-comment threads, lone section labels, lines repeated on
the page, and the second showing of an article the page holds twice.
Sub-headings inside the article stay: a headline-like line followed by prose,
with no label or caption before it, is body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from pipeline.clean.blocks import Block, is_headline, is_label, is_sentence
from pipeline.clean.rules import COMMENT_HEADING, COMMENT_SIGNATURE, RELATED_PREFIX, is_related_label, is_section_word
from pipeline.text import fold_line, words
from schemas.names import Rule

# How many headlines a related list may hold before we stop trusting the label.
MAX_RELATED_ITEMS = 12
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z\u0400-\u042f][\w\u2019'-]{3,})")


def _uses_gaps(blocks: list[Block]) -> bool:
    """Whether blank lines carry information: some blocks have one before them and some don't."""
    gaps = sum(b.gap_before for b in blocks)
    return 0 < gaps < len(blocks) - 1


def _next_kept(blocks: list[Block], start: int) -> int | None:
    for j in range(start, len(blocks)):
        if blocks[j].kept:
            return j
    return None


def _rare_names(text: str) -> set[str]:
    return {m.casefold() for m in _CAPITALISED.findall(text)}


def _mark_runs(blocks: list[Block], test: Callable[[Block], bool], min_run: int, rule: str) -> None:
    """Mark every kept block in a run of at least ``min_run`` consecutive kept blocks passing ``test``."""
    run: list[Block] = []
    for b in [*blocks, None]:
        if b is not None and not b.kept:
            continue
        if b is not None and test(b):
            run.append(b)
            continue
        if len(run) >= min_run:
            for x in run:
                x.rule = rule
        run = []


def _spans(
    blocks: list[Block], test: Callable[[Block], bool], first: Callable[[Block], bool] | None = None
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each maximal run of consecutive blocks passing ``test`` whose first block
    passes ``first`` (by default ``test`` too)."""
    first = first or test
    i = 0
    while i < len(blocks):
        if not first(blocks[i]):
            i += 1
            continue
        j = i + 1
        while j < len(blocks) and test(blocks[j]):
            j += 1
        yield i, j
        i = j


def _all_caps_headline(text: str) -> bool:
    # str.isupper: every cased character is upper case, and there is one (decided in C)
    return len(text) < 200 and text.isupper() and len(words(text)) >= 4 and not is_sentence(text)


def _menu_entry(b: Block) -> bool:
    """A menu item: a few words, no sentence, no number, and no "label: value" pair (a credits or
    specification list: "Art Director: Ann Lee", "list: [")."""
    text = b.text
    return (
        len(text) <= 40
        and len(words(text)) <= 5
        and not is_sentence(text)
        and not any(c.isdigit() for c in text)
        and ": " not in text
    )


def _own_paragraph(blocks: list[Block], i: int, gaps: bool) -> bool:
    """A one-word line that reads as a sub-heading: set apart by blank lines where blank lines mean
    something, else standing between two prose paragraphs."""
    if not 0 < i < len(blocks) - 1:
        return False
    if gaps:
        return blocks[i].gap_before and blocks[i + 1].gap_before
    return all(
        b.kept and is_sentence(b.text) and len(words(b.text)) >= 12 for b in (blocks[i - 1], blocks[i + 1])
    )


# Characters of code, data rows and formulas: lines holding them repeat because the content does.
_CODE_CHARS = frozenset(";[]{}=<>@")


def _repeatable(b: Block) -> bool:
    """A line whose second showing is page furniture (a headline, a label): it starts like a title,
    not mid-sentence (a hard-wrapped line of a repeated passage) and is not code or data."""
    text = b.text.lstrip("\"'\u201c\u2018([-\u2022 ")
    return (
        b.rule != Rule.TITLE
        and len(words(b.text)) <= 25
        and not is_sentence(b.text)
        and text[:1].isupper()
        and not _CODE_CHARS.intersection(b.text)
    )


def _mark_related_list(blocks: list[Block], label: int, gaps: bool) -> None:
    """The label and the headlines under it; then a teaser paragraph if it is about those headlines."""
    blocks[label].rule = Rule.RELATED
    consumed: list[int] = []
    j = label + 1
    while j < len(blocks) and len(consumed) < MAX_RELATED_ITEMS:
        b = blocks[j]
        if not b.kept:
            if b.rule == Rule.DUPLICATE and is_headline(b.text, 30):  # the insert's headline, shown twice
                b.rule = Rule.RELATED
                consumed.append(j)
            j += 1
            continue
        if consumed and gaps and b.gap_before:
            break
        if consumed and b.kind == "head" and not b.link_only:
            break
        if b.link_only or is_headline(b.text, 30) or (b.kind == "item" and len(words(b.text)) <= 40):
            b.rule = Rule.RELATED
            consumed.append(j)
            j += 1
            continue
        break
    if consumed:
        _mark_teaser(blocks, j, consumed)


def _mark_teaser(blocks: list[Block], j: int, headlines: list[int]) -> None:
    """A short paragraph right after an insert's headline that shares names only with that headline."""
    k = _next_kept(blocks, j)
    if k is None or len(words(blocks[k].text)) > 60:
        return
    names = _rare_names(blocks[k].text) & set().union(*(_rare_names(blocks[h].text) for h in headlines))
    if not names:
        return
    rest = " ".join(b.text for i, b in enumerate(blocks) if b.kept and i != k).casefold()
    if any(name not in rest for name in names):
        blocks[k].rule = Rule.RELATED


# Prose words an article has before a comment thread may start (a signature above them is the
# article's own byline), and the signatures a thread needs.
THREAD_MIN_ARTICLE_WORDS = 50
THREAD_MIN_SIGNATURES = 2
COMMENT_HEADING_MAX_CHARS = 100


def _mark_comment_thread(blocks: list[Block]) -> None:
    """Cut a reader-comment thread after the article: from its heading ("Comments (7)", "Leave a
    Reply") or from the first of two or more signature lines ("Posted by: Name at 9:49pm"), to the end.

    Only after the article's running text: a comment link or a signature above it (a byline) is
    part of the article's head. One signature alone is the article's own byline.
    """
    prose = 0
    signatures: list[int] = []
    start = None
    for i, b in enumerate(blocks):
        text = b.text.strip()
        n = len(words(text))
        # headings and signatures count even when a block rule has cut them (as a prompt, a dateline)
        if prose >= THREAD_MIN_ARTICLE_WORDS and len(text) <= COMMENT_HEADING_MAX_CHARS and COMMENT_HEADING.match(text):
            start = i
            break
        if n <= 25 and COMMENT_SIGNATURE.match(text):
            if prose >= THREAD_MIN_ARTICLE_WORDS:
                signatures.append(i)
                if len(signatures) >= THREAD_MIN_SIGNATURES:
                    start = signatures[0]
                    break
        elif b.kept and n >= 8 and is_sentence(text):
            prose += n
    if start is not None:
        for b in blocks[start:]:
            if b.kept:
                b.rule = Rule.COMMENTS


# Paragraphs this long shown again, in the same order, are the page holding its article twice (a
# print or mobile copy, a teaser repeating the lead), not the article repeating itself.
REPEATED_PASSAGE_WORDS = 12


def _mark_repeated_passages(blocks: list[Block]) -> None:
    """Cut the second showing of a passage: two or more long paragraphs kept earlier in that order.

    One paragraph shown again alone (a pull quote, a refrain) stays; so does a paragraph repeated
    back to back, which is the text's own doing.
    """
    long = [b for b in blocks if b.kept and b.kind != "item" and len(words(b.text)) >= REPEATED_PASSAGE_WORDS]
    keys = [fold_line(b.text) for b in long]
    first_at: dict[str, int] = {}
    for j, key in enumerate(keys):
        first_at.setdefault(key, j)

    def pair(j: int) -> bool:  # long[j], long[j + 1] repeat an earlier pair, in order
        a, b = keys[j], keys[j + 1]
        return a != b and first_at[a] < j and first_at[b] == first_at[a] + 1

    for j in range(len(long) - 1):
        if pair(j):
            long[j].rule = long[j + 1].rule = Rule.DUPLICATE


# A lead-in needs this many words to be the article's own sentence rather than a label ("Font size:").
LEAD_IN_MIN_WORDS = 3


def _restore_introduced_lists(blocks: list[Block]) -> None:
    """Put back a run of blocks cut as related when the article's own kept line ending in a colon
    introduces it: a reading list, the pieces of an issue, a recipe's items, further resources.

    A related box is introduced by a label (cut with it), not by a line of the article; on the dev
    sets every such run after a kept lead-in of three or more words was article text (dragnet's gold).
    """
    for i, b in enumerate(blocks[:-1]):
        text = b.text.rstrip()
        if not (b.kept and text.endswith(":") and len(words(text)) >= LEAD_IN_MIN_WORDS):
            continue
        if is_related_label(text.rstrip(":")) or is_section_word(text):
            continue
        j = i + 1
        while j < len(blocks) and blocks[j].rule == Rule.RELATED and j - i <= MAX_RELATED_ITEMS * 2:
            if blocks[j].head_lead:
                break  # teaser cards (a headline and its teaser) are another page's, whatever leads in
            blocks[j].rule = None
            j += 1


def _restore_article_lists(blocks: list[Block]) -> None:
    """Put back the link items of a list whose first item the article kept: a list is one thing,
    and one that opens with the article's own line (no label above it) is the article's list
    (its sources, its reading list, the pieces it links to), not a related box."""
    for i, j in _spans(blocks, lambda b: b.kind == "item"):
        if blocks[i].kept:
            for b in blocks[i:j]:
                if b.rule == Rule.RELATED and not b.head_lead:
                    b.rule = None


# A run of this many link blocks, with no label, standing between the article's own paragraphs is
# the article's list (a round-up, a programme, a list of talks), not an insert; shorter runs are
# inserts. Measured on the dev sets (pooled F1 change): 1 +0.0010 but aeb -0.0015, 2 +0.0004,
# 3 and 4 +0.0002 with a page or two worse, 5 +0.0002 with none worse, 8 +0.0001.
INNER_RUN_MIN = 5


def _restore_inner_link_runs(blocks: list[Block]) -> None:
    """Put back a long unlabelled run of link blocks cut as related when running text stands both
    before and after it: a related box comes under a label or after the story, not amid it."""
    prose = [i for i, b in enumerate(blocks) if b.kept and len(words(b.text)) >= 12 and is_sentence(b.text)]
    if not prose:
        return
    # a run of related blocks, empty lines among them
    for i, j in _spans(blocks, lambda b: b.rule in (Rule.RELATED, Rule.EMPTY), first=lambda b: b.rule == Rule.RELATED):
        labelled = is_related_label(blocks[i].text) or (i > 0 and is_related_label(blocks[i - 1].text))
        if (not labelled and j - i >= INNER_RUN_MIN and prose[0] < i and prose[-1] > j
                and not any(b.head_lead for b in blocks[i:j])):
            for b in blocks[i:j]:
                if b.rule == Rule.RELATED:
                    b.rule = None


def apply_context_rules(blocks: list[Block]) -> None:
    """Mark, in place, blocks that are boilerplate because of where they stand."""
    gaps = _uses_gaps(blocks)
    # 0. short non-sentence lines shown twice on the page (a headline above and inside an insert)
    counts = Counter(fold_line(b.text) for b in blocks if _repeatable(b))
    for b in blocks:
        # exactly twice: a list of identical items ("See it now: Amazon" x7) is content, not a repeat
        if b.kept and _repeatable(b) and b.kind != "item" and counts[fold_line(b.text)] == 2:
            b.rule = Rule.DUPLICATE
    # 1. related labels and the headlines under them; "Read more: <headline>" lines
    for i, b in enumerate(blocks):
        if not b.kept:
            continue
        if is_related_label(b.text):
            _mark_related_list(blocks, i, gaps)
        elif len(words(b.text)) <= 30 and RELATED_PREFIX.match(b.text):
            b.rule = Rule.RELATED
    # 2. inline inserts: a section label, then a headline (not a sentence) -> both
    for i, b in enumerate(blocks):
        if b.rule not in (None, Rule.DUPLICATE) or not is_label(b.text):
            continue
        if b.kind == "head" and not is_section_word(b.text):
            continue
        j = _next_kept(blocks, i + 1)
        if j is None or j != i + 1 and blocks[j].kind != "p":
            continue
        nxt = blocks[j]
        if is_headline(nxt.text, 30) and not is_sentence(nxt.text) and len(words(nxt.text)) >= 4:
            b.rule = nxt.rule = Rule.RELATED
            _mark_teaser(blocks, j + 1, [j])
    # 3. a headline right after a photo caption or credit, between paragraphs: an insert's headline
    for i in range(1, len(blocks)):
        b, prev = blocks[i], blocks[i - 1]
        if (
            b.kept
            and prev.rule in (Rule.CREDIT, Rule.CAPTION)
            and b.kind != "head"
            and not (gaps and b.gap_before)
            and is_headline(b.text, 30)
            and not is_sentence(b.text)
            and any(x.kept and is_sentence(x.text) for x in blocks[:i])
        ):
            b.rule = Rule.RELATED
    # 4. link-only headlines: in runs, or next to other removed boilerplate
    _mark_repeated_passages(blocks)
    for i, b in enumerate(blocks):
        if not b.kept or not b.link_only or is_sentence(b.text) or len(words(b.text)) > 30:
            continue
        if b.kind == "p" and is_headline(b.text, 30) and len(words(b.text)) >= 4:
            b.rule = Rule.RELATED  # a paragraph that is nothing but a headline link: an inline insert
            continue
        neighbours = [blocks[k] for k in (i - 1, i + 1) if 0 <= k < len(blocks)]
        if any(x.link_only and not is_sentence(x.text) for x in neighbours) or any(
            x.rule not in (None, Rule.TITLE) for x in neighbours
        ):
            b.rule = Rule.RELATED
    # 4b. runs of list entries that each start with a headline link (a related list without a label)
    _mark_runs(blocks, lambda b: b.link_lead and len(words(b.text)) <= 28, 3, Rule.RELATED)
    _restore_article_lists(blocks)
    _restore_inner_link_runs(blocks)
    # 4c. runs of all-capital headlines (promo teasers)
    _mark_runs(blocks, lambda b: _all_caps_headline(b.text), 2, Rule.RELATED)
    # 4d. navigation menus: long runs of very short non-sentence lines without numbers
    _mark_runs(blocks, _menu_entry, 6, Rule.NAV)
    # 4e. a reader-comment thread after the article
    _mark_comment_thread(blocks)
    # 4f. a list the article itself introduces ("Other works I've reviewed:") is the article's
    _restore_introduced_lists(blocks)
    # 5. lone section labels
    kept = [i for i, b in enumerate(blocks) if b.kept]
    prose = [i for i in kept if is_sentence(blocks[i].text) and len(words(blocks[i].text)) >= 8]
    first_prose, last_prose = (prose[0], prose[-1]) if prose else (len(blocks), -1)
    for i in kept:
        b = blocks[i]
        if not is_label(b.text):
            continue
        n = len(words(b.text))
        at_edge = i < first_prose or i > last_prose
        lone = n == 1 or (at_edge and n <= 2)
        if lone and b.kind != "head" and not _own_paragraph(blocks, i, gaps) or is_section_word(b.text):
            b.rule = Rule.SECTION_LABEL
