"""The wire cleaner: boilerplate removal on extracted structure, for HTML pages and text dumps.

Order of work on a page's blocks:

1. block rules (``rules``): ads, share widgets, captions and credits, prompts, footers, mastheads,
   menu lines, short layout-table cells (their phrasing in ``phrases.tsv``), and the site furniture
   phrased in ``furniture.tsv``;
2. stray UI strings in another script than the page's (``pipeline.text.dominant_script``);
3. the title (moved to metadata, never left in the body);
4. the site's learnt template lines (``templates``);
5. context rules (``context``): related lists and inserts, reader-comment threads after the article,
   lone labels, repeated lines;
6. hard-wrapped source lines joined into their paragraphs (``join_wrapped``).

Every cut block keeps the name of the rule that cut it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.clean.blocks import Block, is_headline, is_sentence
from pipeline.clean.context import apply_context_rules
from pipeline.clean.rules import block_rule
from pipeline.clean.templates import TemplateMemory
from pipeline.text import dominant_script, fold_line, script_counts, words
from schemas.names import Rule

__all__ = ["Block", "Cleaned", "TemplateMemory", "clean_blocks"]

# A line counts as foreign when this share of its letters is in a script other than the page's,
# that script is rare on the page, and the line is short (UI strings are; quoted verse is not).
FOREIGN_SHARE = 0.8
FOREIGN_PAGE_SHARE = 0.05
FOREIGN_MAX_WORDS = 8
# The page's script is judged on its first characters; enough to know, cheap on long pages.
_SCRIPT_SAMPLE = 4000


@dataclass
class Cleaned:
    title: str | None
    paragraphs: list[str]
    removed: list[tuple[str, str]] = field(default_factory=list)  # (rule, text)
    blocks: list[Block] = field(default_factory=list)  # every block in page order, with its rule


def _is_ui_string(text: str) -> bool:
    """Plain words only: no e-mail, handle, code or markup characters (those are content)."""
    return not any(ch in text for ch in "@#*=/\\<>{}[]_|0123456789")


def _mark_foreign_script(blocks: list[Block]) -> None:
    sample = " ".join(b.text for b in blocks if b.kept)[:_SCRIPT_SAMPLE]
    page_counts = script_counts(sample)
    total = sum(page_counts.values())
    if not total:
        return
    page_script, n = page_counts.most_common(1)[0]
    if n / total < 0.5:
        return
    for b in blocks:
        if not b.kept or (page_script == "LATIN" and b.text.isascii()):
            continue
        if len(words(b.text)) > FOREIGN_MAX_WORDS or not _is_ui_string(b.text):
            continue
        script, line_share = dominant_script(b.text)
        if (
            script is not None
            and script != page_script
            and line_share >= FOREIGN_SHARE
            and page_counts.get(script, 0) / total < FOREIGN_PAGE_SHARE + line_share * len(b.text) / total
        ):
            b.rule = Rule.FOREIGN_SCRIPT


def _similar_title(text: str, title: str) -> bool:
    a, b = fold_line(text).rstrip(".:"), fold_line(title).rstrip(".:")
    if not a or not b:
        return False
    if a == b:
        return True
    if len(a) >= 20 and (a in b or b in a) and min(len(a), len(b)) / max(len(a), len(b)) >= 0.8:
        return True
    wa, wb = set(words(a)), set(words(b))
    return len(wa) >= 4 and len(wa & wb) / max(len(wa), len(wb)) >= 0.85


def _mark_title(blocks: list[Block], title: str | None, guess: bool) -> str | None:
    """Cut blocks that repeat the title; for text dumps without one, the leading headline is the title.

    Never cuts the only text there is: a snippet whose one paragraph repeats or looks like a
    title is still the article's text (a feed item's description often is).
    """
    if title:
        for b in blocks:
            if b.kept and len(words(b.text)) <= 40 and _similar_title(b.text, title):
                b.rule = Rule.TITLE
        if not any(b.kept for b in blocks):
            _restore_last(blocks, Rule.TITLE)
    if not guess or title:
        return title
    kept = [b for b in blocks if b.kept]
    for i, b in enumerate(kept):
        if is_sentence(b.text) and len(words(b.text)) >= 8:
            break  # prose started: no title in this dump
        # a headline heads something: prose must follow it, or it is the text itself
        follows = any(is_sentence(x.text) for x in kept[i + 1 :])
        if follows and is_headline(b.text, 30) and len(words(b.text)) >= 3:
            b.rule = Rule.TITLE
            return b.text
    return title


def _restore_last(blocks: list[Block], rule: str) -> None:
    """Keep the longest block ``rule`` cut (the text the page has, when nothing else is left)."""
    cut = [b for b in blocks if b.rule == rule]
    if cut:
        max(cut, key=lambda b: len(b.text)).rule = None


def _continues(prev: Block, block: Block) -> bool:
    """``block`` carries on the sentence ``prev`` left open: a hard-wrapped source line."""
    return (
        prev.kind == block.kind == "p"
        and not block.gap_before
        and block.text[:1].islower()
        and (prev.text[-1:].isalpha() or prev.text[-1:] in ",-\u2013")
    )


def join_wrapped(blocks: list[Block]) -> list[str]:
    """The kept blocks' texts, with lines that continue the line before them joined to it."""
    out: list[str] = []
    prev: Block | None = None
    for b in blocks:
        if not b.kept:
            prev = None  # never join across a cut
            continue
        if prev is not None and out and _continues(prev, b):
            out[-1] = f"{out[-1]} {b.text}"
        else:
            out.append(b.text)
        prev = b
    return out


def clean_blocks(
    blocks: list[Block],
    *,
    title: str | None = None,
    guess_title: bool = False,
    source: str | None = None,
    templates: TemplateMemory | None = None,
) -> Cleaned:
    """Classify every block as body or boilerplate; return the body, the title and what was cut."""
    for b in blocks:
        b.rule = block_rule(b)
    _mark_foreign_script(blocks)
    title = _mark_title(blocks, title, guess_title)
    if templates is not None:
        templates.mark(source, blocks)
    apply_context_rules(blocks)
    return Cleaned(
        title=title,
        paragraphs=join_wrapped(blocks),
        removed=[(b.rule, b.text) for b in blocks if b.rule and b.rule != Rule.EMPTY],
        blocks=blocks,
    )
