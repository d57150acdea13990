"""``wirefeed tail`` prints titles as they are: brackets are text, not Rich markup."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from agents.tail import article_line


def printed(record: dict) -> str:
    out = StringIO()
    Console(file=out, width=200, color_system=None).print(article_line(record), soft_wrap=True)
    return out.getvalue().rstrip("\n")


def test_a_bracketed_word_in_a_title_is_printed() -> None:
    assert printed({"title": "[video] Flood hits town", "source": "Wire"}) == "[video] Flood hits town  — Wire"


def test_a_closing_tag_in_a_title_does_not_crash() -> None:
    assert printed({"title": "Markets [/] rally [bold]", "source": "AP"}) == "Markets [/] rally [bold]  — AP"


def test_title_and_source_are_separated_and_duplicates_named() -> None:
    line = printed({"title": "Storm", "source": "Metro Tribune", "duplicate_of": "abc123"})
    assert line == "Storm  — Metro Tribune  (dup of abc123)"


def test_a_dead_letter_shows_its_reason() -> None:
    assert printed({"reason": "not_json"}) == "not_json"
