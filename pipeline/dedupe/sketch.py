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

import binascii
import re
from itertools import accumulate

import numpy as np

from pipeline.text import CHARACTER_WORD_LEAD_BYTES

SHINGLE_WORDS = 4  # 4-word shingles: a 3% word edit touches ~12% of them
SAMPLE_SIZE = 64  # bottom-k: 256 bytes per article, containment std <= 0.0625
ANCHORS_INDEXED = 8  # smallest hashes an original is indexed under
ANCHORS_QUERIED = 24  # smallest hashes a new article looks up (an extended copy shifts ranks)

# kana and CJK ideographs: the UTF-8 lead bytes of their characters (see pipeline.text)
_CJK_FIRST, _CJK_LAST = CHARACTER_WORD_LEAD_BYTES[0], CHARACTER_WORD_LEAD_BYTES[-1]
# those lead bytes one by one: each is looked for by memchr (C, ~4x a regex search)
_CJK_LEADS = tuple(bytes([code]) for code in range(_CJK_FIRST, _CJK_LAST + 1))
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


def _power_tables(length: int) -> tuple[np.ndarray, np.ndarray]:
    global _powers, _inverse_powers
    if len(_powers) < length:
        size = max(length, 2 * len(_powers), 1 << 14)
        with np.errstate(over="ignore"):
            _powers = np.concatenate(([_U64(1)], np.cumprod(np.full(size - 1, _P, dtype=np.uint64))))
            _inverse_powers = np.concatenate(([_U64(1)], np.cumprod(np.full(size - 1, _P_INVERSE, dtype=np.uint64))))
    return _powers, _inverse_powers


# Punctuation outside ASCII, as whole UTF-8 sequences: U+00A0-U+00BF (no-break space,
# guillemets, inverted marks: C2 A0..BF), U+2000-U+207F general punctuation (dashes, curly
# quotes, ellipsis: E2 80/81 xx) and U+3000-U+303F CJK punctuation (E3 80 xx). They are
# blanked to spaces before the word mask: separators, like ASCII punctuation.
_PUNCT_2 = re.compile(rb"\xc2[\xa0-\xbf]")
# (one pattern per lead byte: a pattern that starts with a literal is searched for fast, 1.6x)
_PUNCT_3 = re.compile(rb"\xe2[\x80\x81][\x80-\xbf]")
_PUNCT_CJK = re.compile(rb"\xe3\x80[\x80-\xbf]")
# byte -> 1 for a word byte, 0 for a separator (bytes.translate runs in C, one pass)
_WORD_TABLE = bytes(_IS_WORD.astype(np.uint8))


def _word_mask(raw: bytes) -> tuple[bytes, np.ndarray, np.ndarray | None]:
    """(the bytes with punctuation blanked, is a word byte padded with a non-word byte at both
    ends, starts a CJK character or None)."""
    if b"\xc2" in raw:
        raw = _PUNCT_2.sub(b"  ", raw)
    if b"\xe2\x80" in raw or b"\xe2\x81" in raw:
        raw = _PUNCT_3.sub(b"   ", raw)
    # (a lone lead byte is found by memchr; a two-byte needle ending in \x80, a byte of every
    # curly quote, is searched for ~10x slower, so the rare lead byte is asked for first)
    if b"\xe3" in raw and b"\xe3\x80" in raw:
        raw = _PUNCT_CJK.sub(b"   ", raw)
    # (the padding is joined as bytes, in C: one numpy array fewer per article)
    padded = np.frombuffer(b"".join((b"\0", raw.translate(_WORD_TABLE), b"\0")), dtype=np.bool_)
    if raw.isascii():
        return raw, padded, None
    for lead in _CJK_LEADS:  # (a loop, not any() over a generator: called per article)
        if lead in raw:
            break
    else:
        return raw, padded, None
    word = padded[1:-1]
    data = np.frombuffer(raw, dtype=np.uint8)
    cjk = np.zeros(len(data), dtype=bool)
    lead = data[:-2]
    # kana and CJK ideographs (U+3040-U+9FFF): E3 81.. to E9
    cjk[:-2] = (lead >= _CJK_FIRST) & (lead <= _CJK_LAST) & word[:-2]
    return raw, padded, cjk


def shingle_hashes(text: str, size: int = SHINGLE_WORDS) -> tuple[np.ndarray, int]:
    """(sorted unique 32-bit hashes of the ``size``-word shingles, number of words) of ``text``.

    A text shorter than ``size`` words is one shingle.
    """
    raw = text.lower().encode("utf-8")
    if not raw:
        return np.empty(0, dtype=np.uint32), 0
    raw, padded, cjk = _word_mask(raw)
    data = np.frombuffer(raw, dtype=np.uint8)
    # word edges: where the mask flips (padded with non-word at both ends); flips alternate
    # start, end, start... so the even ones start words and the odd ones end them
    flips = (padded[1:] != padded[:-1]).nonzero()[0]  # (methods, not np.* wrappers: called per article)
    starts, ends = flips[0::2], flips[1::2]
    if cjk is not None:  # a CJK character is a word of its own: cut before it and after it
        word = padded[1:-1]
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
        prefix = np.empty(len(data) + 1, dtype=np.uint64)
        prefix[0] = 0
        np.multiply(data, inverse[: len(data)], dtype=np.uint64).cumsum(out=prefix[1:])
        # (take and in-place operators: fewer temporary arrays, the same uint64 arithmetic)
        hashed = prefix.take(ends)
        hashed -= prefix.take(starts)
        hashed *= powers.take(ends - 1)
        np.add(hashed, ends - starts, out=hashed, dtype=np.uint64, casting="unsafe")  # lengths are >= 1
        hashed ^= hashed >> _U64(31)
        hashed *= _M1
        hashed ^= hashed >> _U64(29)
        span = min(size, len(hashed))
        count = len(hashed) - span + 1
        # a polynomial of the word hashes (order matters), then one 64-bit finaliser round
        # (Horner: h0*P^3 + h1*P^2 + h2*P + h3; its first product is a new array, no copy)
        mixed = hashed[:count] * _P if span > 1 else hashed
        for offset in range(1, span):
            mixed += hashed[offset : offset + count]
            if offset < span - 1:
                mixed *= _P
        mixed ^= mixed >> _U64(29)
        mixed *= _M1
        # (the finaliser's last step, mixed ^= mixed >> 32, leaves the top 32 bits as they are:
        # they alone are kept, so it is not computed)
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
    return binascii.b2a_base64(sample.astype("<u4").tobytes(), newline=False).decode("ascii")


def decode_sample(text: str) -> np.ndarray:
    return np.frombuffer(binascii.a2b_base64(text), dtype="<u4").astype(np.uint32)


def anchor_key(value: int) -> str:
    return f"a:{int(value):08x}"


def anchor_keys(hashes: np.ndarray) -> list[str]:
    """Store keys of the ``ANCHORS_QUERIED`` smallest hashes (looked up, then indexed)."""
    if len(hashes) == 0:
        return []
    # the same "a:%08x" keys, formatted in C: big-endian bytes as hex, 4 bytes a key
    text = hashes[:ANCHORS_QUERIED].astype(">u4").tobytes().hex(" ", 4)
    return ("a:" + text.replace(" ", " a:")).split(" ")


def containments(new: np.ndarray, samples: list[str], sizes: list[int]) -> list[tuple[float, float]]:
    """``containment`` of ``new`` against several stored articles at once (encoded samples, set sizes).

    Same figures as one ``containment`` call each, in one pass of numpy calls: a new
    article has a handful of candidates, and per-call overhead, not the arithmetic, is
    what a loop of ``containment`` costs.
    """
    if not samples:
        return []
    decoded = list(map(binascii.a2b_base64, samples))  # (base64.b64decode, without its Python wrapper)
    lengths = [len(raw) >> 2 for raw in decoded]
    if len(new) == 0 or not all(lengths):  # (an indexed article always has a sample)
        return [containment(new, decode_sample(sample), size) for sample, size in zip(samples, sizes, strict=True)]
    # Few numpy calls, each on all samples at once; offsets and thresholds' places in Python
    # lists (a new article has a handful of candidates: per-call overhead is the cost here).
    stored = np.frombuffer(b"".join(decoded), dtype="<u4")
    places = new.searchsorted(stored)
    # a stored hash above every new one: point at the last new hash, which is smaller (no hit)
    np.minimum(places, len(new) - 1, out=places)
    ends = list(accumulate(lengths))
    hit = new.take(places) == stored
    if len(set(lengths)) == 1:  # the usual case: every sample full (SAMPLE_SIZE hashes)
        common = hit.reshape(len(lengths), lengths[0]).sum(axis=1).tolist()
    else:
        common = np.add.reduceat(hit, [0, *ends[:-1]], dtype=np.int64).tolist()
    # per sample: the new hashes up to its largest one (its threshold) are the comparable ones
    below = new.searchsorted(stored.take([end - 1 for end in ends]), side="right").tolist()
    out = []
    for length, size, hits, comparable in zip(lengths, sizes, common, below, strict=True):
        if size <= length:  # the sample is the whole set: every new hash is comparable
            comparable = len(new)
        share_of_new = hits / comparable if comparable else 0.0
        out.append((min(share_of_new, 1.0), hits / length))
    return out


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
