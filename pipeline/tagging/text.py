"""Shared text normalisation and tokenisation for topic and entity matching."""

from __future__ import annotations

import re

# Letters-only runs, digit runs and currency signs. Hyphens and apostrophes split words, so
# "Kim Jong-un" and "Kim Jong Un" give the same tokens; a lone possessive "s" is dropped.
_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)*|[£$€]")
_DOTTED_ACRONYM = re.compile(r"\b((?:[A-Za-z]\.){2,})")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " "})


def normalise(text: str) -> str:
    """Typographic quotes to ASCII, and dotted acronyms ("U.S.", "D.P.R.K.") without their dots."""
    text = text.translate(_QUOTES)
    return _DOTTED_ACRONYM.sub(lambda m: m.group(1).replace(".", "") + " ", text)


def word_tokens(text: str) -> list[str]:
    """Case-preserving tokens of ``text`` (already normalised), without possessive "s"."""
    return [t for t in _WORD.findall(text) if t not in ("s", "S")]


def term_key(term: str) -> tuple[str, ...]:
    """The lower-case token tuple a lexicon or gazetteer entry matches."""
    return tuple(t.lower() for t in word_tokens(normalise(term)))
