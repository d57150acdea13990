"""HTML pages: metadata comes out as metadata, the body is the article without its page furniture."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipeline.errors import RecordError
from pipeline.extract import Extractor
from schemas import RawPage

PARAS = [
    "The central bank left its main interest rate unchanged on Thursday, citing a slowdown in inflation.",
    "Economists had widely expected the decision, although some had forecast a small cut this summer.",
    "The governor said the bank would watch wage growth closely before deciding on its next step.",
    "Markets rose modestly after the announcement, with the currency little changed against the dollar.",
]
PAGE = f"""<html lang="en-GB"><head><title>Bank holds rates | Example News</title>
<meta property="og:title" content="Bank holds rates steady as inflation cools">
<meta property="article:published_time" content="2024-06-20T07:30:00Z">
<meta name="author" content="By Jane Doe"><meta property="og:site_name" content="Example News"></head>
<body><nav><a href="/">Home</a><a href="/markets">Markets</a></nav>
<article><h1>Bank holds rates steady as inflation cools</h1>
<div class="share"><a>Share</a><a>Tweet</a><a>Email</a></div>
<figure><img src="a.jpg"><figcaption>The bank's headquarters. Photo: Example / John Roe</figcaption></figure>
<p>{PARAS[0]}</p><p>{PARAS[1]}</p><p>Advertisement</p>
<p>Read also: Five things to know about the housing market</p>
<h2>What comes next</h2><p>{PARAS[2]}</p><p>{PARAS[3]}</p>
<p>You Might Also Like</p><ul><li><a href="/1">Oil prices climb after pipeline outage hits supply</a></li>
<li><a href="/2">Tech giant unveils new chip amid supply worries</a></li></ul>
<p>Sign up for our morning newsletter</p></article>
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def test_html_metadata_is_metadata_and_the_body_is_only_the_article() -> None:
    result = Extractor().extract(RawPage(url="https://news.example/a", content=PAGE))
    assert result.title == "Bank holds rates steady as inflation cools"
    assert result.published_at == datetime.fromisoformat("2024-06-20T07:30:00+00:00")
    assert result.author == "Jane Doe"
    assert result.lang == "en"
    assert result.paragraphs == [PARAS[0], PARAS[1], "What comes next", PARAS[2], PARAS[3]]
    rules = {r.text: r.rule for r in result.removed}
    assert rules["Advertisement"] == "ad"
    assert rules["Sign up for our morning newsletter"] == "prompt"
    assert rules["Read also: Five things to know about the housing market"] == "related"


def test_a_feed_title_wins_over_the_page_title() -> None:
    page = RawPage(url="https://news.example/a", content=PAGE, title="Rates unchanged")
    assert Extractor().extract(page).title == "Rates unchanged"


@pytest.mark.parametrize("content", ["<html><body><nav>Home</nav></body></html>", "\x00\x01garbage", "<p>"])
def test_html_without_an_article_is_a_no_content_error(content: str) -> None:
    with pytest.raises(RecordError) as err:
        Extractor().extract(RawPage(url="https://news.example/a", content=content))
    assert err.value.reason == "no_content"


def test_a_page_of_only_menus_is_not_an_article_but_unspaced_scripts_are_prose() -> None:
    from pipeline.errors import RecordError
    from pipeline.extract import Extractor, word_units
    from schemas import RawPage

    menu = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(30))
    with pytest.raises(RecordError) as info:
        Extractor().extract(RawPage(url="https://x.example/menu", content=f"<html><body><ul>{menu}</ul></body></html>"))
    assert info.value.reason == "no_content"
    assert word_units("先日、不正に改造したiPhoneを販売したとして逮捕された。") >= 6


def test_the_pages_author_and_site_name_reach_the_article() -> None:
    from pipeline.config import Settings
    from pipeline.stages import Pipeline

    pipeline = Pipeline(Settings(), build=())
    article = pipeline.extract(RawPage(url="https://news.example/bank", content=PAGE))
    assert (article.author, article.site_name) == ("Jane Doe", "Example News")
    text = "\n\n".join(PARAS)
    dump = pipeline.extract(RawPage(url="https://news.example/d", content=text, content_type="text/plain"))
    assert (dump.author, dump.site_name) == (None, None)  # a text dump has no metadata



def test_list_items_that_open_with_their_own_heading_are_teaser_cards_but_a_plain_list_stays() -> None:
    from lxml import etree

    from pipeline.clean import clean_blocks
    from pipeline.clean.html import _LinkIndex, _to_blocks, _trafilatura_lines

    cards = "".join(
        f'<item><head rend="h4">{head}</head><p>{teaser}</p></item>'
        for head, teaser in [
            ("Oil prices climb after outage", "Supply fell by a tenth after the pipeline was shut on Monday night."),
            ("Tech giant unveils new chip", "The company said the chip would ship in the autumn to big buyers."),
        ]
    )
    steps = ["Bring the water to the boil before adding the rice", "Stir the pot twice in the first minute"]
    body = etree.fromstring(  # the article as trafilatura's XML gives it
        f"<body><p>{PARAS[0]}</p><p>The bank listed its steps:</p>"
        f'<list rend="ul">{"".join(f"<item>{s}</item>" for s in steps)}</list>'
        f'<p>{PARAS[2]}</p><p>Also on Example News:</p><list rend="ul">{cards}</list></body>'
    )
    cleaned = clean_blocks(_to_blocks(_trafilatura_lines(body), set(), _LinkIndex(set())))
    kept = "\n".join(cleaned.paragraphs)
    assert "Oil prices climb" not in kept and "Supply fell" not in kept and "Tech giant" not in kept
    assert all(step in kept for step in steps) and PARAS[2] in kept
    assert {rule for rule, text in cleaned.removed if "Oil prices climb" in text} == {"related"}
