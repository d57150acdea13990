"""The one text module: its script table and the named forms the stages use."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.dedupe.sketch import shingle_hashes
from pipeline.text import (
    CHARACTER_WORD_LEAD_BYTES,
    CHARACTER_WORD_SCRIPTS,
    SCRIPT_RANGES,
    char_class,
    dominant_script,
    fold_for_hash,
    fold_line,
    shingle_tokens,
    word_units,
)

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def test_no_module_under_pipeline_spells_out_a_script_range_of_its_own() -> None:
    # one table of script ranges: a literal kana/Han/Hangul/Thai bound elsewhere is a second vocabulary
    bounds = {low for ranges in SCRIPT_RANGES.values() for low, _ in ranges}
    pattern = re.compile("|".join(re.escape(f"\\u{ord(b):04x}") for b in bounds), re.I)
    offenders = [str(p.relative_to(PIPELINE)) for p in PIPELINE.rglob("*.py")
                 if p.name != "text.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_char_class_covers_exactly_the_named_scripts() -> None:
    kana_han = re.compile(f"[{char_class(('KANA', 'HAN'))}]")
    assert kana_han.fullmatch("ひ") and kana_han.fullmatch("カ") and kana_han.fullmatch("漢")
    assert not kana_han.fullmatch("한") and not kana_han.fullmatch("a") and not kana_han.fullmatch("ก")


def test_the_byte_level_shingler_treats_kana_and_han_characters_as_words_like_the_string_tokeniser() -> None:
    for name in ("KANA", "HAN"):
        for low, high in SCRIPT_RANGES[name]:
            for ch in (low, high):
                assert ch.encode("utf-8")[0] in CHARACTER_WORD_LEAD_BYTES, (name, hex(ord(ch)))
    assert set(CHARACTER_WORD_SCRIPTS) >= {"KANA", "HAN"}
    for text in ("先日、不正に改造したiPhoneを販売した", "Police said 東京 was calm", "plain words only here"):
        assert shingle_hashes(text, size=1)[1] == len(shingle_tokens(text))


def test_shingle_tokens_make_each_kana_or_han_character_a_word_and_keep_other_runs_whole() -> None:
    assert shingle_tokens("東京で iPhone 15") == ["東", "京", "で", "iphone", "15"]
    assert shingle_tokens("Don't STOP—now") == ["don", "t", "stop", "now"]
    assert shingle_tokens("한국 경제") == ["한국", "경제"]  # Hangul is spaced: words, not syllables


def test_word_units_estimate_one_word_per_two_unspaced_characters() -> None:
    assert word_units("three plain words") == 3
    assert word_units("先日、不正に改造したiPhoneを販売したとして逮捕された。") >= 6
    assert word_units("ภาษาไทยไม่มีช่องว่าง") >= 5  # Thai has no spaces


def test_fold_for_hash_ignores_quotes_case_and_spacing() -> None:
    assert fold_for_hash("“Rates  ROSE,” he said.") == fold_for_hash('"rates rose" he said')


def test_fold_line_ignores_a_list_mark_case_and_spacing() -> None:
    assert fold_line("• Read   MORE ") == fold_line("read more")


def test_dominant_script_groups_kana_with_han_and_names_other_scripts() -> None:
    assert dominant_script("ひらがなと漢字")[0] == "CJK"
    assert dominant_script("Открыть статью")[0] == "CYRILLIC"
    assert dominant_script("1234 ...") == (None, 0.0)
