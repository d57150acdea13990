"""Text vocabulary of the pipeline: scripts, normalisation and tokens, in one place.

Every stage that looks at words gets them here. The stages need different
things, so there are several named forms, not one tokeniser for all:

======================  ==================================  =====================================
function                used by                             what it is
======================  ==================================  =====================================
``fold_for_hash``       ``ids.content_hash``                NFKC, case folded, punctuation and
                                                            spacing ignored: copies that differ
                                                            in quotes or case hash alike
``fold_line``           the cleaner (``clean/``)            a line as compared with other lines
                                                            (list mark, spacing and case ignored)
``words``               the cleaner                         ``\\w+`` runs of a line (cached)
``match_normalise``     tagging (topics, entities)          quotes to ASCII, dotted acronyms
                                                            undotted, before matching lexicons
``word_tokens`` & co.   tagging                             letter runs, number runs and currency
                                                            signs; hyphens and apostrophes split
``shingle_tokens``      dedupe (stories, bench)             the words the shingler hashes: each
                                                            kana/Han character one word
``word_units``          ``extract`` (prose threshold)       a word count that estimates words in
                                                            scripts written without spaces
``char_script`` & co.   the cleaner (stray UI strings)      which script a letter / text is in
======================  ==================================  =====================================

Script ranges live in one table, ``SCRIPT_RANGES``; the sets of scripts that a
function treats specially are named tuples of its keys. The byte-level shingler
in ``dedupe/sketch.py`` works on UTF-8 bytes for speed; its notion of "a
kana/Han character" is ``CHARACTER_WORD_LEAD_BYTES``, tested against the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

# --- scripts -------------------------------------------------------------------------------------

# Code point ranges (inclusive) of the scripts some function treats specially.
SCRIPT_RANGES: dict[str, tuple[tuple[str, str], ...]] = {
    "KANA": (("\u3040", "\u30ff"),),  # hiragana and katakana
    "HAN": (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff")),  # CJK unified ideographs and extension A
    "HAN_COMPATIBILITY": (("\uf900", "\ufaff"),),  # CJK compatibility ideographs (NFKC maps most to HAN)
    "HANGUL": (("\uac00", "\ud7af"),),  # Hangul syllables
    "THAI": (("\u0e00", "\u0e7f"),),
}
# Scripts whose words ``word_units`` estimates as one per two characters. Korean has spaces, but its
# syllable blocks are dense enough that counting them too keeps short Korean paragraphs as prose;
# Thai has no spaces. (Compatibility ideographs are not counted: behaviour kept as it was.)
WORD_ESTIMATE_SCRIPTS = ("KANA", "HAN", "HANGUL", "THAI")
# Scripts in which each character is a word of its own for shingling (they have no spaces). Thai
# runs stay one word and Hangul words are spaced, so neither is here.
CHARACTER_WORD_SCRIPTS = ("KANA", "HAN", "HAN_COMPATIBILITY")
# UTF-8 lead bytes of U+3000-U+9FFF: the byte-level shingler's (dedupe/sketch.py) test for a
# kana/Han character. It covers the KANA and HAN ranges (and the CJK symbols between them), not
# HAN_COMPATIBILITY (lead byte EF, shared with the fullwidth forms).
CHARACTER_WORD_LEAD_BYTES = range(0xE3, 0xEA)


def char_class(scripts: tuple[str, ...]) -> str:
    """The inside of a regex character class matching any character of ``scripts``."""
    return "".join(f"{low}-{high}" for name in scripts for low, high in SCRIPT_RANGES[name])


# Scripts that mix inside one language's normal text are grouped.
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "HANGUL", "FULLWIDTH": "LATIN"}


@lru_cache(maxsize=8192)
def char_script(ch: str) -> str | None:
    """The script of a letter (LATIN, CYRILLIC, GREEK, ARABIC, CJK, ...), None for non-letters.

    Named by the first word of the letter's Unicode name (so every script is covered without a
    table of all of them); hiragana and katakana count as CJK, fullwidth Latin as LATIN.
    """
    if ch < "\u0080":
        return "LATIN" if ch.isalpha() else None
    if not ch.isalpha():
        return None
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    head = name.split(" ", 1)[0]
    return _SCRIPT_GROUPS.get(head, head)


def script_counts(text: str) -> Counter[str]:
    """Letters of ``text`` per script (non-letters not counted)."""
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


# --- word counts ---------------------------------------------------------------------------------

_ESTIMATED = re.compile(f"[{char_class(WORD_ESTIMATE_SCRIPTS)}]")


def word_units(text: str) -> int:
    """Words in ``text``, estimating them for Chinese, Japanese, Korean and Thai runs.

    Space-separated words plus one per two characters of ``WORD_ESTIMATE_SCRIPTS``.
    """
    return len(text.split()) + len(_ESTIMATED.findall(text)) // 2


# --- hashing -------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def fold_for_hash(text: str) -> str:
    """Text folded for hashing: NFKC, lower case, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


# --- lines (the cleaner) -------------------------------------------------------------------------

_WORD_RUN = re.compile(r"\w+")
# A list item's mark at the start of a line (a dash, bullet or asterisk and a space).
LIST_MARK = re.compile(r"^[-\u2022*\u00b7\u25aa\u25cf]\s+")


@lru_cache(maxsize=16384)
def fold_line(text: str) -> str:
    """Case- and space-insensitive form used to compare lines (a list mark is ignored too)."""
    return _SPACES.sub(" ", LIST_MARK.sub("", text.strip())).casefold()


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD_RUN.findall(text))


def words(text: str) -> tuple[str, ...]:
    """The \\w+ tokens of ``text`` (cached: rules ask for the same lines many times)."""
    return _words(text)


# --- matching (tagging) --------------------------------------------------------------------------

# Letters-only runs, digit runs and currency signs. Hyphens and apostrophes split words, so
# "Kim Jong-un" and "Kim Jong Un" give the same tokens. A lone possessive "s" is never a token: the
# leading look-ahead skips a one-letter "s" run inside the regex engine instead of filtering afterwards.
_NOT_LONE_S = r"(?![sS](?![^\W\d_]))"
_MATCH_WORD = re.compile(_NOT_LONE_S + r"(?:[^\W\d_]+|\d+(?:[.,]\d+)*|[£$€])")
_DOTTED_ACRONYM = re.compile(r"\b((?:[A-Za-z]\.){2,})")


def _undot(match: re.Match[str]) -> str:
    return match.group(1).replace(".", "") + " "


def match_normalise(text: str) -> str:
    """Typographic quotes to ASCII, and dotted acronyms ("U.S.", "D.P.R.K.") without their dots.

    ``match_normalise(a + "\\n" + b) == match_normalise(a) + "\\n" + match_normalise(b)``, so a
    title and a body can be normalised once and shared by the topic and entity passes.
    """
    # str.replace per character is several times faster than str.translate on non-ASCII text
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return _DOTTED_ACRONYM.sub(_undot, text) if "." in text else text


def word_tokens(text: str) -> list[str]:
    """Case-preserving tokens of ``text`` (already ``match_normalise``d), without possessive "s"."""
    return _MATCH_WORD.findall(text)


def lower_word_tokens(text: str) -> list[str]:
    """Lower-case tokens of ``text`` (already ``match_normalise``d), without possessive "s"."""
    return list(map(str.lower, _MATCH_WORD.findall(text)))


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

    The two tokenisations differ only where ``_MATCH_WORD`` joins digit runs ("1,000.5") or makes a
    token of a currency sign, which ``_PIECE`` leaves in a gap; those few places are patched.
    ``lower``: the lower-cased tokens of ``pieces`` if the caller has them (returned as they are when
    nothing needs patching).
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
    return tuple(lower_word_tokens(match_normalise(term)))


# --- shingles (dedupe) ---------------------------------------------------------------------------

_CHARACTER_WORD = char_class(CHARACTER_WORD_SCRIPTS)
# In CHARACTER_WORD_SCRIPTS each character is a token; other scripts split on non-word characters.
_SHINGLE_TOKEN = re.compile(rf"[{_CHARACTER_WORD}]|[^\W_{_CHARACTER_WORD}]+")
_HAS_CHARACTER_WORD = re.compile(rf"[{_CHARACTER_WORD}]")
_ALNUM_RUN = re.compile(r"[^\W_]+")


def shingle_tokens(text: str) -> list[str]:
    """Words of ``text`` as strings, folded like the shingles (NFKC, lower case).

    Runs of letters and digits; each kana/Han character is a word of its own. The string form of
    what ``dedupe.sketch.shingle_hashes`` hashes from the UTF-8 bytes.
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    return (_SHINGLE_TOKEN if _HAS_CHARACTER_WORD.search(text) else _ALNUM_RUN).findall(text)
