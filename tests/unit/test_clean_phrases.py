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
        # registration walls in front of the rest of the story
        ("To read this article in full you must have registered and have a subscription with the site.", "prompt"),
        ("The full article contains 283 words and appears in the agency's newspaper.", "prompt"),
        # calls for readers' tips and photos
        ("If you have any news tips that you would like us to follow up on, contact us at news@example.com",
         "prompt"),
        ("When news happens: send photos, videos & tip-offs to 0424 000 000, or us.", "prompt"),
        ("Redistribution or broadcast is expressly prohibited without the prior written consent of the agency.",
         "footer"),
        ("photo by Ros Lee", "credit"),
        ("Photos (from left to right): Courtesy of the makers", "credit"),
        # a byline or dateline is one whatever its case
        ("By Matthew Dalton", "byline"),
        ("By GRANT PECK, Associated Press Writer", "byline"),
        ("Last updated at 11:25am on 07.01.08", "byline"),
        ("Published: Sunday, December 30, 2007", "byline"),
        # a blog's tagline describing itself
        ("A blog covering security and security technology.", "masthead"),
        ("Gadgetwise is a blog about buying and using tech products.", "masthead"),
    ],
)
def test_a_line_of_each_kind_is_named_walls_credits_and_bylines_whatever_their_case(line: str, rule: str) -> None:
    assert block_rule(Block(line, "p")) == rule


def test_words_that_only_sound_like_a_share_bar_are_prose() -> None:
    assert block_rule(Block("Share prices fell on Tuesday after the central bank raised rates.", "p")) is None


@pytest.mark.parametrize(
    "line",
    [
        "To read the report in full, investigators said, one needs a court order.",
        "If you have a news tip, the editor told the students, check it twice before you print it.",
        "Smoking is prohibited without exception in all public buildings, the law says.",
        "Photos by the two artists hang side by side in the gallery until March, the curators said.",
        "By the end of the week, officials said, most roads had reopened.",
        "From the start, the project was short of money.",
        "A blog post about the merger drew thousands of comments within an hour.",
    ],
)
def test_prose_with_the_same_openings_stays(line: str) -> None:
    assert block_rule(Block(line, "p")) is None
