"""text/plain input: a given title is the title, and a snippet's only paragraph is never lost."""

from __future__ import annotations

from pipeline.extract import Extractor
from schemas import RawPage

P1 = "The minister said on Tuesday that the new budget would raise spending on schools and hospitals."
SNIPPET = "Shares in the carmaker rose sharply after it announced plans to cut costs and close two plants in"


def _text(content: str, title: str | None = None) -> RawPage:
    return RawPage(url="https://wire.example/a", content=content, content_type="text/plain", title=title)


def test_with_a_title_given_the_first_line_of_a_dump_is_not_guessed_to_be_another_title() -> None:
    result = Extractor().extract(_text(f"Budget Plan Sparks Row\n\n{P1}", title="Minister unveils budget"))
    assert result.title == "Minister unveils budget"
    assert result.paragraphs == ["Budget Plan Sparks Row", P1]


def test_without_a_title_the_leading_headline_still_becomes_the_title() -> None:
    result = Extractor().extract(_text(f"Budget Plan Sparks Row\n\n{P1}"))
    assert result.title == "Budget Plan Sparks Row"
    assert result.paragraphs == [P1]


def test_a_snippet_that_ends_mid_sentence_is_text_not_a_headline() -> None:
    result = Extractor().extract(_text(SNIPPET))
    assert result.paragraphs == [SNIPPET]
    result = Extractor().extract(_text(SNIPPET, title="Carmaker to close plants"))
    assert result.paragraphs == [SNIPPET]


def test_a_snippet_whose_only_paragraph_repeats_the_title_keeps_it() -> None:
    title = "Carmaker shares rise sharply as it announces plans to close two plants and cut costs"
    result = Extractor().extract(_text(title, title=title))
    assert result.title == title
    assert result.paragraphs == [title]


def test_hard_wrapped_lines_of_one_paragraph_are_joined_and_paragraphs_stay_apart() -> None:
    content = (
        "The minister said on Tuesday that the new budget would raise\n"
        "spending on schools and hospitals, and that taxes would\n"
        "not rise this year.\n\n"
        "Opposition parties criticised the plan as optimistic.\n"
    )
    result = Extractor().extract(_text(content, title="Budget"))
    assert result.paragraphs == [
        "The minister said on Tuesday that the new budget would raise spending on schools and hospitals,"
        " and that taxes would not rise this year.",
        "Opposition parties criticised the plan as optimistic.",
    ]
