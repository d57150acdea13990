"""Writing systems: which script a text is mostly written in.

A line whose letters are mostly in another script than the page's is a stray UI
string (a Cyrillic "open the article" label in an English page, a Latin "Share"
button on a Greek one).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

# Scripts that mix inside one language's normal text are grouped.
_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "HANGUL", "FULLWIDTH": "LATIN"}


@lru_cache(maxsize=8192)
def char_script(ch: str) -> str | None:
    """The script of a letter (LATIN, CYRILLIC, GREEK, ARABIC, CJK, ...), None for non-letters."""
    if ch < "\u0080":
        return "LATIN" if ch.isalpha() else None
    if not ch.isalpha():
        return None
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    head = name.split(" ", 1)[0]
    return _GROUPS.get(head, head)


def script_counts(text: str) -> Counter[str]:
    if text.isascii():  # the common case, decided in C
        return Counter({"LATIN": sum(map(str.isalpha, text))})
    counts: Counter[str | None] = Counter(map(char_script, text))  # counted in C, in order of first use
    del counts[None]
    return counts  # type: ignore[return-value]  # None (non-letters) removed above


def dominant_script(text: str) -> tuple[str | None, float]:
    """The most frequent script of the letters in ``text`` and its share of them."""
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return None, 0.0
    script, n = counts.most_common(1)[0]
    return script, n / total
