"""Split alternations give the verdicts of the whole pattern, only faster."""

from __future__ import annotations

import re

import pytest

from pipeline.clean import rules
from pipeline.clean.rules import Alternation, top_level_branches

LINES = [
    "Comments",
    "12 comments",
    "Sign up for our morning newsletter and get the news delivered to your inbox",
    "Our newsletter: sign up today",
    "Log in or register to comment",
    "To take part in the discussion, log in",
    "Click here to read more",
    "Follow us on Twitter",
    "Copyright 2024 Example News. All rights reserved.",
    "(c) 2023 Wire Service",
    "Terms of use | Privacy policy",
    "Photo: Reuters/John Doe",
    "The prime minister's photo: a study of power",
    "(AP Photo/Jane Roe)",
    "Reporting by Jane Doe; Editing by John Roe",
    "Staff writers contributed reporting to this report.",
    "The central bank left its main rate unchanged on Thursday, citing slower inflation.",
    "He said readers can sign in, but the comments are moderated by staff at night.",
    "",
    "   ",
    "Ünïcödé ΑΒΓ кириллица 中文",
]
PATTERNS = {
    "footer": rules._FOOTER,
    "prompt": rules._PROMPT,
    "contributors": rules._CONTRIBUTORS,
    "credit": rules._CREDIT,
}


def test_branches_are_the_outermost_alternatives_only() -> None:
    assert top_level_branches(r"^a|b(c|d)|[|(]e|\|f") == ["^a", "b(c|d)", "[|(]e", r"\|f"]
    assert top_level_branches(r"[]|]x|[^]|]y") == ["[]|]x", "[^]|]y"]
    assert top_level_branches("single") == ["single"]


@pytest.mark.parametrize("name", PATTERNS)
def test_split_rule_patterns_give_the_whole_patterns_verdicts(name: str) -> None:
    pattern = PATTERNS[name]
    split = Alternation(pattern)
    assert "|".join(top_level_branches(pattern.pattern)) == pattern.pattern
    for line in LINES:
        assert split.search(line) == bool(pattern.search(line)), line
        assert split.match(line) == bool(pattern.match(line)), line


def test_the_lines_exercise_both_halves_of_the_prompt_pattern() -> None:
    split = Alternation(rules._PROMPT)
    assert split._start is not None and any(split._start.match(line) for line in LINES)
    assert split._anywhere is not None and any(split._anywhere.search(line) for line in LINES)


def test_a_pattern_where_caret_means_line_start_is_not_split() -> None:
    with pytest.raises(ValueError):
        Alternation(re.compile("^a|b", re.MULTILINE))


def test_a_pattern_with_only_anchored_or_only_floating_branches() -> None:
    assert Alternation(re.compile("^ab|^cd")).search("cd!") is True
    assert Alternation(re.compile("^ab|^cd")).search("x cd") is False
    assert Alternation(re.compile("ab|cd")).search("x cd") is True
    assert Alternation(re.compile("ab|cd")).match("x cd") is False
