"""Blocks: the unit the cleaner classifies (a paragraph, heading, list item, caption, ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text import LIST_MARK, words

# A sentence ends with . ! ? or an ellipsis, possibly inside closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*$")


@dataclass
class Block:
    """One line of extracted text and what the extractor knows about its structure."""

    text: str
    kind: str = "p"  # p, head, item, quote, caption, cell
    link_only: bool = False  # (HTML) the text is (mostly) the text of one link
    link_lead: bool = False  # (HTML) starts with a headline link, e.g. "<a>Headline</a> teaser"
    head_lead: bool = False  # (HTML) a list item that opens with its own heading: a teaser card
    gap_before: bool = False  # (text dumps) a blank line precedes it
    rule: str | None = None  # the rule that removed it, None while kept

    @property
    def kept(self) -> bool:
        return self.rule is None


def is_sentence(text: str) -> bool:
    """Ends like prose (a full stop, question or exclamation mark, possibly quoted)."""
    return bool(_SENTENCE_END.search(text.rstrip()))


def is_headline(text: str, max_words: int = 25) -> bool:
    """Looks like a title: a few words, no full stop at the end, starts with a capital or digit."""
    stripped = LIST_MARK.sub("", text.strip())
    n = len(words(stripped))
    if n < 2 or n > max_words or not stripped:
        return False
    first = stripped.lstrip("\"'\u201c\u2018\u00ab([")[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    return not stripped.rstrip("\"'\u201d\u2019\u00bb").endswith((".", ",", ";"))


def is_label(text: str, max_words: int = 3) -> bool:
    """A section label: one to three capitalised words, no sentence punctuation."""
    stripped = text.strip().rstrip(":")
    tokens = stripped.split()
    if not tokens or len(tokens) > max_words or len(stripped) > 40:
        return False
    if any(ch in stripped for ch in '.,;!?"\u201c\u201d()'):
        return False
    return all(t[:1].isupper() or t in ("&", "and", "of", "the", "-", "\u2013") for t in tokens)
