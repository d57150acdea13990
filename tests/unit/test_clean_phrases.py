"""The block rules' phrasing is data (pipeline/clean/phrases.tsv), read by the engine in rules.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.clean import rules
from pipeline.clean.blocks import Block
from pipeline.clean.rules import PHRASES, PHRASES_FILE, block_rule, load_phrases

# Lists whose entries are the alternatives of one regex; the others are plain words or phrases.
REGEX_LISTS = {"share_prefix", "ad", "prompt", "footer", "credit", "tagline", "related_label", "related_prefix",
               "byline_lead", "dateline_lead", "contributors"}


def test_every_list_of_the_file_is_read_by_the_engine() -> None:
    source = Path(rules.__file__).read_text(encoding="utf-8")
    for name in PHRASES:
        assert f'"{name}"' in source, f"{name} is in phrases.tsv but rules.py never reads it"


@pytest.mark.parametrize("name", sorted(REGEX_LISTS))
def test_each_regex_entry_compiles_alone_and_holds_no_top_level_alternation(name: str) -> None:
    for entry in PHRASES[name]:
        re.compile(entry)
        # An entry with its own top-level "|" would change meaning once wrapped (``^(a|b)\b``).
        assert rules.top_level_branches(entry) == [entry], entry


def test_entries_keep_file_order_and_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "phrases.tsv"
    path.write_text("# a comment\n\nad\tadvert\nsocial_word\tshare\nad\tsponsored( content)?\n", encoding="utf-8")
    assert load_phrases(path) == {"ad": ["advert", "sponsored( content)?"], "social_word": ["share"]}


def test_the_default_file_is_the_one_beside_the_engine() -> None:
    assert PHRASES_FILE.parent == Path(rules.__file__).parent
    assert load_phrases() == PHRASES


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Advertisement", "ad"),
        ("Share on Facebook Twitter WhatsApp", "share"),
        ("Sign up for our daily newsletter", "prompt"),
        ("Copyright 2024 Example News. All rights reserved.", "footer"),
        ("Photo: Jane Roe/Example Agency", "credit"),
        ("Reporting by Jane Roe; Editing by John Doe", "byline"),
    ],
)
def test_a_line_of_each_kind_in_the_file_is_still_named(line: str, rule: str) -> None:
    assert block_rule(Block(line, "p")) == rule


def test_words_that_only_sound_like_a_share_bar_are_prose() -> None:
    assert block_rule(Block("Share prices fell on Tuesday after the central bank raised rates.", "p")) is None
