"""trafilatura's pruning expressions and their Python stand-ins select the same elements, in order."""

from __future__ import annotations

from copy import copy
from pathlib import Path

import pytest
from lxml.etree import XPath
from trafilatura import xpaths

from pipeline.clean.trafilatura_fast import OPTIONS, _convert_tags, _tree_cleaning, parse_html
from pipeline.clean.trafilatura_prune import stand_in

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "tests" / "fixtures" / "wire" / "pages").glob("*.html")) + sorted(
    (ROOT / "sample" / "pages").glob("*.html")
)
# trafilatura's own objects, not copies: the stand-ins must follow what is installed.
EXPRESSIONS = [
    *xpaths.RAW_TREE_PRUNE_XPATH,
    *xpaths.REMOVE_COMMENTS_AND_LISTS_XPATH,
    *xpaths.OVERALL_DISCARD_XPATH,
]
# Attributes in either order (XPath reads "@id|@class" as the first of the two), absent, empty,
# on every tag the expressions name, nested, with and without a heading inside.
ODD = """<html><body>
<div class="cookie-box" id="main">first class</div><div id="main" class="cookie-box">first id</div>
<div id="cookie" class="x">id cookie</div><span class="" id="">empty</span>
<section id="infinite-scroll"><h1>Kept: holds the h1</h1></section><aside class="infinite-scroll">gone</aside>
<div class="mvp-post-add-box"><h1>gone though it holds an h1</h1></div>
<div class="elementor-share-buttons x">share</div><ul id="comments"><li>list of comments</li></ul>
<ol id="disqus_thread"><li>disqus list: kept (lists need the short id)</li></ol><div id="disqus_thread">x</div>
<details class="post-comments">c</details><div class="Commentary">kept</div>
<p role="Navigation">role</p><span data-component="MostPopularStories">popular</span>
<p data-lp-replacement-content="">lp</p><div style="color: red; display: none">s</div>
<div style="hidden" id="x">style first</div><div id="x" style="hidden">id first</div>
<b class="comments-title">t</b><i id="reply-3" class="a">reply</i><i class="a" id="reply-3">class first</i>
<em aria-hidden="true">aria</em><em aria-hidden="false">aria kept</em>
<div class="sidebar"><div class="tags"><p class="byline">nested</p></div></div><p class=" ad ">ad</p>
</body></html>"""


def _trees() -> list:
    trees = []
    for content in [p.read_text(encoding="utf-8") for p in PAGES] + [ODD]:
        tree = parse_html(content)
        assert tree is not None
        # as parsed (the raw-tree prunes) and as extract_content sees it (converted tags: item, list)
        trees += [tree, _convert_tags(_tree_cleaning(copy(tree), OPTIONS), OPTIONS, None)]
    return trees


def _assert_stand_in_agrees(expression: XPath, trees: list, first_only: bool = False) -> None:
    """The expression's stand-in selects what the expression selects (its first match only, when
    that is all trafilatura reads) on every tree, and selects something on at least one."""
    fast = stand_in(expression)
    assert fast is not None, "trafilatura's expression changed shape: its stand-in is no longer used"
    selected = 0
    for tree in trees:
        expected = expression(tree)[:1] if first_only else expression(tree)
        assert fast(tree) == expected
        selected += len(expected)
    assert selected  # every expression is tried on elements it selects


@pytest.mark.parametrize("index", range(len(EXPRESSIONS)))
def test_each_stand_in_selects_what_its_expression_selects(index: int) -> None:
    _assert_stand_in_agrees(EXPRESSIONS[index], _trees())


# The article's container: trafilatura's _extract reads the first match of each expression only.
BODY = [x for x in xpaths.BODY_XPATH if x.path != "(.//article)[1]"]  # that one stays an XPath (cheap)
CONTAINERS = """<html><body><div class="main-nav">nav</div><section id="x" class="Fulltext">ci</section>
<div class="post">post</div><main>main</main><article class="body-text">b</article><div id="storyBody">s</div>
<div class="Main-Content-x">tr</div><div id="content">c</div><div role="main">r</div></body></html>"""


@pytest.mark.parametrize("index", range(len(BODY)))
def test_each_container_stand_in_finds_the_first_match_of_its_expression(index: int) -> None:
    _assert_stand_in_agrees(BODY[index], [*_trees(), parse_html(CONTAINERS)], first_only=True)


def test_an_expression_of_another_shape_has_no_stand_in() -> None:
    assert stand_in(XPath(".//*[self::div][contains(@class, 'elementor-share-buttons')]")) is None
    changed = EXPRESSIONS[-1].path.replace("@aria-hidden='true'", "@aria-hidden='yes'")
    assert stand_in(XPath(changed, namespaces={"re": xpaths.REGEXP_NS})) is None


def test_a_changed_vocabulary_is_followed() -> None:
    narrower = XPath(
        EXPRESSIONS[-1].path.replace("reader-comments|akismet", "akismet"), namespaces={"re": xpaths.REGEXP_NS}
    )
    fast = stand_in(narrower)
    assert fast is not None
    tree = parse_html("<html><body><div id='reader-comments'>a</div><div id='akismet-1'>b</div></body></html>")
    assert [el.text for el in fast(tree)] == [el.text for el in narrower(tree)] == ["b"]
