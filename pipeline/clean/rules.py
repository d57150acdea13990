"""Block-level boilerplate rules: each looks at one block alone and names what it is.

Patterns describe kinds of wire boilerplate (share widgets, ad markers, prompts,
photo credits, mastheads) in general phrasing, not the strings of any one site.
Every pattern only fires on short blocks, so prose that merely mentions a
newsletter or a photo is never cut. The phrasing is data, kept apart from this engine:
``phrases.tsv`` holds the word lists and the alternatives of each rule's pattern,
``furniture.tsv`` the site furniture applied after them.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.clean.blocks import Block, is_sentence
from pipeline.text import words
from schemas.names import Rule

_I = re.IGNORECASE


def top_level_branches(pattern: str) -> list[str]:
    """The branches of a regex's outermost alternation (``a|b(c|d)|e`` -> ``a``, ``b(c|d)``, ``e``)."""
    branches, start, depth, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a literal "]" first in a class
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
        i += 1
    branches.append(pattern[start:])
    return branches


class Alternation:
    """A long ``a|^b|c`` pattern split for speed, with the same truth value for search and match.

    Python's re tries every branch at every position; branches anchored with ``^`` can only
    match at the start, so they go into one ``^(?:...)`` pattern the engine tries once, and
    only the other branches are searched through the text.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        if pattern.flags & re.MULTILINE:
            raise ValueError("^ is a line start under MULTILINE: not splittable")
        branches = top_level_branches(pattern.pattern)
        anchored = [b[1:] for b in branches if b.startswith("^")]
        floating = [b for b in branches if not b.startswith("^")]
        self.pattern = pattern
        self._start = re.compile("^(?:" + "|".join(anchored) + ")", pattern.flags) if anchored else None
        self._anywhere = re.compile("|".join(floating), pattern.flags) if floating else None

    def search(self, text: str) -> bool:
        return bool(
            (self._start is not None and self._start.match(text))
            or (self._anywhere is not None and self._anywhere.search(text))
        )

    def match(self, text: str) -> bool:
        return bool(
            (self._start is not None and self._start.match(text))
            or (self._anywhere is not None and self._anywhere.match(text))
        )


# --- the phrasing, loaded from phrases.tsv ---------------------------------------------------
PHRASES_FILE = Path(__file__).with_name("phrases.tsv")


def load_phrases(path: Path = PHRASES_FILE) -> dict[str, list[str]]:
    """Each list of the phrase file (``list<TAB>entry`` lines), its entries in file order."""
    lists: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, entry = line.split("\t", 1)
        lists.setdefault(name, []).append(entry)
    return lists


PHRASES = load_phrases()


def alternatives(name: str) -> str:
    """A regex list of the phrase file as one alternation (``a|b|c``)."""
    return "|".join(PHRASES[name])


# Share widgets and social buttons: a short block of only these words, naming a button.
_SOCIAL_WORDS = frozenset(PHRASES["social_word"])
_SOCIAL_BUTTONS = frozenset(PHRASES["social_button"])
_SHARE_PREFIX = re.compile(r"^(" + alternatives("share_prefix") + r")\b", _I)
# Advertisement markers.
_AD = re.compile(r"^(" + alternatives("ad") + r")\W*$", _I)
# Comment, login, correction, newsletter and contact prompts.
_PROMPT = re.compile(alternatives("prompt"), _I)
# Footers: copyright and rights lines.
_FOOTER = re.compile(alternatives("footer"), _I)
# Photo credits and captions.
_CREDIT = re.compile(alternatives("credit"), _I)
# A media-bank stamp after a caption: "... - Site Name, 1920, 18.06.2024" or "- Site Name, 1920".
# (Not a tweet signature: "- Name (@handle) November 3, 2019" has a handle and a day before the year.)
_STAMP = re.compile(
    r"(^|\s)[-\u2013\u2014|]\s*[^,@]{1,59}[^\d,@\s],\s*\d{3,4}(,\s*\d{1,2}[./]\d{1,2}[./]\d{2,4})?\s*$"
)
_DATE_TAIL = re.compile(r",\s*\d{1,2}[./]\d{1,2}[./]\d{4}\s*$")

# Mastheads and taglines.
_TAGLINE = re.compile(alternatives("tagline"), _I)
# Related-content labels, and "Read more: <headline>" on one line.
RELATED_LABEL = re.compile(r"^(" + alternatives("related_label") + r")\b\W*$", _I)
RELATED_PREFIX = re.compile(r"^(" + alternatives("related_prefix") + r")\s*[:|\u2013\u2014>-]+\s*\S", _I)
# A reader comment's signature line.
COMMENT_SIGNATURE = re.compile(r"^(" + alternatives("comment_signature") + r")$", _I)
# The heading of a reader-comment section.
COMMENT_HEADING = re.compile(r"^(" + alternatives("comment_heading") + r")$", _I)
# Labels newsrooms put above inserts and on section pages.
SECTION_WORDS = frozenset(PHRASES["section_word"])

_URL_ONLY = re.compile(r"^\s*(https?://|www\.)\S+\s*$", _I)
_BYLINE = re.compile(
    r"^(?i:" + alternatives("byline_lead") + r")\s+"
    r"[A-Z\u0400-\u04ff][\w.'\u2019-]+(\s+[\w.'\u2019-]+){0,5}(\s*[,|/and&]+\s*[\w .'\u2019-]{0,60})?$|"
    r"^(?i:" + alternatives("dateline_lead") + r")\b(?!\s+in\s).{0,60}$",  # "Posted in <categories>": tags
)
# Wire credit lines at the end of a story.
_CONTRIBUTORS = re.compile(alternatives("contributors"), _I)
# A date with a clock time and little else ("sexta-feira, 22 de outubro de 2010 as 20:13").
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_CLOCK = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
_DATE_ONLY = re.compile(
    r"^\W*(\w+,?\s+)?(\d{1,2}\s+\w+|\w+\s+\d{1,2}),?\s+\d{4}(\s*(,|at|-|\u2013)?\s*\d{1,2}[:.]\d{2}"
    r"(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,4})?)?\W*$|^\d{1,2}[./]\d{1,2}[./]\d{2,4}(\s+\d{1,2}:\d{2})?$",
    _I,
)


# Unmistakable phrases looked for in long blocks too (plain text, case-folded).
_LONG_FOOTER_PHRASES = tuple(PHRASES["long_footer"])
_LONG_PROMPT_PHRASES = tuple(PHRASES["long_prompt"])
_LONG_CONTRIBUTORS_PHRASES = tuple(PHRASES["long_contributors"])


def _social_only(text: str) -> bool:
    tokens = [t.casefold() for t in words(text)]
    return (
        0 < len(tokens) <= 10
        and all(t in _SOCIAL_WORDS or t.isdigit() for t in tokens)
        and any(t in _SOCIAL_BUTTONS for t in tokens)
    )


# The block rules' long alternations, split (same verdicts; see Alternation).
_FOOTER_SPLIT, _PROMPT_SPLIT, _CONTRIBUTORS_SPLIT, _CREDIT_SPLIT = (
    Alternation(p) for p in (_FOOTER, _PROMPT, _CONTRIBUTORS, _CREDIT)
)


# Boilerplate is a short line; a block of a few words and thousands of characters is a token dump
# (a data blob, a hostile page), and searching it with every pattern would cost seconds.
MAX_RULE_CHARS = 2000
# A caption this long is a video's or gallery's description, mostly article text (measured on the
# dev sets: below it captions are mostly furniture, above it mostly gold); credits are still cut.
CAPTION_MAX_WORDS = 10
FURNITURE_FILE = Path(__file__).with_name("furniture.tsv")


def load_furniture(path: Path = FURNITURE_FILE) -> list[tuple[Rule, int, re.Pattern[str]]]:
    """(rule, most words, pattern) per run of lines of the phrase file with the same rule and bound.

    A run's patterns are searched as one alternation (one scan of the text instead of one per
    line); runs keep file order, so the first matching line still names the rule.
    """
    runs: list[tuple[Rule, int, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, max_words, pattern = line.split("\t", 2)
        rule = Rule(name)  # a rule name that is not a Rule member fails here, as does a bad pattern:
        re.compile(pattern)
        if runs and runs[-1][:2] == (rule, int(max_words)):
            runs[-1][2].append(pattern)
        else:
            runs.append((rule, int(max_words), [pattern]))
    return [(rule, bound, re.compile("|".join(f"(?:{p})" for p in pats), _I)) for rule, bound, pats in runs]


FURNITURE = load_furniture()
# A line of menu items: "Home · News | Sport | Weather" (four or more short items, no sentence).
_MENU_SEPARATORS = re.compile(r"\s+[|\u00b7\u2022\u00bb/\u2013-]\s+|\s*(?<!\\)\|\s*")
# A menu item or a headline link in a line of them ("Top | Back | E-mail to a friend | Printable version").
MENU_ITEM_MAX_WORDS = 8
# Short cells of a page laid out as a table (see pipeline/clean/html.py): labels and menu items.
LAYOUT_CELL_MAX_WORDS = 6


def furniture_rule(text: str, n: int) -> Rule | None:
    for rule, max_words, pattern in FURNITURE:
        if n <= max_words and pattern.search(text):
            return rule
    return None


def is_menu_line(text: str) -> bool:
    items = [t for t in _MENU_SEPARATORS.split(text.strip().strip("|")) if t and t.strip()]
    return (
        len(items) >= 4
        and all(0 < len(words(t)) <= MENU_ITEM_MAX_WORDS and not is_sentence(t) for t in items)
        and sum(any(c.isdigit() for c in t) for t in items) <= 1
    )


def block_rule(block: Block) -> Rule | None:
    """The rule that marks this block as boilerplate on its own, or None."""
    text = block.text.strip()
    n = len(words(text))
    if n == 0:
        return Rule.EMPTY if not any(ch.isalnum() for ch in text) else None
    if block.head_lead:
        return Rule.RELATED  # a teaser card (on the dev sets 1 of 79 was article text)
    if n > 60 or len(text) > MAX_RULE_CHARS:
        return None
    # Long blocks are mostly prose: only ask whether they *start* like boilerplate (fast), plus
    # a few unmistakable phrases; short blocks get the full search.
    find = (lambda pattern: pattern.search(text)) if n <= 25 else (lambda pattern: pattern.match(text))
    if find(_FOOTER_SPLIT) or (n > 25 and any(k in text.casefold() for k in _LONG_FOOTER_PHRASES)):
        return Rule.FOOTER
    if find(_PROMPT_SPLIT) or (n > 25 and any(k in text.casefold() for k in _LONG_PROMPT_PHRASES)):
        return Rule.PROMPT
    if find(_CONTRIBUTORS_SPLIT) or (n > 25 and any(k in text.casefold() for k in _LONG_CONTRIBUTORS_PHRASES)):
        return Rule.BYLINE
    if n > 40:
        return None
    if _AD.match(text):
        return Rule.AD
    if _social_only(text) or (n <= 8 and _SHARE_PREFIX.match(text)):
        return Rule.SHARE
    if block.kind == "caption" and n < CAPTION_MAX_WORDS:
        return Rule.CAPTION
    if _CREDIT_SPLIT.search(text) or (_STAMP.search(text) and n <= 60) or _DATE_TAIL.search(text):
        return Rule.CREDIT
    if n <= 30 and _TAGLINE.match(text) and block.kind != "head":
        return Rule.MASTHEAD
    if _URL_ONLY.match(text):
        return Rule.LINK
    if n <= 12 and _BYLINE.match(text):
        return Rule.BYLINE
    if n <= 10 and _DATE_ONLY.match(text):
        return Rule.BYLINE
    if n <= 12 and _YEAR.search(text) and _CLOCK.search(text) and not text.rstrip().endswith("."):
        return Rule.BYLINE
    if block.kind == "cell" and n <= LAYOUT_CELL_MAX_WORDS and not is_sentence(text):
        return Rule.LAYOUT
    if is_menu_line(text):
        return Rule.NAV
    return furniture_rule(text, n)


def is_related_label(text: str) -> bool:
    return len(text) <= 60 and bool(RELATED_LABEL.match(text.strip()))


def is_section_word(text: str) -> bool:
    return text.strip().rstrip(":").casefold() in SECTION_WORDS
