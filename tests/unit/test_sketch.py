"""The shingle sketch: word splitting, hashes stable across versions, containment in both directions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedupe import sketch

TEXT = (
    "The council approved the budget on Tuesday after a long debate. Critics said the plan "
    "cuts too deep into schools, while supporters praised its focus on roads and bridges. "
    "The mayor will sign it next week, officials said, and the new rates apply from July."
)


def test_punctuation_of_any_script_separates_words_like_a_space() -> None:
    plain = sketch.shingle_hashes("a b c d e f")
    for dressed in (
        "a\u00a0b «c» d\u00bbe f",  # no-break space, guillemets (C2 xx)
        "a\u2014b \u201cc\u201d d\u2026e f",  # em dash, curly quotes, ellipsis (E2 80 xx)
        "a\u3001b\u3000c d e f",  # CJK comma and ideographic space (E3 80 xx)
    ):
        hashes, words = sketch.shingle_hashes(dressed)
        assert words == plain[1]
        assert np.array_equal(hashes, plain[0])


# the separators outside ASCII (U+00A0-U+00BF, U+2000-U+207F, U+3000-U+303F) beside characters just
# outside those blocks, letters of other scripts, kana and ideographs (one word each), an emoji
_MIXED = list(
    "ab Z1'-.\u00a0\u00bf\u00c0\u00e9\u2000\u2019\u2014\u207f\u2080\u3000\u3001\u303f"
    "\u3042\u6f22\u9fff\ua000\uac00\U0001f600\u0130"
)
# (not the capital sigma: its lower case depends on its neighbours, whatever the sketch does)
_MARKS = {c for c in _MIXED if "\u00a0" <= c <= "\u00bf" or "\u2000" <= c <= "\u207f" or "\u3000" <= c <= "\u303f"}


@given(st.lists(st.sampled_from(_MIXED), max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_a_mark_outside_ascii_splits_words_as_a_space_does_and_nothing_else_does(text: str) -> None:
    spaced = "".join(" " if c in _MARKS else c for c in text)
    hashes, words = sketch.shingle_hashes(text)
    plain_hashes, plain_words = sketch.shingle_hashes(spaced)
    assert words == plain_words
    assert np.array_equal(hashes, plain_hashes)
    # and words are what a reader sees: runs of letters and digits, a kana or ideograph alone
    pieces = "".join(
        f" {c} " if "\u3040" <= c <= "\u9fff" else c if (c.isascii() and c.isalnum()) or not c.isascii() else " "
        for c in spaced.lower()
    ).split()
    assert words == len(pieces)


def test_hashes_are_stable_values_shared_by_every_process() -> None:
    # sketches written by one worker (or one version) are read by the next: the values must not drift
    hashes, words = sketch.shingle_hashes("Breaking: the quick brown fox jumps")
    assert words == 6
    assert hashes.tolist() == sorted(hashes.tolist())
    assert hashes.tolist() == [1233202601, 1508407967, 4061576307]  # as written before the numpy rework


def _encoded(text: str) -> tuple[str, int]:
    hashes, _ = sketch.shingle_hashes(text)
    return sketch.encode_sample(sketch.bottom_k(hashes)), len(hashes)


@pytest.mark.parametrize("sample_size", [4, sketch.SAMPLE_SIZE])
def test_containment_of_several_candidates_at_once_equals_one_by_one(
    monkeypatch: pytest.MonkeyPatch, sample_size: int
) -> None:
    # a sample smaller than the set exercises the threshold; a whole-set sample the exact path
    monkeypatch.setattr(sketch, "SAMPLE_SIZE", sample_size)
    monkeypatch.setattr(sketch.bottom_k, "__defaults__", (sample_size,))
    words = TEXT.split()
    others = [
        TEXT,
        " ".join(words[: len(words) * 2 // 3]),
        TEXT + " A local paragraph follows here.",
        "unrelated words only here now",
    ]
    new, _ = sketch.shingle_hashes(" ".join(words[5:]))
    samples = [_encoded(text) for text in others]
    batched = sketch.containments(new, [s for s, _ in samples], [n for _, n in samples])
    single = [sketch.containment(new, sketch.decode_sample(s), n) for s, n in samples]
    assert batched == single
    assert batched[0][0] == 1.0 and batched[-1] == (0.0, 0.0)


@given(st.lists(st.integers(0, 2**32 - 1), unique=True, max_size=40))
@settings(max_examples=100, deadline=None)
def test_an_article_is_looked_up_under_the_keys_of_its_smallest_hashes(values: list[int]) -> None:
    hashes = np.array(sorted(values), dtype=np.uint32)
    expected = [sketch.anchor_key(value) for value in hashes[: sketch.ANCHORS_QUERIED]]
    assert sketch.anchor_keys(hashes) == expected
    assert all(len(key) == 10 and key.startswith("a:") for key in expected)  # "a:" and 8 hex digits


_HASH = st.integers(0, 2**32 - 1)  # the whole range: the edges 0 and 2**32-1 are where a search runs off


@given(
    st.lists(_HASH, unique=True, max_size=60),
    st.lists(st.tuples(st.lists(_HASH, unique=True, min_size=1, max_size=12), st.integers(0, 30)), max_size=6),
)
@settings(max_examples=300, deadline=None)
def test_containments_of_any_candidates_equal_containment_one_by_one(
    new_values: list[int], others: list[tuple[list[int], int]]
) -> None:
    # samples of unequal lengths (short articles), samples that are their whole set (extra 0)
    # or a bottom-k of a larger one, hashes above or below every new one, and no new hash at all
    new = np.array(sorted(new_values), dtype=np.uint32)
    samples = [np.array(sorted(values), dtype=np.uint32) for values, _ in others]
    sizes = [len(sample) + extra for sample, (_, extra) in zip(samples, others, strict=True)]
    encoded = [sketch.encode_sample(sample) for sample in samples]
    single = [sketch.containment(new, sample, size) for sample, size in zip(samples, sizes, strict=True)]
    assert sketch.containments(new, encoded, sizes) == single


@pytest.mark.parametrize(
    ("text", "words", "shingles"),
    [
        ("", 0, 0),
        ("   \n\t ", 0, 0),
        ("\u201c\u2014\u2026\u3001", 0, 0),  # punctuation only, outside ASCII
        ("Breaking", 1, 1),  # one word: one shingle
        ("Breaking news", 2, 1),  # fewer words than a shingle: still one
        ("Η κυβέρνηση ανακοίνωσε νέο πρόγραμμα στήριξης σήμερα", 7, 4),  # Greek: spaced words
        ("Правительство объявило новую программу поддержки фермеров", 6, 3),  # Cyrillic
        ("أعلنت الحكومة اليوم برنامجا جديدا لدعم المزارعين", 7, 4),  # Arabic
        ("東京で新しい図書館", 9, 6),  # no spaces: each kana or ideograph a word
    ],
)
def test_bad_thin_and_non_latin_text_is_split_into_words_a_reader_would_count(
    text: str, words: int, shingles: int
) -> None:
    hashes, counted = sketch.shingle_hashes(text)
    assert counted == words
    assert len(hashes) == shingles and hashes.dtype == np.uint32
    assert hashes.tolist() == sorted(set(hashes.tolist()))


def test_upper_and_lower_case_of_any_script_hash_alike() -> None:
    for text in ("Η ΚΥΒΕΡΝΗΣΗ ΑΝΑΚΟΙΝΩΣΕ ΝΕΟ ΠΡΟΓΡΑΜΜΑ", "ПРАВИТЕЛЬСТВО ОБЪЯВИЛО НОВУЮ ПРОГРАММУ", "ÉTÉ À PARIS ÇA VA"):
        upper, lower = sketch.shingle_hashes(text), sketch.shingle_hashes(text.lower())
        assert upper[1] == lower[1] and np.array_equal(upper[0], lower[0])
