"""Shared text normalisation and tokenisation for topic and entity matching."""

from __future__ import annotations

import re

# Letters-only runs, digit runs and currency signs. Hyphens and apostrophes split words, so
# "Kim Jong-un" and "Kim Jong Un" give the same tokens. A lone possessive "s" is never a token: the
# leading look-ahead skips a one-letter "s" run inside the regex engine instead of filtering afterwards.
_NOT_LONE_S = r"(?![sS](?![^\W\d_]))"
_WORD = re.compile(_NOT_LONE_S + r"(?:[^\W\d_]+|\d+(?:[.,]\d+)*|[£$€])")
_DOTTED_ACRONYM = re.compile(r"\b((?:[A-Za-z]\.){2,})")


def _undot(match: re.Match[str]) -> str:
    return match.group(1).replace(".", "") + " "


def normalise(text: str) -> str:
    """Typographic quotes to ASCII, and dotted acronyms ("U.S.", "D.P.R.K.") without their dots.

    ``normalise(a + "\\n" + b) == normalise(a) + "\\n" + normalise(b)``, so a title and a body can be
    normalised once and shared by the topic and entity passes.
    """
    # str.replace per character is several times faster than str.translate on non-ASCII text
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return _DOTTED_ACRONYM.sub(_undot, text) if "." in text else text


def word_tokens(text: str) -> list[str]:
    """Case-preserving tokens of ``text`` (already normalised), without possessive "s"."""
    return _WORD.findall(text)


def lower_word_tokens(text: str) -> list[str]:
    """Lower-case tokens of ``text`` (already normalised), without possessive "s"."""
    return list(map(str.lower, _WORD.findall(text)))


def term_key(term: str) -> tuple[str, ...]:
    """The lower-case token tuple a lexicon or gazetteer entry matches."""
    return tuple(lower_word_tokens(normalise(term)))
