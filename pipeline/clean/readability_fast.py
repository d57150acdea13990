"""readability-lxml's ``summary()``, the same string for less CPU.

readability-lxml parses the page with ``lxml.html``'s parser, whose element class lookup is a
Python method: every element proxy readability creates while it scores a page (several hundred
thousand on a news page; it walks and re-measures the tree again and again) costs a Python call.
And it measures text with ``clean()``, three regex substitutions through ``re``'s pattern cache,
on every container and every link it scores. Here:

* :func:`parse` builds the tree readability's ``build_doc`` builds (its parser settings, the same
  bytes) but with lxml's C-level default class lookup, as ``trafilatura_fast.parse_html`` does;
  readability takes a tree as its input and treats it as it treats its own parse (it drops
  hidden elements in it and deep-copies it before cleaning, on each pass);
* :func:`clean` is readability's ``clean()`` with precompiled patterns, each step run only when
  it can change the text, the newline step done with ``str.split``/``strip`` instead of a regex.

tests/unit/test_readability_fast.py checks that the summaries stay identical to readability-lxml
as shipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml.etree import ElementDefaultClassLookup, HTMLParser
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, document_fromstring

# readability.htmls.utf8_parser's settings (lxml.html.HTMLParser(encoding="utf-8")), with a lookup
# that makes no Python call per element.
_PARSER = HTMLParser(encoding="utf-8")
_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity)
)
# readability.readability.clean's patterns, in its order.
_LONG_SPACE = re.compile(r"\s{255,}")
_TAB_OR_SPACES = re.compile(r"\t|[ \t]{2,}")


def clean(text: str) -> str:
    """``readability.readability.clean``: the same string for about two thirds of the CPU.

    Its steps, in its order: a whitespace run of 255 or more becomes 255 spaces (only possible with
    that much whitespace in all); every whitespace run holding a newline becomes one newline (the
    lines, stripped, without the blank ones between; ``str.strip`` and ``\\s`` agree on what
    whitespace is); each tab, and each run of two or more spaces and tabs that starts with a space,
    becomes a space (its regex, where a tab or two spaces occur); then the ends are stripped.
    """
    if len(text) >= 255 and len(text) - len("".join(text.split())) >= 255:
        text = _LONG_SPACE.sub(" " * 255, text)
    if "\n" in text:
        lines = text.split("\n")
        last = len(lines) - 1
        kept = [lines[0].rstrip()]
        for line in lines[1:last]:
            line = line.strip()
            if line:
                kept.append(line)
        kept.append(lines[last].lstrip())
        text = "\n".join(kept)
    if "\t" in text or "  " in text:
        text = _TAB_OR_SPACES.sub(" ", text)
    return text.strip()


def parse(content: str) -> HtmlElement:
    """The tree ``readability.htmls.build_doc`` builds from ``content`` (raises as it does)."""
    return document_fromstring(content.encode("utf-8", "replace"), parser=_PARSER)


_SHIPPED: dict[str, Callable[[str], str]] = {}  # readability's own clean(), once replaced


def shipped_clean() -> Callable[[str], str]:
    """readability-lxml's own ``clean()``, whether or not :func:`install` has replaced it."""
    from readability import readability as module

    return _SHIPPED.get("clean", module.clean)


def install() -> None:
    """Make readability-lxml measure text with :func:`clean` (once per process)."""
    from readability import readability as module

    if module.clean is not clean:
        _SHIPPED.setdefault("clean", module.clean)
        module.clean = clean


def summary(content: str) -> str:
    """``readability.Document(content).summary(html_partial=True)``, faster; raises as it does."""
    from readability import Document  # imported on first use: most pages never need it

    install()
    return Document(parse(content)).summary(html_partial=True)
