"""What an article says, as features for story clustering: names, dates, salient terms.

A light extractor on purpose (the stage must run thousands of articles a second):
capitalised word runs are names ("Kim Jong Un", "Rodong Sinmun"), month-day pairs
and years are dates, and the most frequent long non-stopwords are terms. Features
are prefixed by kind ("e:" name, "p:" place, "d:" date, "t:" term) so their weights can differ.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from pipeline.dedupe.places import is_place

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words that start sentences or name no one: never a name on their own.
_NOT_NAMES = (
    _words(
        """a about after again against all also although an and another any are as at be because been before
        being between both but by can could did do does during each either even every few first for from
        further had has have he her here hers him his how however i if in into is it its just last later let
        many may me meanwhile more most mr mrs ms dr much my neither new next no nor not now of off often on
        once one only or other our out over own per perhaps please read related she should since so some
        still such than that the their them then there these they this those though through thus to today
        too two under until up upon us very was we were what when where whether which while who whom whose
        why will with within without would yet you your monday tuesday wednesday thursday friday saturday
        sunday advertisement photo getty images reuters ap afp file video watch click share subscribe
        copyright according earlier speaking asked said says president minister chairman leader official
        officials prime secretary spokesman spokeswoman senator governor mayor chief head general"""
    )
) | frozenset(k for k in _MONTHS if len(k) > 3)

_STOPWORDS = _NOT_NAMES | (
    _words(
        """able above across actually added adding against ahead almost along already always among amid around
        asked away back became become becomes began behind believe best better big called came cannot case
        come comes coming could country countries day days did different does doing done down each early end
        enough ever expected fact far feel find five found four get gets getting give given go going gone
        good got great group half help high hold home hours however important including inside instead into
        issue issues keep kind know known large late least left less like likely little long look looking
        made major make makes making man matter mean means men million billion months month much must name
        near need needs never night nothing number often old once open part past people place point possible
        press put rather really recent recently report reported reports right room run same saying second
        see seen set several show shows side since small something statement states still story take taken
        taking tell thing things think third three time times told took top toward towards tried true turn
        used using want wanted wants way ways week weeks well went whole women work working world year years
        young"""
    )
)

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁ"  # Latin and Cyrillic capitals (start of a name)
_NAME_WORD = rf"[{_UPPER}][\w'’]*(?:-[\w'’]+)*"
_CONNECTORS = ("of", "de", "del", "la", "al", "bin", "von", "van", "der", "du", "da")
# A run of capitalised words on one line, optionally joined by "of", "de", "van"...
_NAME_RUN = re.compile(rf"(?<![\w'’-]){_NAME_WORD}(?:[ \t]+(?:(?:{'|'.join(_CONNECTORS)})[ \t]+)?{_NAME_WORD})*")
# Patterns that start with a literal or a class scan fast; word starts are checked in Python.
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](20\d\d)(?!\d)")
_MONTH_WORD = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*")
_DAY_AFTER = re.compile(r"\.?[ \t]+(\d{1,2})(?![\d:])")
_DAY_BEFORE = re.compile(r"(?<!\d)(\d{1,2})[ \t]+$")
_YEAR = re.compile(r"(?:19[5-9]\d|20\d\d)(?!\d)")
_TERM = re.compile(r"(?<=[\s\"“‘(])[a-zß-öø-ÿа-яё][\w'’-]{4,}")

LEAD_CHARS = 3000
MAX_NAMES = 12
MAX_TERMS = 40
MAX_DATES = 4


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("'s ", " ")
    text = text.replace("'s\n", "\n")
    if text.endswith("'s"):
        text = text[:-2]
    return text.replace("-", " ").replace("'", "")


def _name(words: list[str]) -> str | None:
    while words and (words[0] in _NOT_NAMES or words[0] in _CONNECTORS):
        words = words[1:]
    while words and words[-1] in _CONNECTORS:
        words = words[:-1]
    name = " ".join(words)
    return name if len(name) > 2 and len(words) <= 5 else None


def names(text: str) -> Counter[str]:
    """Runs of capitalised words, folded: "Kim Jong-un" and "Kim Jong Un" give "kim jong un".

    A run is split at title words ("Russian President Vladimir Putin" is "russian" and
    "vladimir putin") and a person-like name is also counted by its last word so a later
    bare surname matches. Sentence-initial common words are dropped.
    """
    found: Counter[str] = Counter()
    runs = _NAME_RUN.findall(text)
    if not runs:
        return found
    # fold all runs in one call, then handle each distinct run once
    for run, times in Counter(_fold("\n".join(runs)).split("\n")).items():
        if " " not in run:  # most runs are one word: the fast path
            if len(run) > 2 and run not in _NOT_NAMES:
                found[run] += times
            continue
        part: list[str] = []
        for word in run.split():
            if word in _NOT_NAMES and word not in _CONNECTORS:
                if part:
                    _count(part, found, times)
                part = []
            else:
                part.append(word)
        if part:
            _count(part, found, times)
    return found


def _count(words: list[str], found: Counter[str], times: int) -> None:
    name = _name(words)
    if name is None:
        return
    found[name] += times
    last = name.rsplit(" ", 1)[-1]
    if last != name and len(last) > 2 and not is_place(name) and last not in _NOT_NAMES:
        found[last] += times


def dates(text: str) -> set[str]:
    """Calendar days ("6-18") and years the article mentions."""
    found: set[str] = set()
    for match in _MONTH_WORD.finditer(text):
        start, end = match.span()
        month = _MONTHS.get(match.group().lower())
        if month is None or (start and text[start - 1].isalpha()):
            continue
        after = _DAY_AFTER.match(text, end)
        before = None if after else _DAY_BEFORE.search(text, max(start - 4, 0), start)
        day = int((after or before).group(1)) if (after or before) else 0
        if 1 <= day <= 31:
            found.add(f"{month}-{day}")
    for match in _YEAR.finditer(text):
        if not (match.start() and text[match.start() - 1].isdigit()):
            found.add(match.group())
    if ".20" in text or "/20" in text:
        for day, month, _year in _NUMERIC_DATE.findall(text):
            if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
                found.add(f"{int(month)}-{int(day)}")
    return found


def terms(text: str, names: Counter[str]) -> Counter[str]:
    """Lower-case content words of five letters or more: stopwords and the words of names left out."""
    in_names = {part for name in names for part in name.split()}
    counts = Counter(_TERM.findall(text))
    return Counter({w: c for w, c in counts.items() if w not in _STOPWORDS and w not in in_names})


def features(title: str | None, body: str) -> dict[str, float]:
    """Feature -> raw weight (occurrences; names in the title count twice) of one article."""
    # the lead says what happened; long tails add background, not the event (and cost time)
    lead = body if len(body) <= LEAD_CHARS else body[: body.rfind(" ", 0, LEAD_CHARS)]
    text = f"{title}\n{lead}" if title else lead
    found: dict[str, float] = {}
    name_counts = names(text)
    if title:
        name_counts.update(names(title))
    for name, count in name_counts.most_common(MAX_NAMES):
        found[f"{'p' if is_place(name) else 'e'}:{name}"] = float(count)
    for term, count in terms(f" {text}", name_counts).most_common(MAX_TERMS):
        found[f"t:{term}"] = float(count)
    for date in sorted(dates(text))[:MAX_DATES]:
        found[f"d:{date}"] = 1.0
    return found
