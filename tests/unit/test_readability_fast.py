"""readability_fast: readability-lxml's summary for less CPU, never a different one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.clean import readability_fast

PAGES = Path(__file__).parents[1] / "fixtures" / "wire" / "pages"
SENTENCE = "The council voted on Tuesday to close the old bridge to lorries while engineers inspect its piers."
ARTICLE = "".join(f"<p>{SENTENCE} Paragraph {i}, with a detail of its own, about the works.</p>" for i in range(6))
# Pages that take readability down its less common paths; each must give the same summary.
ODD_PAGES = {
    "hidden and undisplayed parts": (
        "<html><body><div class='story'>" + ARTICLE + "<p hidden>Hidden promo, with commas, and more text.</p>"
        "<div style='color: red; display: none'>Undisplayed, also with commas, in a box.</div></div>"
        "<div class='sidebar'><a href='/a'>Sidebar link one</a> <a href='/b'>Sidebar link two</a></div></body></html>"
    ),
    # under 250 characters: readability retries without its ruthless pass, parsing its input again
    "too short for the ruthless pass": "<html><body><div class='comment'><p>Short, it is.</p></div></body></html>",
    "forms, comments, a processing instruction": (
        "<?xml version='1.0' encoding='utf-8'?><html><body><!-- a note --><form action='/s'><input name='q'>"
        "<select><option>One</option></select><textarea>Type, here</textarea><label>Search</label></form>"
        "<article>" + ARTICLE + "<?php echo 1 ?></article></body></html>"
    ),
    "control characters and entities": "<html><body><div>" + ARTICLE.replace("works", "works\x0b&amp;\x01") + "</div>",
    "a table layout": "<table><tr><td><a href='/'>Home</a></td><td>" + ARTICLE + "</td></tr></table>",
    "no markup at all": SENTENCE,
}


def _shipped_summary(content: str) -> str:
    from readability import Document

    return Document(content).summary(html_partial=True)


@pytest.fixture
def shipped_readability(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a function
    """readability-lxml's summary exactly as shipped (its own clean(), its own parse)."""
    from readability import readability as module

    readability_fast.install()  # as the pipeline runs it, then undone for the reference
    monkeypatch.setattr(module, "clean", readability_fast.shipped_clean())
    return _shipped_summary


def _outcome(summary, content: str) -> str:  # noqa: ANN001 - a summary function
    try:
        return summary(content)
    except Exception as exc:  # readability gives up on some pages: both must give up alike
        return f"raised {type(exc).__name__}"


def test_summaries_are_those_of_readability_as_shipped(shipped_readability) -> None:  # noqa: ANN001
    contents = [p.read_text(encoding="utf-8") for p in sorted(PAGES.glob("*.html"))] + list(ODD_PAGES.values())
    theirs = [_outcome(shipped_readability, c) for c in contents]
    readability_fast.install()
    ours = [_outcome(readability_fast.summary, c) for c in contents]
    assert sum(t.startswith("<") for t in theirs) >= len(contents) - 1  # the comparison is of real summaries
    assert ours == theirs


def test_an_empty_page_fails_as_readability_fails() -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - readability's own error type, whatever it is
        _shipped_summary("")
    with pytest.raises(Exception):  # noqa: B017, PT011
        readability_fast.summary("")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  plain words  ",
        "line one \n\n   line two\r\n\tline three",
        "tab\tand  two   spaces\u00a0\u00a0nbsp",
        "a" + " " * 300 + "b" + "\n" * 260 + "c",
        "\u2003em spaces\u2003\u2003and\n\u2028a line separator",
        " " * 254 + "x",
    ],
)
def test_clean_is_readabilitys_clean(text: str) -> None:
    assert readability_fast.clean(text) == readability_fast.shipped_clean()(text)


def test_clean_is_readabilitys_clean_on_random_whitespace() -> None:
    """Runs of every kind of whitespace (``\\s`` and ``str.strip`` must agree) around newlines and tabs."""
    import random

    alphabet = [" ", "\t", "\n", "\r", "\xa0", "\u2028", "\x1c", "\x85", "\u3000", "a", "b", "."]
    rnd = random.Random(14)
    shipped = readability_fast.shipped_clean()
    for _ in range(5000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.choice([1, 2, 3, 5, 8, 20, 60])))
        if rnd.random() < 0.05:
            text = text + " " * 200 + "\n" + "\t" * 60 + text  # a run of 255 whitespace characters
        assert readability_fast.clean(text) == shipped(text), repr(text)
