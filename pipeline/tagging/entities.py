"""Named entities: people, organisations and places, with canonical names and ISO 3166 codes.

Two passes over case-preserving tokens:

1. Gazetteer (``data/countries.tsv``, ``places.tsv``, ``people.tsv``, ``organisations.tsv``): longest
   match first. Aliases map to one canonical name ("DPRK" -> North Korea, "Kim Jong-un" -> Kim Jong Un).
   All-caps aliases ("US", "UN", "WHO") match only in capitals; other aliases need capitalised words.
   A person's short form ("Kim", "Brown") counts only once the full name has appeared in the article.
   A capital used as metonym ("Moscow said...") stays a place: it is not turned into its country.
2. Unknown names: runs of capitalised words. A run led by a known given name or a personal title
   ("Mr", "President", "Senator") is a person; a run ending in an organisation word ("Ministry",
   "University", "Inc") is an organisation. Later surname-only mentions of such a person are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from pipeline.tagging.text import lower_pieces, normalise, split_pieces, term_key

MAX_NAME_WORDS = 6
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONNECTORS = _words("of the and for de du la le von van der bin al da")
_TITLES = _words(
    """mr mrs ms miss dr sir dame lord lady president prime minister premier chancellor senator sen rep
    representative congressman congresswoman governor gov mayor secretary ambassador envoy chairman chairwoman
    chair chief executive ceo coach manager judge justice general gen colonel col captain capt king queen
    prince princess pope archbishop bishop rev father sheikh ayatollah professor prof inspector commissioner
    spokesman spokeswoman leader deputy foreign defence defense finance interior home state vice assistant
    detective officer sergeant striker midfielder defender goalkeeper actor actress singer director"""
)
_ORG_WORDS = _words(
    """ministry department university college institute agency council commission committee party bank
    inc corp corporation ltd plc llc co company group holdings association union federation foundation
    court police service services authority board office organisation organization club fc united
    airlines airways motors industries technologies systems network news times post journal league
    army navy command hospital school"""
)
# Capitalised words that start sentences or name dates, never entities on their own.
_STOP = _words(
    """the a an in on at of for to and but or if as by with from this that these those it its he she they we
    i you his her their our my your there here when where while after before during since until because
    however although though also meanwhile monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december mr mrs ms dr so not no
    yes what who why how all some many more most other another one two three four five new said says
    according read more share photo image video watch click getty reuters ap afp"""
)


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    type: str
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Alias:
    entry: GazetteerEntry
    case_sensitive: str | None  # exact surface form required (all-caps acronyms)
    short: bool = False  # counts only after a full mention of the same entry


@dataclass
class Gazetteer:
    aliases: dict[tuple[str, ...], list[Alias]] = field(default_factory=dict)
    max_words: dict[str, int] = field(default_factory=dict)

    def add(self, surface: str, alias: Alias) -> None:
        key = term_key(surface)
        if not key:
            return
        self.aliases.setdefault(key, []).append(alias)
        self.max_words[key[0]] = max(self.max_words.get(key[0], 1), len(key))


def _rows(name: str) -> list[list[str]]:
    text = resources.files(__package__).joinpath(f"data/{name}").read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _case_rule(surface: str) -> str | None:
    letters = re.sub(r"[^A-Za-z]", "", surface)
    return normalise(surface).strip() if letters.isupper() and len(letters) <= 5 else None


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    gazetteer = Gazetteer()

    def add_all(entry: GazetteerEntry, names: list[str], short: list[str] = ()) -> None:
        for surface in names:
            if surface.strip():
                gazetteer.add(surface.strip(), Alias(entry, _case_rule(surface.strip())))
        for surface in short:
            if surface.strip():
                gazetteer.add(surface.strip(), Alias(entry, None, short=True))

    for iso, name, *rest in _rows("countries.tsv"):
        entry = GazetteerEntry(name, "place", (("iso", iso),))
        add_all(entry, [name, *(rest[0].split("|") if rest else [])])
    for name, iso, *rest in _rows("places.tsv"):
        entry = GazetteerEntry(name, "place", (("country", iso),) if iso else ())
        add_all(entry, [name, *(rest[0].split("|") if rest else [])])
    for name, *rest in _rows("people.tsv"):
        aliases = rest[0].split("|") if rest else []
        short = rest[1].split("|") if len(rest) > 1 else []
        add_all(GazetteerEntry(name, "person"), [name, *aliases], short)
    for name, *rest in _rows("organisations.tsv"):
        add_all(GazetteerEntry(name, "organisation"), [name, *(rest[0].split("|") if rest else [])])
    return gazetteer


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    text = resources.files(__package__).joinpath("data/given_names.txt").read_text("utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


def _capitalised(token: str) -> bool:
    return token[:1].isupper()


@dataclass
class _Found:
    name: str
    type: str
    extra: dict[str, str]
    count: int = 0


class EntityExtractor:
    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or default_gazetteer()
        self.given = given_names()

    def extract(self, text: str) -> list[dict[str, object]]:
        """Entities as dicts {name, type, count, [iso|country]}, by count desc then name."""
        return self.extract_normalised(normalise(text))

    def extract_normalised(self, text: str) -> list[dict[str, object]]:
        """``extract`` for text already passed through ``text.normalise``."""
        return self.extract_pieces(split_pieces(text))

    def extract_pieces(
        self, pieces: list[str], lower: list[str] | None = None, lang: str | None = "en"
    ) -> list[dict[str, object]]:
        """``extract`` from ``text.split_pieces`` of the normalised text (shared with topics by ``Tagger``).

        ``pieces`` = [gap, token, gap, ..., gap]: one C-level split gives the tokens and the gaps between
        them. A possessive "s" is not a token (as in the gazetteer keys), so it stays in its gap ("'s ").
        ``lower``: ``text.lower_pieces(pieces)`` if the caller has it already.
        """
        tokens = pieces[1::2]
        gaps = pieces[2::2]  # gaps[i]: the text between tokens[i] and tokens[i + 1]
        if lower is None:
            lower = lower_pieces(pieces)
        found: dict[tuple[str, str], _Found] = {}
        pending_short: list[GazetteerEntry] = []
        used: set[int] = set()
        aliases, max_words = self.gazetteer.aliases, self.gazetteer.max_words
        free = 0  # first token not inside an earlier gazetteer match
        # a match starts with a capitalised word (see ``_gazetteer_match``)
        for i in [i for i, word in enumerate(lower) if word in max_words and tokens[i][0].isupper()]:
            if i < free:
                continue
            size = self._gazetteer_match(tokens, lower, i)
            if not size:
                continue
            surface = "".join(tokens[i : i + size])
            for alias in aliases[tuple(lower[i : i + size])]:
                exact = alias.case_sensitive
                if exact and exact.replace(" ", "") != surface:
                    continue
                entry = alias.entry
                if alias.short:
                    pending_short.append(entry)
                else:
                    self._bump(found, entry.name, entry.type, dict(entry.extra))
                used.update(range(i, i + size))
                free = i + size
                break
        for entry in pending_short:  # "Kim" after "Kim Jong Un", "Brown" after "Gordon Brown"
            if (entry.name, entry.type) in found:
                found[(entry.name, entry.type)].count += 1
        self._unknown_names(tokens, gaps, used, found)
        ranked = sorted(found.values(), key=lambda f: (-f.count, f.name, f.type))
        return [{"name": f.name, "type": f.type, "count": f.count, **f.extra} for f in ranked]

    def _gazetteer_match(self, tokens: list[str], lower: list[str], i: int) -> int:
        longest = self.gazetteer.max_words.get(lower[i])
        if not longest or not _capitalised(tokens[i]):
            return 0
        for size in range(min(longest, len(tokens) - i), 0, -1):
            key = tuple(lower[i : i + size])
            words = tokens[i : i + size]
            if key in self.gazetteer.aliases and all(
                _capitalised(t) or t in _CONNECTORS or t.isdigit() or len(t) <= 2 for t in words
            ):
                return size
        return 0

    @staticmethod
    def _bump(found: dict[tuple[str, str], _Found], name: str, type_: str, extra: dict[str, str]) -> None:
        slot = found.setdefault((name, type_), _Found(name, type_, extra))
        slot.count += 1

    def _unknown_names(
        self, tokens: list[str], gaps: list[str], used: set[int], found: dict[tuple[str, str], _Found],
    ) -> None:
        # Runs of consecutive capitalised (not all-caps) tokens outside gazetteer matches, joined by
        # only a space, a hyphen or an apostrophe (see ``_JOINS``).
        runs: list[list[int]] = []
        run: list[int] = []
        last = -2
        for i in [i for i, token in enumerate(tokens) if token[0].isupper() and not token.isupper()]:
            if i in used:
                continue
            if i == last + 1 and gaps[last] in _JOINS:
                run.append(i)
            else:
                if run:
                    runs.append(run)
                run = [i]
            last = i
        if run:
            runs.append(run)
        people: dict[str, str] = {f.name.split()[-1]: f.name for f in found.values() if f.type == "person"}
        surnames: list[str] = []
        for run in runs:
            words = [tokens[i] for i in run]
            titled = False
            while words and words[0].lower().rstrip(".") in _TITLES:
                words, titled = words[1:], True
            while words and words[0].lower() in _STOP:
                words = words[1:]
            if not words:
                continue
            if words[-1].lower() in _ORG_WORDS and len(words) >= 2:
                self._bump(found, " ".join(words), "organisation", {})
            elif 2 <= len(words) <= 4 and (words[0].lower() in self.given or titled):
                name = _canonical_person(words)
                self._bump(found, name, "person", {})
                people.setdefault(name.split()[-1], name)
            elif len(words) == 1 and words[0].lower() not in _STOP:
                surnames.append(words[0])
        for surname in surnames:  # "Sondland" after "Gordon Sondland"
            name = people.get(surname)
            if name and (name, "person") in found:
                found[(name, "person")].count += 1


# Two tokens belong to one name when only one of these separates them (a dropped possessive "s"
# stays in its gap: "Trump's Tower").
_JOINS = frozenset((" ", "-", "'", "'s "))


def _canonical_person(words: list[str]) -> str:
    """'Kim Jong-un' and 'Kim Jong Un' -> 'Kim Jong Un'."""
    return " ".join(w[:1].upper() + w[1:] for w in words)
