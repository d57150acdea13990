"""The base stage: a second extractor where trafilatura's candidate is doubtful, layout tables split."""

from __future__ import annotations

import pytest

from bench.base_candidates import UNION_EDGE_BLOCKS, union
from pipeline.clean import base
from pipeline.clean.blocks import Block
from pipeline.clean.html import fragment_lines, html_blocks
from pipeline.extract import Extractor
from schemas import RawPage

SENTENCE = "The council voted on Tuesday to close the old bridge to lorries while engineers inspect its piers."
PARAS = [f"{SENTENCE} Paragraph {i} adds a detail of its own about the works and the detours." for i in range(8)]


def _blocks(texts: list[str], **kw: object) -> list[Block]:
    return [Block(text=t, **kw) for t in texts]


def test_a_candidate_with_little_running_text_is_doubtful_and_one_with_an_article_is_not() -> None:
    assert base.features(_blocks(["Home", "World", "Sport", "A short teaser."])).doubtful
    assert not base.features(_blocks(PARAS)).doubtful


def test_a_candidate_with_a_few_paragraphs_only_is_checked_it_may_be_one_part_of_a_longer_story() -> None:
    assert sum(len(p.split()) for p in PARAS[:5]) < base.DOUBT_PROSE_WORDS
    assert base.features(_blocks(PARAS[:5])).doubtful


def test_a_candidate_made_of_links_or_layout_cells_is_doubtful_however_long() -> None:
    assert base.features(_blocks(PARAS, link_only=True)).doubtful
    assert base.features(_blocks(PARAS[:4]) + _blocks(PARAS, kind="cell")).doubtful


def test_the_second_candidate_wins_only_with_clearly_more_running_text() -> None:
    short = base.features(_blocks(PARAS[:2]))
    assert base.prefer_second(short, base.features(_blocks(PARAS)))
    assert not base.prefer_second(short, base.features(_blocks(PARAS[:2])))
    assert not base.prefer_second(short, base.features(_blocks(PARAS, link_only=True)))
    assert not base.prefer_second(short, base.features([]))


def test_with_about_as_much_prose_the_second_wins_only_where_it_is_cleaner_in_the_way_the_first_is_messy() -> None:
    menu = [f"Section {i}" for i in range(80)]
    teasers = [f"Teaser headline number {i} here" for i in range(30)]
    links = base.features(_blocks(PARAS[:3]) + _blocks(teasers, link_only=True))
    cluttered = base.features(_blocks(PARAS[:3] + menu))
    clean = base.features(_blocks(PARAS[:3]))
    assert base.prefer_second(links, clean)  # a link list around the article: the cleaner cut wins
    assert base.prefer_second(cluttered, clean)  # menus and labels around it: the same
    assert not base.prefer_second(clean, base.features(_blocks(PARAS[:3] + menu[:2])))  # neither messy
    assert not base.prefer_second(cluttered, base.features(_blocks(PARAS[:1])))  # cleaner, but lost the article


TEASERS = [f"Teaser {i}: the mayor opens a new library branch in the north of the city." for i in range(4)]


def test_where_both_extractors_found_the_story_what_only_the_first_has_around_it_is_cut() -> None:
    first = _blocks(["Most read", *TEASERS[:2], *PARAS, *TEASERS[2:], "Advertise with us"])
    assert [b.text for b in base.agreed_span(first, _blocks(PARAS))] == PARAS


def test_blocks_between_the_agreed_ends_stay_whoever_holds_them() -> None:
    first = _blocks([*PARAS[:3], "Background", "A short list item", *PARAS[3:], *TEASERS])
    second = _blocks(PARAS)  # readability skipped the sub-heading and the list item
    assert [b.text for b in base.agreed_span(first, second)] == [b.text for b in first[:-len(TEASERS)]]


def test_the_story_heading_right_above_the_agreed_text_and_embedded_posts_after_it_stay() -> None:
    heading = Block(text="Bridge closed to lorries", kind="head")
    tweet = ["Lorries queue at the bridge this morning", "\u2014 City Council (@citycouncil) April 2, 2013"]
    first = [Block(text="Weather"), heading, *_blocks(PARAS), *_blocks(tweet), Block(text="Comments")]
    kept = [b.text for b in base.agreed_span(first, _blocks(PARAS))]
    assert kept == [heading.text, *PARAS, *tweet]


def test_nothing_is_cut_when_the_extractors_found_different_things_or_the_second_found_nothing() -> None:
    first = _blocks([*TEASERS, *PARAS[:2]])
    elsewhere = _blocks([f"Another story, part {i}, told at length in a box lower down the page." for i in range(5)])
    assert base.agreed_span(first, elsewhere) == first
    assert base.agreed_span(first, []) == first


def test_the_agreed_part_is_never_smaller_in_running_text_than_what_would_be_cut() -> None:
    # the second found a press release quoted below a short story: keeping only that would lose the story
    release = _blocks(PARAS[5:])
    first = _blocks(PARAS[:5]) + release
    assert base.agreed_span(first, release) == first


def test_a_long_teaser_list_after_the_agreed_story_is_cut_however_much_text_its_summaries_hold() -> None:
    summaries = [f"- {t} Councillors will meet again next week to discuss the plans." for t in TEASERS * 3]
    first = _blocks(PARAS[:3]) + [Block(text="More headlines", kind="head")] + _blocks(summaries, kind="item")
    assert base.features(first[3:]).prose_words > base.features(first[:3]).prose_words
    assert [b.text for b in base.agreed_span(first, _blocks(PARAS[:3]))] == PARAS[:3]


def test_a_candidate_with_teasers_among_its_paragraphs_asks_for_a_second_opinion() -> None:
    teasers = _blocks(TEASERS[:2], link_lead=True)
    assert not base.features(_blocks(PARAS)).doubtful
    assert base.features(_blocks(PARAS) + teasers).teaser_share >= base.DOUBT_TEASER_SHARE
    assert base.features(_blocks(PARAS) + teasers).doubtful


def test_fragment_lines_gives_a_line_per_block_and_per_br() -> None:
    from lxml.html import fragment_fromstring

    root = fragment_fromstring(
        "<div><h2>Head</h2><p>One <b>bold</b> word<br>next line</p><ul><li>item</li></ul>tail text</div>"
    )
    assert fragment_lines(root) == [
        ("Head", "head"),
        ("One bold word", "p"),
        ("next line", "p"),
        ("item", "item"),
        ("tail text", "p"),
    ]


def _page(body: str) -> str:
    return f"<html><head><title>Bridge closed</title></head><body>{body}</body></html>"


def test_a_page_laid_out_as_a_table_loses_its_menu_cells_and_keeps_the_article() -> None:
    menu = "<tr><td>Home</td><td>News</td><td>Sport</td><td>Jobs</td></tr>"
    article = "".join(f"<p>{p}</p>" for p in PARAS)
    page = _page(f"<table>{menu}<tr><td>Local news</td><td>{article}</td></tr>{menu}</table>")
    result = Extractor().extract(RawPage(url="https://paper.example/bridge", content=page))
    assert result.body.count("Paragraph") == len(PARAS)
    assert not any(p in ("Home", "News", "Sport", "Jobs") or p.startswith("|") for p in result.paragraphs)


def test_a_data_table_in_an_article_stays_whole_rows() -> None:
    rows = "".join(f"<tr><td>Team {i}</td><td>{i}</td><td>{10 - i}</td></tr>" for i in range(4))
    page = _page("<article>" + "".join(f"<p>{p}</p>" for p in PARAS) + f"<table>{rows}</table></article>")
    html = html_blocks(page)
    assert html is not None
    assert any(b.text.startswith("| Team 1 |") for b in html.blocks)


def test_when_trafilatura_takes_a_teaser_box_readability_finds_the_article(monkeypatch) -> None:  # noqa: ANN001
    from lxml.etree import Element, SubElement

    from pipeline.clean import html as html_module

    def teaser_box(tree, url):  # noqa: ANN001, ANN202 - stands in for trafilatura picking the wrong box
        body = Element("body")
        for text in ("Subscribe today and save.", "Best deals of the week."):
            SubElement(body, "p").text = text
        return body

    monkeypatch.setattr(html_module, "article_body", teaser_box)
    page = _page("<article>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</article>")
    html = html_blocks(page)
    assert html is not None and html.base == "readability"
    assert [b.text for b in html.blocks if "Paragraph" in b.text] == PARAS


def test_a_sound_trafilatura_candidate_is_kept_without_asking_readability(monkeypatch) -> None:  # noqa: ANN001
    from pipeline.clean import html as html_module

    monkeypatch.setattr(html_module, "readability_lines", lambda content: 1 / 0)
    html = html_blocks(_page("<article>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</article>"))
    assert html is not None and html.base == "trafilatura"


def test_a_gallery_whose_text_sits_in_captions_keeps_its_captions() -> None:
    slides = "".join(f"<div class='slide'><div class='caption'><p>{p}</p></div></div>" for p in PARAS[:4])
    page = _page(f"<article><h1>Twelve gifts</h1>{slides}</article>")
    result = Extractor().extract(RawPage(url="https://blog.example/gifts", content=page))
    assert result.body.count("Paragraph") == 4


def test_a_caption_beside_an_article_is_still_cut() -> None:
    figure = "<figure><img src='a.jpg'><figcaption>Engineers at the bridge on Monday</figcaption></figure>"
    page = _page("<article>" + "".join(f"<p>{p}</p>" for p in PARAS) + figure + "</article>")
    result = Extractor().extract(RawPage(url="https://paper.example/bridge", content=page))
    assert "Engineers at the bridge on Monday" not in result.paragraphs


def test_a_long_caption_is_a_description_and_stays_but_a_short_one_goes() -> None:
    from pipeline.clean.rules import block_rule

    long = "Two former officials join the host to talk about schools, unions and what reform has meant for pupils."
    assert block_rule(Block(text=long, kind="caption")) is None
    assert block_rule(Block(text="The bridge at dawn", kind="caption")) == "caption"


def test_readability_without_its_javascript_pass_gives_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The base stage drops readability-lxml's javascript cleaning (time only): no text may change."""
    from copy import copy
    from pathlib import Path

    from readability import readability as module

    from pipeline.clean import html
    from pipeline.clean.html import readability_lines

    pages = sorted((Path(__file__).parents[1] / "fixtures" / "wire" / "pages").glob("*.html"))
    js_link = (
        "<html><body><div><p onclick=\"go()\">The council voted to close the old bridge, "
        "<a href=\"javascript:void(0)\">officials said</a>, while engineers inspect its piers.</p>"
        + "".join(f"<p>{p}</p>" for p in PARAS) + "</div></body></html>"
    )
    contents = [p.read_text(encoding="utf-8") for p in pages] + [js_link]
    ours = [readability_lines(c) for c in contents]
    assert module.html_cleaner.javascript is False
    theirs_cleaner = copy(module.html_cleaner)
    theirs_cleaner.javascript = True
    monkeypatch.setattr(module, "html_cleaner", theirs_cleaner)
    monkeypatch.setattr(html, "_text_only_cleaner", lambda: None)  # readability exactly as shipped
    theirs = [readability_lines(c) for c in contents]
    assert module.html_cleaner.javascript is True
    assert any(ours) and ours == theirs


# --- the union (bench/base_candidates.py, measured, not in the pipeline): the second candidate's
# running text that the first lacks, inside their article

SECTION = [f"A middle section the first extractor skipped, part {i}, tells how the detour works for buses."
           for i in range(2)]


def test_a_middle_section_only_the_second_candidate_holds_is_put_back_in_its_place() -> None:
    first = _blocks([*PARAS[:4], *PARAS[4:]])
    second = _blocks([*PARAS[:4], *SECTION, *PARAS[4:]])
    assert [b.text for b in union(first, second)] == [*PARAS[:4], *SECTION, *PARAS[4:]]


def test_blocks_the_first_has_are_never_added_twice_and_its_own_blocks_all_stay() -> None:
    first = _blocks([*PARAS, "Background", "A short list item"])
    assert union(first, _blocks(PARAS)) == first


def test_only_running_text_is_added_not_links_teasers_labels_or_short_lines() -> None:
    teaser = Block(text=TEASERS[0], link_lead=True)
    link = Block(text=TEASERS[1], link_only=True)
    extras = [teaser, link, Block(text="Share this"), Block(text="Photo: City Council")]
    second = [*_blocks(PARAS[:4]), *extras, *_blocks(PARAS[4:])]
    assert [b.text for b in union(_blocks(PARAS), second)] == PARAS


def test_a_sidebar_the_second_keeps_far_from_the_shared_article_is_not_added() -> None:
    sidebar = [f"Sidebar story {i}: the library opens late on Thursdays for the rest of the summer." for i in range(6)]
    second = _blocks([*PARAS, *sidebar])
    added = [b.text for b in union(_blocks(PARAS), second)][len(PARAS):]
    assert len(added) <= UNION_EDGE_BLOCKS
    assert sidebar[-1] not in added


def test_nothing_is_added_when_the_two_found_different_articles() -> None:
    elsewhere = [f"Another story, part {i}, told at length in a box lower down the page." for i in range(8)]
    first = _blocks(PARAS[:3])
    second = _blocks([PARAS[0], *elsewhere])  # one shared paragraph among many others
    assert union(first, second) == first
    assert union(first, []) == first



def test_a_sentence_readability_split_at_its_links_is_one_block_again() -> None:
    pieces = [
        Block(text="Head over to the council's site to"),
        Block(text="download the full inspection report", link_only=True),
        Block(text="before the meeting on Thursday"),
        Block(text="."),
        Block(text="Engineers will answer questions there."),
    ]
    joined = base.rejoin(pieces)
    assert [b.text for b in joined] == [
        "Head over to the council's site to download the full inspection report before the meeting on Thursday .",
        "Engineers will answer questions there.",
    ]
    assert base.is_prose(joined[0]) and not joined[0].link_only


def test_headings_labels_and_finished_sentences_are_not_joined_to_what_follows() -> None:
    blocks = [
        Block(text="Bridge works", kind="head"),
        Block(text="the council says the works will last a month."),
        Block(text="Related:"),
        Block(text="more stories about the bridge"),
        Block(text=SENTENCE),
        Block(text="and a line that starts in lower case."),
    ]
    assert base.rejoin(blocks) == blocks


def test_a_line_opening_with_an_ellipsis_is_its_own_text_not_the_end_of_the_line_before() -> None:
    blocks = [Block(text="Posted by: A Reader at May 9, 2012 7:49 AM"), Block(text="...or you could ask the council.")]
    assert base.rejoin(blocks) == blocks


# A wire story printed in one layout-table cell: headline, dateline and paragraphs in one <td>.
WIRE_CELL_PAGE = _page(
    "<table><tr><td><a href='/'>Home</a></td><td><a href='/news'>News</a></td><td><a href='/print'>Print</a></td></tr>"
    "<tr><td><font><b>Bridge closed to lorries</b></font><br><font><div>"
    "<p><em>Associated Press - January 2, 2008 7:33 AM ET</em></p>"
    + "".join(f"<p>{p}</p>" for p in PARAS[:4])
    + "</div></font></td></tr></table>"
)


def test_a_candidate_that_runs_the_story_into_one_block_gives_way_to_the_same_story_as_paragraphs() -> None:
    wall = _blocks(["Bridge closed to lorries Associated Press - January 2, 2008 7:33 AM ET " + " ".join(PARAS[:4])])
    assert base.runs_together(wall, _blocks(PARAS[:4]))
    # trafilatura reads the cell as one block with the headline and dateline glued on; readability
    # gives the paragraphs, and the cleaner, judging each, keeps the story and cuts the dateline
    html = html_blocks(WIRE_CELL_PAGE)
    assert html is not None and html.base == "readability"
    result = Extractor().extract(RawPage(url="https://paper.example/bridge", content=WIRE_CELL_PAGE))
    assert result.paragraphs == PARAS[:4]


def test_a_long_block_alone_is_no_reason_to_switch() -> None:
    wall = _blocks([" ".join(PARAS[:4])])
    # the second found something else: a box of other stories
    elsewhere = _blocks([f"Another story, part {i}, told at length in a box lower down the page." for i in range(5)])
    assert not base.runs_together(wall, elsewhere)
    # the second holds the same story but lost most of its running text
    assert not base.runs_together(_blocks([" ".join(PARAS)]), _blocks(PARAS[:2]))
    # the second's paragraphs are no shorter than the first's: nothing was run together
    assert not base.runs_together(_blocks(PARAS), _blocks(PARAS[:6]))
    assert not base.runs_together(wall, [])
