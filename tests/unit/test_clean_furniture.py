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
        # the author-and-date line of a post with its categories
        ("Posted by Ann Lee on October 31, 2012 in Dinner, Recipes, Video", "byline"),
        ("Posted by Ann Lee on October 31, 2012 in Dinner, Recipes, Today's Menu, Weekend Baking, Video", "tags"),
        ("Published on 09/08/2012 by Sam Roe in Gaming, Videos, Reviews, Hardware, Consoles", "tags"),
        ("Published: October 30th, 2012 | Tags: Budget, Taxes, Parliament, Elections, Europe", "tags"),
        ("Staff writer | Tags: Budget, Taxes", "tags"),
        # where the story ran in print
        ("A version of this article appeared October 29, 2012, on page B13 in the U.S. edition of The Daily, "
         "with the headline: Displays Give a Lift.", "print"),
        ("This article was originally published on page 28 of The Sunday Paper on December 30, 2007", "print"),
        # a teaser that ends in a link to the whole piece
        ("The monthly is a print magazine curated from the best articles of the forum. Learn more »", "related"),
        ("Twenty-one minutes into the new coach's tenure, a reporter finally ... See more blog entries", "related"),
        ("170,094 Views", "counter"),
        ("E-mail | Print |", "nav"),
        ("Transcript | Download mp4 | Download mp3", "nav"),
        ("12 comments", "prompt"),
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
        "Posted by a friend on Facebook in March, the video was seen in 40 countries.",
        "Published in 1851 by a small press in Leeds, the novel sold under a hundred copies.",
        "The tags on the crates read: fragile, keep dry.",
        "A version of the bill appeared in the Senate last year, but never came to a vote.",
        "Visitors who want to learn more can call the museum or read the full report online.",
        "The video had 170,094 views within a day, the company said.",
        "Print | Radio | Television",
        "Comments closed early | Votes counted late",
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
