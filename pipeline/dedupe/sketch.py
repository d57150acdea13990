"""Word shingles and a bottom-k sketch that estimates containment in both directions.

Why bottom-k and not k-permutation MinHash: a trimmed copy is *contained* in its
original (Jaccard only 0.67), an extended copy *contains* it, and a quoting article
shares a little of it. Telling these apart needs |A∩B|/|A| and |A∩B|/|B|, not the
symmetric Jaccard. With the new article's full shingle set at hand and the stored
article's k smallest shingle hashes, both containments are read off one
intersection (consistent sampling: every shingle of A below the stored threshold
is in B exactly when it is in B's sample). It also costs one sort per article
instead of k hash permutations (see bench/dedupe.py for the datasketch reference).

Shingling runs on the UTF-8 bytes in numpy, no Python string per word: the stage
must keep up with thousands of articles a second. Words are runs of letters and
digits (ASCII and any non-ASCII letter), case folded; punctuation, quotes, dashes
and spacing of any kind separate words, so re-wrapped copies shingle alike. CJK
ideographs and kana are one word each (those scripts have no spaces). Each word's
hash is a polynomial over its bytes (prefix sums, mod 2**64), mixed; a shingle's
hash a polynomial over its words' hashes, mixed again: stable across processes,
because sketches written by one worker are read by the next.
"""

from __future__ import annotations

import base64
import re
import unicodedata

import numpy as np

SHINGLE_WORDS = 4  # 4-word shingles: a 3% word edit touches ~12% of them
SAMPLE_SIZE = 64  # bottom-k: 256 bytes per article, containment std <= 0.0625
ANCHORS_INDEXED = 8  # smallest hashes an original is indexed under
ANCHORS_QUERIED = 24  # smallest hashes a new article looks up (an extended copy shifts ranks)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# CJK scripts have no spaces: each ideograph/kana is a token; other scripts split on non-word chars.
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_CJK_LEAD = re.compile(rb"[\xe3-\xe9]")
_WORD = re.compile(r"[^\W_]+")
_U64 = np.uint64
_M1 = _U64(0xFF51AFD7ED558CCD)
_P = _U64(0x9E3779B97F4A7C15)

# Byte classes. Word bytes: ASCII letters/digits and every non-ASCII byte (letters of other
# scripts), except the punctuation blocks masked out in _word_mask.
_IS_WORD = np.zeros(256, dtype=bool)
_IS_WORD[np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = True
_IS_WORD[0x80:] = True
_powers = np.ones(1, dtype=np.uint64)
_inverse_powers = np.ones(1, dtype=np.uint64)
_P_INVERSE = _U64(pow(int(_P), -1, 1 << 64))


def tokens(text: str) -> list[str]:
    """Words of ``text`` as strings, folded like the shingles (for the story features)."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    return (_TOKEN if _HAS_CJK.search(text) else _WORD).findall(text)


def _power_tables(length: int) -> tuple[np.ndarray, np.ndarray]:
    global _powers, _inverse_powers
    if len(_powers) < length:
        size = max(length, 2 * len(_powers), 1 << 14)
        with np.errstate(over="ignore"):
            _powers = np.concatenate(([_U64(1)], np.cumprod(np.full(size - 1, _P, dtype=np.uint64))))
            _inverse_powers = np.concatenate(([_U64(1)], np.cumprod(np.full(size - 1, _P_INVERSE, dtype=np.uint64))))
    return _powers, _inverse_powers


def _word_mask(raw: bytes, data: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(is a word byte, starts a CJK character or None) for UTF-8 bytes; each check only if needed."""
    word = _IS_WORD[data]
    if b"\xc2" in raw:  # U+00A0-U+00BF (no-break space, guillemets, inverted marks...): C2 A0..BF
        first, second = data[:-1], data[1:]
        latin = np.flatnonzero((first == 0xC2) & (second >= 0xA0) & (second <= 0xBF))
        word[latin] = False
        word[latin + 1] = False
    if b"\xe2\x80" in raw or b"\xe2\x81" in raw or b"\xe3\x80" in raw:
        # U+2000-U+206F general punctuation (dashes, curly quotes, ellipsis), U+3000-U+303F CJK punctuation
        lead, second = data[:-2], data[1:-1]
        punct = np.flatnonzero(
            ((lead == 0xE2) & ((second == 0x80) | (second == 0x81))) | ((lead == 0xE3) & (second == 0x80))
        )
        word[punct] = False
        word[punct + 1] = False
        word[punct + 2] = False
    if _CJK_LEAD.search(raw) is None:
        return word, None
    cjk = np.zeros(len(data), dtype=bool)
    lead = data[:-2]
    # kana and CJK ideographs (U+3040-U+9FFF): E3 81.. to E9
    cjk[:-2] = (lead >= 0xE3) & (lead <= 0xE9) & word[:-2]
    return word, cjk


def shingle_hashes(text: str, size: int = SHINGLE_WORDS) -> tuple[np.ndarray, int]:
    """(sorted unique 32-bit hashes of the ``size``-word shingles, number of words) of ``text``.

    A text shorter than ``size`` words is one shingle.
    """
    raw = text.lower().encode("utf-8")
    data = np.frombuffer(raw, dtype=np.uint8)
    if len(data) == 0:
        return np.empty(0, dtype=np.uint32), 0
    word, cjk = _word_mask(raw, data)
    # word edges: where the mask flips (padded with non-word at both ends)
    padded = np.zeros(len(word) + 2, dtype=np.int8)
    padded[1:-1] = word
    flips = np.diff(padded)
    starts = np.flatnonzero(flips == 1)
    ends = np.flatnonzero(flips == -1)
    if cjk is not None:  # a CJK character is a word of its own: cut before it and after it
        breaks = cjk.copy()
        breaks[3:] |= cjk[:-3]
        breaks[0] = False
        cuts = np.flatnonzero(breaks & word)
        cuts = cuts[word[cuts - 1]]  # only cuts inside a run of word bytes
        starts = np.union1d(starts, cuts)
        ends = np.union1d(ends, cuts)
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint32), 0
    powers, inverse = _power_tables(len(data) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(data) + 1, dtype=np.uint64)
        np.cumsum(data.astype(np.uint64) * inverse[: len(data)], out=prefix[1:])
        hashed = (prefix[ends] - prefix[starts]) * powers[ends - 1]
        hashed += (ends - starts).astype(np.uint64)
        hashed ^= hashed >> _U64(31)
        hashed *= _M1
        hashed ^= hashed >> _U64(29)
        span = min(size, len(hashed))
        count = len(hashed) - span + 1
        # a polynomial of the word hashes (order matters), then one 64-bit finaliser round
        mixed = hashed[:count].copy()
        for offset in range(1, span):
            mixed *= _P
            mixed += hashed[offset : offset + count]
        mixed ^= mixed >> _U64(29)
        mixed *= _M1
        mixed ^= mixed >> _U64(32)
    top = (mixed >> _U64(32)).astype(np.uint32)
    top.sort()
    keep = np.empty(len(top), dtype=bool)
    keep[0] = True
    np.not_equal(top[1:], top[:-1], out=keep[1:])
    return top[keep], len(starts)


def bottom_k(hashes: np.ndarray, k: int = SAMPLE_SIZE) -> np.ndarray:
    """The k smallest of sorted unique hashes (the sample stored for an original)."""
    return hashes[:k]


def encode_sample(sample: np.ndarray) -> str:
    """Sample as base64 text: the store keeps JSON values only."""
    return base64.b64encode(sample.astype("<u4").tobytes()).decode("ascii")


def decode_sample(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32)


def anchor_key(value: int) -> str:
    return f"a:{int(value):08x}"


def containment(new: np.ndarray, stored: np.ndarray, stored_size: int) -> tuple[float, float]:
    """(share of the new article found in the stored one, share of the stored one found in the new).

    ``new`` is the new article's full sorted hash set; ``stored`` the other's bottom-k
    sample of its ``stored_size`` hashes. When the sample is the whole set the answer is exact.
    """
    if len(new) == 0 or len(stored) == 0:
        return 0.0, 0.0
    # both sorted: find each stored hash's place in the new set and count exact hits
    places = np.searchsorted(new, stored)
    places[places == len(new)] = 0
    common = int(np.count_nonzero(new[places] == stored))
    # when the sample is not the whole set, only new hashes up to its threshold can be compared
    whole = stored_size <= len(stored)
    comparable = len(new) if whole else int(np.searchsorted(new, stored[-1], side="right"))
    share_of_new = common / comparable if comparable else 0.0
    share_of_stored = common / len(stored)
    return min(share_of_new, 1.0), share_of_stored
