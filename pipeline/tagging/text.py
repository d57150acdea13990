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


# Letter runs and digit runs only, with one capture group so that ``split`` returns the gaps too:
# [gap, token, gap, token, ..., gap]. Entities need the gaps ("Jong-un", "Trump's Tower").
_PIECE = re.compile(_NOT_LONE_S + r"([^\W\d_]+|\d+)")
_NUMBER_OR_MONEY = re.compile(r"\d[.,]\d|[£$€]")
_MONEY = frozenset("£$€")


def split_pieces(text: str) -> list[str]:
    """``[gap, token, gap, ..., token, gap]`` of ``text`` (already normalised): letter and digit runs."""
    return _PIECE.split(text)


def lower_pieces(pieces: list[str]) -> list[str]:
    """The tokens of ``split_pieces`` output, lower-cased."""
    return list(map(str.lower, pieces[1::2]))


def lower_word_tokens_from_pieces(pieces: list[str], text: str, lower: list[str] | None = None) -> list[str]:
    """``lower_word_tokens(text)`` from ``split_pieces(text)``, without a second regex pass.

    The two tokenisations differ only where ``_WORD`` joins digit runs ("1,000.5") or makes a token of a
    currency sign, which ``_PIECE`` leaves in a gap; those few places are patched. ``lower``: the
    lower-cased tokens of ``pieces`` if the caller has them (returned as they are when nothing needs patching).
    """
    if lower is None:
        lower = list(map(str.lower, pieces[1::2]))
    if not _NUMBER_OR_MONEY.search(text):
        return lower
    gaps = pieces[0::2]  # gaps[k] comes before token k; the last one trails
    patched: list[str] = []
    copied = 0  # tokens before this index are in ``patched``
    for k in [k for k, gap in enumerate(gaps) if gap != " " and gap and not gap.isspace() and not gap.isalpha()]:
        gap = gaps[k]
        if gap in (".", ","):
            if 0 < k < len(lower) and lower[k - 1][0].isdecimal() and lower[k][0].isdecimal():
                patched.extend(lower[copied:k])
                patched[-1] += gap + lower[k]  # "1" "," "000" -> "1,000"
                copied = k + 1
        elif not _MONEY.isdisjoint(gap):
            patched.extend(lower[copied:k])
            copied = k
            patched.extend(c for c in gap if c in _MONEY)
    patched.extend(lower[copied:])
    return patched


def term_key(term: str) -> tuple[str, ...]:
    """The lower-case token tuple a lexicon or gazetteer entry matches."""
    return tuple(lower_word_tokens(normalise(term)))
