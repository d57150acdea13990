"""Blog and news-site furniture (rules as data in pipeline/clean/furniture.tsv): cut when short, prose kept."""

from __future__ import annotations

import pytest

from pipeline.clean.blocks import Block
from pipeline.clean.rules import FURNITURE_FILE, block_rule, is_menu_line, load_furniture


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("« Older post | Main | Newer post »", "nav"),
        ("« Monday links | Main | Weekend reading »", "nav"),
        # the neighbouring posts' full titles make the line long; "| Main |" between them still says what it is
        ("« From a sci-fi reading list to survival tips: highlights from the autumn conference | Main | "
         "UPDATE: the voice project is more than half completed, thanks to you »", "nav"),
        ("Previous post: Ten things about the budget", "nav"),
        ("Back to top", "nav"),
        ("Tagged: economy, budget, taxes", "tags"),
        ("Filed under Politics, Europe", "tags"),
        ("Posted in Uncategorized", "tags"),
        ("This article was printed from example.com", "print"),
        ("Printable version", "print"),
        ("E-mail to a friend", "print"),
        ("Terms & Conditions Privacy Policy © Copyright 2001-2008 Example Media Group", "footer"),
        ("Name (required)", "prompt"),
        ("Mail (will not be published) (required)", "prompt"),
        ("No comments yet.", "prompt"),
        ("Reader views (5)", "prompt"),
        ("About the author", "bio"),
        ("Home · Weather · News · Morning Show · Sports · Contests", "nav"),
        ("| Newsletter | Site Map | Search | Advanced Search |", "nav"),
        ("(12)", "counter"),
        ("3 - 1", "counter"),
        ("£40,000", "counter"),
        ("Quote | Report this post", "prompt"),
        ("Report abuse", "prompt"),
        ("TrackBack URL for this entry:", "prompt"),
        ("Listed below are links to weblogs that reference Ten things about the budget:", "prompt"),
        ("blog comments powered by Disqus", "prompt"),
        ("This entry was posted on Saturday, August 25th, 2012 at 12:23 am and is filed under Budget, Taxes.", "tags"),
    ],
)
def test_furniture_is_cut_under_its_rule(line: str, rule: str) -> None:
    assert block_rule(Block(text=line)) == rule


@pytest.mark.parametrize(
    "line",
    [
        "The next post office to close will be in the village, the company said on Monday.",
        "Officials tagged the birds before releasing them into the wild last spring.",
        "The document was printed from a government computer, investigators said.",
        "He said the most-read newspaper in the region had changed hands twice since 2001.",
        "| Team A | 3 | 1 | 10 |",
        "Paris - London - Berlin - Rome were on the list of cities.",
        "| 2007 | 3 | 1 | 10 |",
        "1965年",
        "___",
        "This entry was posted to the wrong desk, the editor said, and the budget story ran a day late.",
        "Report this to the police, officers urged residents living near the station.",
    ],
)
def test_prose_that_mentions_the_same_words_stays(line: str) -> None:
    assert block_rule(Block(text=line)) is None


@pytest.mark.parametrize("label", ["Today's Most-Read Articles", "Most e-mailed", "Also in the news"])
def test_a_most_read_box_goes_with_its_label(label: str) -> None:
    from pipeline.clean import clean_blocks

    prose = "The council voted on Tuesday to close the old bridge to lorries while engineers inspect it."
    heads = ["Steelers poised to defend the title", "Pitt adds three football recruits"]
    result = clean_blocks([Block(text=prose), Block(text=label), *(Block(text=h) for h in heads)])
    assert result.paragraphs == [prose]


def test_short_cells_of_a_layout_table_are_layout_and_long_ones_stay() -> None:
    assert block_rule(Block(text="Local Sport", kind="cell")) == "layout"
    assert block_rule(Block(text="Local Sport", kind="p")) is None
    assert block_rule(Block(text="The match was abandoned at half time because of fog.", kind="cell")) is None


def test_the_phrase_file_parses_and_every_line_names_a_rule_and_a_bound() -> None:
    entries = load_furniture(FURNITURE_FILE)
    assert entries and all(rule and 0 < bound <= 40 for rule, bound, _ in entries)


def test_a_menu_line_needs_four_short_items_and_no_numbers() -> None:
    assert is_menu_line("Home | World | Sport | Business")
    assert not is_menu_line("Home | World | Sport")
    assert not is_menu_line("2019 | 2020 | 2021 | 2022")


def test_a_line_of_headline_links_or_longer_menu_items_is_a_menu_but_sentences_between_bars_are_not() -> None:
    assert is_menu_line("Top | Back | E-mail to a friend | Printable version")
    assert is_menu_line("Top videos: actor on career | Debaters premiere | Menswear in Milan | New tour dates")
    assert not is_menu_line("He said it was over. | She disagreed. | They left. | Nobody stayed.")
    assert not is_menu_line("The committee that met on Tuesday in the old town hall | Sport | World | Business")
