"""The fast trafilatura path extracts exactly what trafilatura's own cascade extracts, only cheaper."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml.etree import tostring
from trafilatura.baseline import html2txt
from trafilatura.core import trafilatura_sequence
from trafilatura.utils import INVALID_XML_CHARS, load_html, repair_faulty_html
from trafilatura.xml import xmltotxt

from pipeline.clean import trafilatura_fast as fast
from pipeline.clean.trafilatura_fast import (
    FAST_PAGE_TEXT,
    INVALID_XML_CHARACTERS,
    OPTIONS,
    article_body,
    page_text_length,
    parse_html,
    repair_html,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_PAGES = sorted((ROOT / "tests" / "fixtures" / "wire" / "pages").glob("*.html"))
SAMPLE_PAGES = sorted((ROOT / "sample" / "pages").glob("*.html"))

PARA = "The minister said talks would resume next week after a pause over the summer holidays."
NAV = "".join(f"<li><a href='/s{i}'>Section number {i} of the site with its long name</a></li>" for i in range(80))
# A short article among a lot of navigation: trafilatura's recall escalation looks at the whole page.
SHORT_ARTICLE_BIG_MENU = (
    f"<html><body><nav><ul>{NAV}</ul></nav><article><h1>Talks to resume</h1><p>{PARA}</p></article>"
    f"<nav><ul>{NAV}</ul></nav></body></html>"
)
# Too little text for the main extractor: the baseline rescue runs.
TINY = "<html><body><div><span>Short note from the desk.</span></div></body></html>"
# A str that declares its encoding: lxml refuses it as text, the parser retries with bytes.
DECLARED = (
    '<?xml version="1.0" encoding="utf-8"?><html><head><meta charset="utf-8"></head>'
    f"<body><article><p>{PARA}</p><p>{PARA} Again, in Zürich.</p></article></body></html>"
)
EDGE_CASES = {
    "short article, big menu": SHORT_ARTICLE_BIG_MENU,
    "tiny page": TINY,
    "encoding declaration": DECLARED,
}


def _reference(content: str) -> str | None:
    """What trafilatura itself extracts with our options (its own parser and cascade)."""
    tree = load_html(content)
    if tree is None:
        return None
    body, text, _, _ = trafilatura_sequence(tree, OPTIONS, "https://news.example/a")
    return xmltotxt(body, False) if len(text) >= OPTIONS.min_output_size else None


def _fast(content: str) -> str | None:
    tree = parse_html(content)
    if tree is None:
        return None
    body = article_body(tree, "https://news.example/a")
    return xmltotxt(body, False) if body is not None else None


@pytest.mark.parametrize(
    "content",
    [p.read_text(encoding="utf-8") for p in FIXTURE_PAGES + SAMPLE_PAGES] + list(EDGE_CASES.values()),
    ids=[p.name for p in FIXTURE_PAGES + SAMPLE_PAGES] + list(EDGE_CASES),
)
def test_fast_path_extracts_what_trafilatura_extracts(content: str) -> None:
    assert _fast(content) == _reference(content)


@pytest.mark.parametrize("content", [PARA, "", "   ", "<p>one paragraph alone</p>", "\x00\x01 binary"])
def test_parse_html_rejects_what_trafilatura_rejects(content: str) -> None:
    mine, theirs = parse_html(content), load_html(content)
    assert (mine is None) == (theirs is None)
    if mine is not None and theirs is not None:
        assert tostring(mine) == tostring(theirs)


def test_parse_html_builds_the_same_tree_as_trafilatura() -> None:
    mine, theirs = parse_html(SHORT_ARTICLE_BIG_MENU), load_html(SHORT_ARTICLE_BIG_MENU)
    assert mine is not None and theirs is not None
    assert tostring(mine) == tostring(theirs)


def test_the_edge_cases_do_reach_the_rescue_and_escalation_branches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the edge cases above: they must exercise trafilatura's rescue steps to mean anything."""
    calls: list[str] = []
    for name in ("_baseline", "page_text_length"):
        real = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda tree, _real=real, _name=name: calls.append(_name) or _real(tree))
    _fast(SHORT_ARTICLE_BIG_MENU)
    assert "page_text_length" in calls
    _fast(TINY)
    assert "_baseline" in calls


def test_the_cheap_character_scan_looks_for_exactly_what_trafilatura_strips() -> None:
    stripped = {chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF and INVALID_XML_CHARS.match(chr(c))}
    assert set(INVALID_XML_CHARACTERS) == stripped


@pytest.mark.parametrize(
    "content",
    [
        "<html><body><p>clean text</p></body></html>",
        "<html><body><p>bell\x07 and form feed\x0c in text</p></body></html>",
        "<html><body><p>not a character: \ufffe\uffff</p></body></html>",
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/x.dtd">\n<html></html>',
        '<?xml version="1.0"?>\n<html lang="en"/>\n<body><p>self-closed root</p></body>',
        "",
    ],
)
def test_repair_html_repairs_like_trafilatura(content: str) -> None:
    beginning = content[:50].lower()
    assert repair_html(content, beginning) == repair_faulty_html(content, beginning)


BANNERS = [
    '<div class="CookieBanner">We use cookies. <a>Accept all</a></div>',
    '<section id="onetrust-consent-sdk"><p>Manage your privacy choices here</p></section>',
    '<div class="cmp COOKIE_NOTICE">Cookies help us</div><div class="cookie">not a banner word</div>',
    '<div class="consent-Kanager">Kelvin-sign K folds to k</div>',
    '<aside>Most read</aside><footer>Contact us</footer><div id="site-footer">Imprint</div>',
    "<script>var x = 1;</script><style>p {}</style><template><p>later</p></template>",
]


@pytest.mark.parametrize("banner", BANNERS)
def test_page_text_length_measures_the_page_as_trafilatura_does(banner: str) -> None:
    page = f"<html><body><div>{banner}</div><article><p>{PARA}</p><p>{PARA}</p></article>{banner}</body></html>"
    tree = parse_html(page)
    assert tree is not None
    before = tostring(tree)
    assert page_text_length(tree) == len(html2txt(tree))
    assert tostring(tree) == before  # measured on a copy


def test_page_text_length_takes_an_element_without_body_as_the_content() -> None:
    tree = parse_html(f"<html><body><div id='x'>{BANNERS[0]}<p>{PARA}</p></div></body></html>")
    assert tree is not None
    div = tree.find(".//div")
    assert page_text_length(div) == len(html2txt(div))


def test_the_installed_trafilatura_cleans_pages_with_the_expression_we_split() -> None:
    """When trafilatura changes BASIC_CLEAN_XPATH the slow exact path takes over; this says so."""
    assert FAST_PAGE_TEXT
