"""Block-level boilerplate rules: each looks at one block alone and names what it is.

Patterns describe kinds of wire boilerplate (share widgets, ad markers, prompts,
photo credits, mastheads) in general phrasing, not the strings of any one site.
Every pattern only fires on short blocks, so prose that merely mentions a
newsletter or a photo is never cut.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.clean.blocks import Block, is_sentence
from pipeline.text import words

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

# --- share widgets and social buttons ------------------------------------------------
_SOCIAL_WORDS = {
    "share",
    "shares",
    "shared",
    "sharing",
    "tweet",
    "facebook",
    "twitter",
    "x",
    "email",
    "e-mail",
    "mail",
    "print",
    "whatsapp",
    "telegram",
    "linkedin",
    "pinterest",
    "reddit",
    "vk",
    "viber",
    "messenger",
    "copy",
    "link",
    "copied",
    "url",
    "save",
    "bookmark",
    "comment",
    "comments",
    "this",
    "article",
    "story",
    "on",
    "via",
    "to",
    "the",
    "page",
    "post",
    "flipboard",
    "pocket",
    "tumblr",
    "threads",
    "bluesky",
    "mastodon",
    "sms",
    "more",
    "options",
    "gift",
    "send",
    "embed",
    "odnoklassniki",
    "ok",
    "livejournal",
    "subscribe",
    "follow",
    "us",
    "rss",
    "instagram",
    "youtube",
    "tiktok",
    "and",
    "or",
    "with",
    "friend",
    "close",
    "menu",
    "font",
    "size",
    "text",
    "a",
    "listen",
    "audio",
    "reprints",
    "order",
    "permissions",
}
_SHARE_PREFIX = re.compile(
    r"^(share|tweet|follow us|follow \w+ on|share (this|on|via|the)|click to share|copy (the )?link|"
    r"link copied|email this|print this)\b",
    _I,
)

# --- advertisement markers -----------------------------------------------------------
_AD = re.compile(
    r"^(advertisement|advertising|ad|ads|sponsored( content| post| links?| stories)?|promoted( content)?|"
    r"paid (content|post|partner content)|partner content|anzeige|publicidad|publicit[eé]|реклама|"
    r"(story|article) continues (below|after)( (the )?(advertisement|ad))?|"
    r"continue reading (below|the main story)|scroll (down )?to continue( with content)?|"
    r"skip (the )?ad(vert(isement)?)?|report (this )?ad|ad feedback|close ad|"
    r"this (article|story|content) is sponsored by.*)\W*$",
    _I,
)

# --- comment, login, correction, newsletter and contact prompts -------------------------
_PROMPT = re.compile(
    r"^(\d+\s+)?comments?\W*$|"
    r"^(discuss|join the (discussion|conversation)|leave a (comment|reply)|add (a )?comment|"
    r"show comments|view comments|post a comment|read comments)\b|"
    r"\b(to (participate|take part|join) in the (discussion|conversation|debate))\b|"
    r"^(log ?in|sign ?in|sign ?up|register|subscribe|create (a free )?account)\b.{0,60}$|"
    r"\b(log ?in|sign ?in) (or|and|to) (register|sign ?up|subscribe|comment|continue|read)\b|"
    r"\b(already (a )?(subscriber|registered|have an account))\b|"
    r"\b(suggest a correction|report (an? )?(error|typo|mistake)|spotted (an? )?(error|mistake|typo))\b|"
    r"\bhighlight (the |a )?(text|fragment)\b.{0,40}\b(ctrl|enter)\b|"
    r"\b(ctrl|cmd) ?\+ ?enter\b|"
    r"\b(newsletters?|inbox|mailing list)\b.{0,80}\b(sign up|subscribe|delivered|get|receive)\b|"
    r"\b(sign up|subscribe)\b.{0,80}\b(newsletters?|inbox|updates|alerts)\b|"
    r"^(thanks|thank you) for (signing up|subscribing|reading)\b|"
    r"\berror processing your subscription\b|"
    r"^(have a (news )?tip|got a (news )?tip|contact (the )?(author|reporter|writer|us)|write to\s)\b|"
    r"\b(may|can) be reached at\b.{0,40}@|"
    r"^follow (us|\w+ \w+) on\b|"
    r"^(download|get) (our|the) (\w+ )?app\b|"
    r"^(we use cookies|this (site|website) uses cookies|accept (all )?cookies)\b|"
    r"^(click|tap) here\b|"
    r"^(order reprints|print article|reprints? (and|&) permissions|license this (article|content))\W*$|"
    r"^(tell us what you think|what do you think\?|have your say)\W*|"
    r"^(an error has occurred|something went wrong)\b|"
    r"^(read|listen to|watch) (the|this) (full )?(story|article) (here|now)\b|"
    r"^(this (copy|article) is for your personal, non-commercial use)\b|"
    r"\bdelivered (to|through|straight to) your (inbox|door|letterbox|mailbox|phone)\b|"
    r"^keep an eye on your inbox\b|\bclick here\b|^join (our|the|us)\b.{0,60}$|"
    r"^(this (article|story) has been sent to)\b|\bletters to the editor\b|"
    r"^follow\b.{0,60}\bon (facebook|twitter|instagram|x|linkedin|telegram|threads)\b|"
    r"^follow\b.{0,50}\b(full )?coverage\b|"
    r"^if you (enjoyed|liked|value|appreciate|found)\b.{0,40}\b(article|story|journalism|reporting|content)"
    r"\b|"
    r"\bcomments?\b.{0,80}\b(moderat|approved|respectful|civil)|"
    r"\b(support (our|independent) journalism|become a (member|subscriber|patron))\b|"
    r"^(get|receive|sign up for) (the|our) (\w+ )?(daily|weekly|morning|evening|free)\b",
    _I,
)

# --- footers: copyright and rights lines --------------------------------------------------
_FOOTER = re.compile(
    r"\ball rights reserved\b|^copyright\b|^\(c\) ?\d{4}|^\u00a9 ?\d{4}|"
    r"\b(this material|this article) may not be (published|reproduced|broadcast)\b|"
    r"\bterms of (use|service)\b.{0,40}\bprivacy\b",
    _I,
)

# --- photo credits and captions ------------------------------------------------------------
_CREDIT = re.compile(
    r"^\u00a9|^(photo|photograph|picture|image|video|graphic|illustration|file photo|main image)"
    r"( credit| by| courtesy| source)?\s*[:/|]|"
    r"^(credit|photo credit|image credit|source|image source|caption)\s*[:/]|"
    r"\b(go to|open in) the (mediabank|media bank|photo bank|gallery)\b|"
    r"^image (copyright|caption)\b|"
    r"^\(?(ap|afp|reuters|epa|getty|xinhua|tass|sputnik|anadolu|pool|ria novosti)\b[^.]{0,40}"
    r"\b(photo|images?|via|pool)\b[^.]{0,40}\)?$|"
    r"\((ap|afp|reuters|epa|getty|xinhua|pool)?\s*photo(graph)?( by|/|:)[^)]{0,80}\)\s*$|"
    r"\b(getty images|shutterstock|afp via getty|reuters/|/reuters|ap photo|epa-efe|istock(photo)?)\b"
    r"[^.]{0,40}$",
    _I,
)
# A media-bank stamp after a caption: "... - Site Name, 1920, 18.06.2024" or "- Site Name, 1920".
# (Not a tweet signature: "- Name (@handle) November 3, 2019" has a handle and a day before the year.)
_STAMP = re.compile(
    r"(^|\s)[-\u2013\u2014|]\s*[^,@]{1,59}[^\d,@\s],\s*\d{3,4}(,\s*\d{1,2}[./]\d{1,2}[./]\d{2,4})?\s*$"
)
_DATE_TAIL = re.compile(r",\s*\d{1,2}[./]\d{1,2}[./]\d{4}\s*$")

# --- mastheads and taglines ------------------------------------------------------------------
_TAGLINE = re.compile(
    r"^(get|read|find|your|the|all the|follow|stay (up to date|informed)|breaking)\b.{0,80}\b"
    r"(latest|breaking|top|trusted|independent|best)\b.{0,40}\b(news|stories|headlines|coverage|analysis)"
    r"\b.{0,120}$|"
    r"^(news|breaking news|latest news|top stories|world news)\s*[,|/&-]\s*.{0,80}$|"
    r"^(the|your) (news|world|voice|source)\b.{0,60}$",
    _I,
)

# --- related-content labels ------------------------------------------------------------------
RELATED_LABEL = re.compile(
    r"^(you (might|may|could|will|should|'ll)( also)? (like|love|enjoy|be interested in)|"
    r"(read|see|watch|listen) (also|more|next|this|too)|also (read|see|watch|on|in)|"
    r"related( (articles?|stories|news|posts?|content|coverage|topics|reading|links|videos?))?|"
    r"more (from|on|in|about|stories|news|articles|to read|like this|headlines)\b.{0,40}|"
    r"other (topics|stories|news|articles) of interest|"
    r"(other|more|further|recommended) (reading|stories|news)|"
    r"recommended( for you| articles| stories)?|don'?t miss( this)?|must read|editor'?s? picks?|"
    r"top (stories|news|headlines)|"
    r"((today|this week)'?s )?most[- ](read|popular|viewed|shared|watched|e-?mailed|commented)"
    r"( (articles|stories|news))?|trending( now| stories)?|also in (the )?news|(stories|more) from (around )?the web|"
    r"latest( (news|stories|headlines|videos))?|what to read next|further reading|in (other|related) news|"
    r"popular (now|stories|on \w+)|(see|view) all|keep reading|up next|next (story|article)|"
    r"previous (story|article)|more headlines|around the web|from the web|from our partners|"
    r"promoted stories|we recommend|catch up|explore more|suggested (for you|articles|reading)|"
    r"читайте (также|еще)|смотрите также|по теме|lire aussi|à lire aussi|lesen sie auch|mehr zum thema|"
    r"leer más|lea también|leia (mais|também))\b\W*$",
    _I,
)
# "Read more: <headline>" on one line.
RELATED_PREFIX = re.compile(
    r"^(read (also|more|next|this)|also read|see (also|more)|watch|related|more|recommended|don'?t miss|"
    r"listen|latest|читайте также|lire aussi|lesen sie auch)\s*[:|\u2013\u2014>-]+\s*\S",
    _I,
)

# Labels newsrooms put above inserts and on section pages.
SECTION_WORDS = {
    "world",
    "politics",
    "business",
    "economy",
    "sport",
    "sports",
    "opinion",
    "analysis",
    "video",
    "videos",
    "photos",
    "photo",
    "gallery",
    "live",
    "news",
    "breaking",
    "breaking news",
    "exclusive",
    "europe",
    "asia",
    "africa",
    "americas",
    "middle east",
    "us",
    "uk",
    "science",
    "tech",
    "technology",
    "health",
    "culture",
    "entertainment",
    "lifestyle",
    "travel",
    "markets",
    "military",
    "defense",
    "defence",
    "society",
    "features",
    "feature",
    "interview",
    "explainer",
    "commentary",
    "editorial",
    "investigations",
    "fact check",
    "podcast",
    "newsletter",
    "local",
    "national",
    "international",
    "latest",
    "top news",
    "trending",
    "columns",
    "column",
    "climate",
    "environment",
    "world news",
    "us news",
    "uk news",
}

_URL_ONLY = re.compile(r"^\s*(https?://|www\.)\S+\s*$", _I)
_BYLINE = re.compile(
    r"^(by|from|written by|reporting by|words by|story by|posted by|von|par|por|автор)\s+"
    r"[A-Z\u0400-\u04ff][\w.'\u2019-]+(\s+[\w.'\u2019-]+){0,5}(\s*[,|/and&]+\s*[\w .'\u2019-]{0,60})?$|"
    r"^(published|updated|last updated|posted|first published|опубликовано|обновлено)\b.{0,60}$",
)
# Wire credit lines at the end of a story.
_CONTRIBUTORS = re.compile(
    r"^(\(?(reporting|writing|editing|additional reporting|compiled|translated|research) by\b)|"
    r"\bcontributed (reporting )?to this (report|story|article)\b",
    _I,
)
# A date with a clock time and little else ("sexta-feira, 22 de outubro de 2010 as 20:13").
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_CLOCK = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
_DATE_ONLY = re.compile(
    r"^\W*(\w+,?\s+)?(\d{1,2}\s+\w+|\w+\s+\d{1,2}),?\s+\d{4}(\s*(,|at|-|\u2013)?\s*\d{1,2}[:.]\d{2}"
    r"(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,4})?)?\W*$|^\d{1,2}[./]\d{1,2}[./]\d{2,4}(\s+\d{1,2}:\d{2})?$",
    _I,
)


_LONG_FOOTER_PHRASES = ("all rights reserved", "non-commercial use")
_LONG_PROMPT_PHRASES = ("letters to the editor", "sign up for", "subscribe to our", "delivered to your inbox")


def _social_only(text: str) -> bool:
    tokens = [t.casefold() for t in words(text)]
    return (
        0 < len(tokens) <= 10
        and all(t in _SOCIAL_WORDS or t.isdigit() for t in tokens)
        and any(
            t
            in (
                "share",
                "tweet",
                "facebook",
                "twitter",
                "whatsapp",
                "telegram",
                "linkedin",
                "email",
                "print",
                "pinterest",
                "reddit",
                "vk",
                "copy",
                "comments",
                "comment",
                "reprints",
                "flipboard",
            )
            for t in tokens
        )
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


def load_furniture(path: Path = FURNITURE_FILE) -> list[tuple[str, int, re.Pattern[str]]]:
    """(rule, most words, pattern) per run of lines of the phrase file with the same rule and bound.

    A run's patterns are searched as one alternation (one scan of the text instead of one per
    line); runs keep file order, so the first matching line still names the rule.
    """
    runs: list[tuple[str, int, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rule, max_words, pattern = line.split("\t", 2)
        re.compile(pattern)  # a bad line fails here, naming itself
        if runs and runs[-1][:2] == (rule, int(max_words)):
            runs[-1][2].append(pattern)
        else:
            runs.append((rule, int(max_words), [pattern]))
    return [(rule, bound, re.compile("|".join(f"(?:{p})" for p in pats), _I)) for rule, bound, pats in runs]


FURNITURE = load_furniture()
# A line of menu items: "Home · News | Sport | Weather" (four or more short items, no sentence).
_MENU_SEPARATORS = re.compile(r"\s+[|\u00b7\u2022\u00bb/\u2013-]\s+|\s*(?<!\\)\|\s*")
# Short cells of a page laid out as a table (see pipeline/clean/html.py): labels and menu items.
LAYOUT_CELL_MAX_WORDS = 6


def furniture_rule(text: str, n: int) -> str | None:
    for rule, max_words, pattern in FURNITURE:
        if n <= max_words and pattern.search(text):
            return rule
    return None


def is_menu_line(text: str) -> bool:
    items = [t for t in _MENU_SEPARATORS.split(text.strip().strip("|")) if t and t.strip()]
    return (
        len(items) >= 4
        and all(0 < len(words(t)) <= 4 and not is_sentence(t) for t in items)
        and sum(any(c.isdigit() for c in t) for t in items) <= 1
    )


def block_rule(block: Block) -> str | None:
    """The rule that marks this block as boilerplate on its own, or None."""
    text = block.text.strip()
    n = len(words(text))
    if n == 0:
        return "empty" if not any(ch.isalnum() for ch in text) else None
    if n > 60 or len(text) > MAX_RULE_CHARS:
        return None
    # Long blocks are mostly prose: only ask whether they *start* like boilerplate (fast), plus
    # a few unmistakable phrases; short blocks get the full search.
    find = (lambda pattern: pattern.search(text)) if n <= 25 else (lambda pattern: pattern.match(text))
    if find(_FOOTER_SPLIT) or (n > 25 and any(k in text.casefold() for k in _LONG_FOOTER_PHRASES)):
        return "footer"
    if find(_PROMPT_SPLIT) or (n > 25 and any(k in text.casefold() for k in _LONG_PROMPT_PHRASES)):
        return "prompt"
    if find(_CONTRIBUTORS_SPLIT) or (n > 25 and "contributed to this report" in text.casefold()):
        return "byline"
    if n > 40:
        return None
    if _AD.match(text):
        return "ad"
    if _social_only(text) or (n <= 8 and _SHARE_PREFIX.match(text)):
        return "share"
    if block.kind == "caption" and n < CAPTION_MAX_WORDS:
        return "caption"
    if _CREDIT_SPLIT.search(text) or (_STAMP.search(text) and n <= 60) or _DATE_TAIL.search(text):
        return "credit"
    if n <= 30 and _TAGLINE.match(text) and block.kind != "head":
        return "masthead"
    if _URL_ONLY.match(text):
        return "link"
    if n <= 12 and _BYLINE.match(text):
        return "byline"
    if n <= 10 and _DATE_ONLY.match(text):
        return "byline"
    if n <= 12 and _YEAR.search(text) and _CLOCK.search(text) and not text.rstrip().endswith("."):
        return "byline"
    if block.kind == "cell" and n <= LAYOUT_CELL_MAX_WORDS and not is_sentence(text):
        return "layout"
    if is_menu_line(text):
        return "nav"
    return furniture_rule(text, n)


def is_related_label(text: str) -> bool:
    return len(text) <= 60 and bool(RELATED_LABEL.match(text.strip()))


def is_section_word(text: str) -> bool:
    return text.strip().rstrip(":").casefold() in SECTION_WORDS
