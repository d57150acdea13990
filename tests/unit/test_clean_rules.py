"""Boilerplate rules on text dumps: what goes, what stays, and why."""

from __future__ import annotations

import pytest

from pipeline.clean import TemplateMemory, clean_blocks
from pipeline.clean.text import text_blocks
from pipeline.errors import RecordError
from pipeline.extract import Extractor
from schemas import RawPage

P1 = "The minister said on Tuesday that the new budget would raise spending on schools and hospitals."
P2 = "Opposition parties criticised the plan, saying it relied on optimistic forecasts for growth."
P3 = "Parliament is expected to vote on the budget next month after a series of committee hearings."


def clean(text: str, **kwargs: object) -> tuple[list[str], dict[str, str]]:
    result = clean_blocks(text_blocks(text), guess_title=True, **kwargs)  # type: ignore[arg-type]
    return result.paragraphs, {t: r for r, t in result.removed}


@pytest.mark.parametrize(
    ("junk", "rule"),
    [
        ("Advertisement", "ad"),
        ("Story continues below advertisement", "ad"),
        ("Share on Facebook", "share"),
        ("Tweet Share Email", "share"),
        ("© Reuters / Jane Doe", "credit"),
        ("People greet the president - Example News, 1920, 19.06.2024", "credit"),
        ("To join the conversation, log in or register", "prompt"),
        ("Sign up for our weekly newsletter", "prompt"),
        ("To report an error in this article, write to us", "prompt"),
        ("Select the text and press Ctrl + Enter", "prompt"),
        ("Copyright 2024 Example News. All rights reserved.", "footer"),
    ],
)
def test_one_line_boilerplate_between_paragraphs_is_cut_with_its_rule(junk: str, rule: str) -> None:
    body, removed = clean(f"{P1}\n{junk}\n{P2}\n{P3}")
    assert body == [P1, P2, P3]
    assert removed[junk] == rule


@pytest.mark.parametrize("label", ["More stories:", "Canada Headlines", "Top News Headlines"])
def test_a_related_block_and_its_headlines_go_whatever_the_label_says(label: str) -> None:
    text = f"{P1}\n{P2}\n{label}\nFloods force thousands from homes\nCourt blocks mining permit\n{P3}"
    body, removed = clean(text)
    assert "Floods force thousands from homes" not in body
    assert removed[label] == "related"


def test_a_list_the_article_introduces_with_a_colon_stays_a_labelled_teaser_list_goes() -> None:
    from pipeline.clean import Block

    reviews = [f"Book number {i}: a history of the telegraph (review)" for i in range(4)]
    def items() -> list[Block]:
        return [Block(r, kind="item", link_lead=True) for r in reviews]

    lead_in = "Other works I have reviewed:"
    assert clean_blocks([Block(P1), Block(P2), Block(lead_in), *items()]).paragraphs == [P1, P2, lead_in, *reviews]
    assert clean_blocks([Block(P1), Block(P2), Block("Related stories:"), *items()]).paragraphs == [P1, P2]


def test_an_inline_insert_goes_but_a_sub_heading_stays() -> None:
    text = (
        f"{P1}\nEurope\nLeaders Clash Over Migration Pact at Brussels Summit\n\nWhat Comes Next\n\n{P2}\n{P3}"
    )
    body, removed = clean(text)
    assert body == [P1, "What Comes Next", P2, P3]
    assert removed["Leaders Clash Over Migration Pact at Brussels Summit"] == "related"


def test_the_leading_headline_of_a_dump_is_the_title_not_body() -> None:
    result = clean_blocks(text_blocks(f"Budget Plan Sparks Row\n\n{P1}\n{P2}"), guess_title=True)
    assert result.title == "Budget Plan Sparks Row"
    assert result.paragraphs == [P1, P2]


@pytest.mark.parametrize("ui", ["Заголовок открываемого материала", "Διαβάστε επίσης", "اقرأ أيضا"])
def test_a_stray_ui_string_in_another_script_is_cut(ui: str) -> None:
    body, removed = clean(f"{P1}\n{P2}\n{ui}\n{P3}")
    assert body == [P1, P2, P3]
    assert removed[ui] == "foreign_script"


def test_a_quote_in_another_script_inside_prose_stays() -> None:
    mixed = "The banner read «Добро пожаловать» in large letters across the square, witnesses said."
    body, _ = clean(f"{P1}\n{mixed}\n{P2}")
    assert mixed in body


def test_a_site_template_line_is_learnt_after_a_few_pages_of_that_source_only() -> None:
    memory = TemplateMemory(min_pages=3)
    promo = "Example Plus: every story, no limits"
    stories = [
        [
            f"Story {n} opens with a long sentence about the {n}th council meeting and its decisions today.",
            "Background",
            f"Story {n} then explains the votes, the budget and the plans for the {n}th year ahead.",
            promo,
        ]
        for n in range(1, 6)
    ]
    kept = []
    for lines in stories:
        body, removed = clean("\n\n".join(lines), source="example", templates=memory)
        kept.append(promo in body)
        assert "Background" in body  # a common sub-heading, set apart between paragraphs, is body
    assert kept == [True, True, True, False, False]
    other, _ = clean("\n".join(stories[0]), source="another-site", templates=memory)
    assert promo in other


def test_template_memory_stays_bounded() -> None:
    memory = TemplateMemory(max_sources=3, max_lines_per_source=5)
    for n in range(10):
        clean("\n".join(f"line {n} {k} {'x' * k}" for k in range(20)), source=f"s{n}", templates=memory)
    assert len(memory._sources) == 3
    assert all(len(m.lines) <= 5 for m in memory._sources.values())


@pytest.mark.parametrize(
    "content",
    ["Advertisement\nShare\nLog in or register", "   \n\n  ", "©"],
)
def test_a_text_page_with_nothing_but_boilerplate_is_a_no_content_error(content: str) -> None:
    with pytest.raises(RecordError) as err:
        Extractor().extract(RawPage(url="https://x.example/a", content=content, content_type="text/plain"))
    assert err.value.reason == "no_content"


def test_repeated_code_rows_and_wrapped_lines_are_content_but_a_repeated_headline_is_not() -> None:
    from pipeline.clean import Block

    sql = "SELECT n FROM unnest(array[2, 3, 5]) AS n;"
    wrapped = "quis nostrud exercitation ullamco laboris nisi ut aliquip ex"
    head = "Markets Rally As Rates Hold"
    blocks = [Block(text=t) for t in (P1, sql, wrapped, head, P2, sql, wrapped, head, P3)]
    rules = [(b.text, b.rule) for b in clean_blocks(blocks).blocks]
    assert rules.count((sql, None)) == 2 and rules.count((wrapped, None)) == 2
    assert rules.count((head, "duplicate")) == 2


def test_an_article_shown_twice_on_the_page_keeps_one_copy_but_a_lone_repeated_paragraph_stays() -> None:
    from pipeline.clean import Block

    copy = [Block(text=t) for t in (P1, P2, P3, P1, P2)]
    assert [b.rule for b in clean_blocks(copy).blocks] == [None, None, None, "duplicate", "duplicate"]
    refrain = [Block(text=t) for t in (P1, P2, P1, P3, P1)]
    assert all(b.rule is None for b in clean_blocks(refrain).blocks)


def test_a_run_of_menu_items_goes_but_a_credits_list_of_label_value_pairs_stays() -> None:
    from pipeline.clean.blocks import Block

    menu = ["Home", "News", "Sport", "Weather", "Travel", "Culture"]
    credits = ["Design Director: Ann Lee", "Director of Photography: Kim Roe", "Art Director: Sam Poe",
               "Deputy Photo Editor: Jo Doe", "Photographer: Max Moe", "Stylist: Lu Hoe"]
    blocks = [Block(P1), *(Block(m) for m in menu), Block(P2), *(Block(c) for c in credits), Block(P3)]
    kept = clean_blocks(blocks).paragraphs
    assert not set(menu) & set(kept)
    assert all(c in kept for c in credits)


def test_an_also_on_label_takes_its_headlines_with_it() -> None:
    paragraphs, removed = clean(f"{P1}\n\n{P2}\n\nAlso on Example News:\nOil prices climb after outage\n"
                                "Tech giant unveils new chip\n\n" + P3)
    assert "Oil prices climb after outage" not in paragraphs and P3 in paragraphs
    assert removed["Also on Example News:"] == "related"


def test_link_items_of_a_list_the_article_opens_stay_but_a_run_of_link_items_alone_goes() -> None:
    from pipeline.clean.blocks import Block

    def links(*titles: str) -> list[Block]:
        return [Block(f"- {t}", kind="item", link_only=True, link_lead=True) for t in titles]

    own = [Block("- The papers of the issue, in the order they appear", kind="item"),
           *links("Socially mediated publicness", "The imagined audience", "Facework on the web")]
    box = links("Oil prices climb after outage", "Tech giant unveils new chip", "Rates held for a third month")
    blocks = [Block(P1), *own, Block(P2), *box, Block(P3)]
    kept = clean_blocks(blocks).paragraphs
    assert all(b.text in kept for b in own)
    assert not {b.text for b in box} & set(kept)


def test_a_long_unlabelled_run_of_links_amid_the_article_stays_but_a_short_one_goes() -> None:
    from pipeline.clean.blocks import Block

    def links(*titles: str) -> list[Block]:
        return [Block(t, link_only=True, link_lead=True) for t in titles]

    talks = links("Vanessa Lee: How to film in the cold", "Ann Roe: Living with an illness",
                  "Kim Doe: Escaping the north", "Eli Poe: Learning from voices", "Sam Moe: Eye to eye with lions")
    insert = links("Oil prices climb after outage", "Tech giant unveils new chip")
    blocks = [Block(P1), *talks, Block(P2), *insert, Block(P3)]
    kept = clean_blocks(blocks).paragraphs
    assert all(b.text in kept for b in talks)
    assert not {b.text for b in insert} & set(kept)
