"""What an article says, as features for story clustering: terms, proper names, dates.

A light extractor on purpose (the stage must run thousands of articles a second):

* terms: the lower-case words of the title (counted twice: it says what happened) and
  of the lead (the first ``LEAD_CHARS`` characters), stopwords out, a plural "s" cut;
* names: words written capitalised *where case means something*. A headline in title
  case ("Senate Approves Asian American Hate Crimes Bill") capitalises every word, and a
  sentence capitalises its first word, so neither says a word is a name. A word is a
  name when it is capitalised inside a sentence of a line that is not in title case
  (or is an acronym such as "FBI"), or when it starts a sentence and the article also
  writes it capitalised inside one. Title words count as names only when the body
  makes them names;
* dates: calendar days ("June 18", "18 June", "18.06.2024") as "6-18" terms; years are
  plain terms;
* the event signature: quantities the title and the lede (the first ``LEDE_CHARS``
  characters) state that pin one occurrence down: sums of money ("$5.4-billion" ->
  "$:5.4e+09", 1,000 or more, two significant digits), ages ("a 66-year-old", "aged 24",
  "Raj Chohan, 59, of") and earthquake magnitudes ("magnitude 4.6"). Two articles of one
  kind of event that state different ones report different occurrences (stories.py).
  English patterns only: other languages' quantities are not read (an empty signature,
  which contradicts nothing).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

from pipeline.tagging.entities import person_titles

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and the words news copy uses whatever the event: they say nothing of it.
STOPWORDS = _words(
    """a about above across after afterwards again against all almost alone along already also although
    always am among amongst an and another any anyhow anyone anything anyway anywhere are around as at
    back be became because become becomes been before beforehand behind being below beside besides between
    beyond both but by can cannot could did do does doing done down during each either else elsewhere
    enough etc even ever every everyone everything everywhere except few first for former formerly from
    further had has have having he hence her here hereafter hereby herein hers herself him himself his how
    however i ie if in inc indeed into is it its itself just last latter least less let like likely ltd
    made many may me meanwhile might mine more moreover most mostly much must my myself namely neither never
    nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one only onto or
    other others otherwise our ours ourselves out over own per perhaps please put rather re same say says
    said see seem seemed seeming seems several she should since so some somehow someone something sometime
    sometimes somewhere still such than that the their theirs them themselves then thence there thereafter
    thereby therefore therein thereupon these they this those though through throughout thru thus to
    together too toward towards under until up upon us very via was we well were what whatever when whence
    whenever where whereafter whereas whereby wherein whereupon wherever whether which while whither who
    whoever whole whom whose why will with within without would yet you your yours yourself yourselves
    mr mrs ms dr st told tell telling according added adding asked ask asking also get gets got go going
    went come came make makes making take takes took use used using want wants wanted new news year years
    day days week weeks month months time times today yesterday tomorrow monday tuesday wednesday thursday
    friday saturday sunday am pm est gmt edt utc percent including include includes includes lot lots way
    ways thing things people who's it's that's there's don't didn't doesn't isn't wasn't aren't can't won't
    would've he's she's they're we're you're i'm ve ll two three four five six seven eight nine ten million
    billion thousand hundred read more click share video photo image images file copyright reserved rights
    reuters ap afp associated press getty advertisement subscribe newsletter"""
)
_OFFICE_WORDS = _words("foreign defence defense finance interior home state justice")
_NOT_NAMES = (
    STOPWORDS
    | frozenset(k for k in _MONTHS if len(k) > 3)
    # the entity tagger's titles ("President", "Minister", "Pope"): one list for both stages. Less the
    # words that also qualify an office ("Justice Department", "State Department", "Home Office"):
    # there they are part of a name that tells a story apart
    | (person_titles() - _OFFICE_WORDS)
)

LEAD_CHARS = 1500
TITLE_WEIGHT = 2
MAX_TERMS = 48  # distinct terms kept per article: the most frequent (bounded work, state and table writes)

# Words prose writes in lower case inside a sentence (title case capitalises them).
_FUNCTION_WORDS = _words(
    """a an the of to in on at for from with by as and or but nor into onto over after amid about against
    before under up out back off down is are was were be been has have had will would can could should
    not no its their his her this that these those than then who what when where how why"""
)
# terms: words of three or more letters (apostrophe clitics kept for the stem to cut), or numbers
_TERM = re.compile(r"(?<![^\W_])(?:[^\W\d_][^\W_]{2,29}(?:'[^\W_]+)?|\d{2,12})(?![^\W_])")
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſΑ-ΩА-ЯЁ"  # capitals of the Latin, Greek and Cyrillic scripts
# a capital not preceded by a word character, apostrophe or hyphen (the look-behind comes after
# the capital so that the regex engine tests it only where a capital stands: 2-3x faster)
_CAPITAL = re.compile(rf"[{_UPPER}](?<![\w'’-].)[\w'’]*")
_LONG_WORD = re.compile(r"[^\W\d_](?<!\S.)\S{3}")  # a word of 4+ characters (look-behind after the letter: faster)
_OPENERS = frozenset(".!?:;\"“”‘'()[]—–-•*|>")  # what may stand before a sentence's first word
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](20\d\d)(?!\d)")
_MONTH_WORD = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*")
_DAY_AFTER = re.compile(r"\.?[ \t]+(\d{1,2})(?![\d:])")
_DAY_BEFORE = re.compile(r"(?<!\d)(\d{1,2})[ \t]+$")
_COUNT = itemgetter(1)
_YEAR = re.compile(r"(?:19[5-9]\d|20\d\d)(?!\d)")
# quantities that pin an occurrence down: sums of money, ages, earthquake magnitudes
_MONEY = re.compile(
    r"[$€£]\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:[\s-]*(million|mn|m|billion|bn|trillion)\b)?", re.I
)
# ages: "a 66-year-old", "aged 24", "Raj Chohan, 59, of Queens". Each regex starts with a
# literal, which the regex engine searches for fast; the number before "year" is read after
_YEARS_OLD = re.compile(r"ears?[ -][Oo]ld\b")
_AGE_BEFORE = re.compile(r"(?<!\d)(\d{1,3})[ -][Yy]$")
_AGE_AGED = re.compile(r"aged (\d{1,3})\b")
_AGE_APPOSED = re.compile(r", (\d{1,3}), (?:of|was|is|and|who|had|has|from|died) ")
_MAGNITUDE = re.compile(r"magnitude(?: of)?\s+(\d(?:\.\s?\d)?)(?!\d)|(?<![\d.])(\d\.\s?\d)[\s-]magnitude", re.I)
_SCALE = {"million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
MAX_QUANTITIES = 6
LEDE_CHARS = 600


@dataclass
class Description:
    """Terms with their (title-weighted) counts, and the subset of them that are names."""

    terms: Counter[str] = field(default_factory=Counter)
    names: set[str] = field(default_factory=set)
    quantities: list[str] = field(default_factory=list)  # "age:66", "mag:4.6", "$:5.4e+09"


def _fold(text: str) -> str:
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower().replace("’", "'")


_STEMS: dict[str, str] = {}  # word -> stem, a bounded cache (the same words recur all day)


def _stem(word: str) -> str:
    """A light plural cut ("fires" -> "fire", "elections" -> "election"; not "was", "news", "crisis")."""
    stem = _STEMS.get(word)
    if stem is None:
        stem = word.split("'", 1)[0] if "'" in word else word
        if len(stem) > 4 and stem[-1] == "s" and stem[-2] not in "su" and not stem.endswith("ics"):
            stem = stem[:-3] + "y" if stem.endswith("ies") else stem[:-1]
        if len(_STEMS) >= 200_000:
            _STEMS.clear()
        _STEMS[word] = stem
    return stem


def _terms(text: str) -> Counter[str]:
    counts = Counter(_TERM.findall(_fold(text)))
    for word in counts.keys() & STOPWORDS:
        del counts[word]
    # only plurals and clitics change when stemmed: the other words are kept as they are
    for word in [w for w in counts if w[-1] == "s" or "'" in w]:
        stem = _STEMS.get(word) or _stem(word)  # (the cache read inline: the common case)
        if stem != word:
            counts[stem] += counts.pop(word)
    return counts


def _starts_sentence(line: str, start: int) -> bool:
    before = line[max(start - 4, 0) : start].rstrip()
    if not before:
        return not line[:start].strip()
    return before[-1] in _OPENERS


def _title_case(line: str, capitals: list[tuple[str, bool]]) -> bool:
    """Whether a line is written in title case (a headline, a byline, a caption), not in prose.

    Prose capitalises function words only at a sentence start; title case capitalises them
    inside ("Set To Scale Back", "Moment Of Unity"), or capitalises nearly every word.
    ``capitals``: the line's capitalised words, each with whether it starts a sentence.
    """
    if any(not initial and word.lower() in _FUNCTION_WORDS for word, initial in capitals):
        return True
    capitalised = sum(1 for word, _ in capitals if len(word) > 3)
    if not capitalised:
        return False
    # count the line's longer words only as far as needed: once they outnumber the capitalised
    # ones by more than 10%, neither test below can hold (prose lines stop after a few words)
    longer = 0
    for _ in _LONG_WORD.finditer(line):
        longer += 1
        if 0.9 * longer > capitalised:
            return False
    return longer >= 3 and capitalised >= 0.9 * longer or longer == capitalised and len(line) < 60


_NAME_OF: dict[str, str] = {}  # capitalised word -> its folded form ("" if never a name): bounded cache


def _name_of(word: str) -> str:
    folded = _NAME_OF.get(word)
    if folded is None:
        folded = _stem(word.lower().replace("’", "'") if word.isascii() else _fold(word))
        if folded in _NOT_NAMES or len(folded) < 2:
            folded = ""
        if len(_NAME_OF) >= 200_000:
            _NAME_OF.clear()
        _NAME_OF[word] = folded
    return folded


def names(text: str) -> set[str]:
    """The folded words this text writes as proper names (see the module docstring)."""
    inside: set[str] = set()  # capitalised inside a sentence: a name
    initial: set[str] = set()  # capitalised at a sentence start: a name only if also inside
    name_of = _NAME_OF.get
    for line in text.splitlines():
        if not line:
            continue
        capitals = []
        for match in _CAPITAL.finditer(line):
            start = match.start()  # (_starts_sentence inlined: it runs for every capitalised word)
            before = line[start - 4 if start > 4 else 0 : start].rstrip()
            capitals.append((match.group(), before[-1] in _OPENERS if before else not line[:start].strip()))
        if not capitals or _title_case(line, capitals):
            continue
        for word, starts in capitals:
            folded = name_of(word)
            if folded is None:
                folded = _name_of(word)
            if not folded:
                continue
            if len(word) >= 2 and word.isupper():
                inside.add(folded)  # an acronym is a name wherever it stands
            elif starts:
                initial.add(folded)
            else:
                inside.add(folded)
    return inside | (initial & inside)


def dates(text: str) -> set[str]:
    """Calendar days ("6-18") and years the text mentions."""
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


def quantities(text: str) -> list[str]:
    """Sums of money (two significant digits), ages and magnitudes the text states, first stated first."""
    found: list[tuple[int, str]] = []
    if "$" in text or "€" in text or "£" in text:
        for match in _MONEY.finditer(text):
            value = float(match.group(1).replace(",", "")) * _SCALE.get((match.group(2) or "").lower(), 1.0)
            if value >= 1_000:  # prices of things ("$2.99") say little of which occurrence it is
                found.append((match.start(), f"{match.group(0)[0]}:{value:.2g}"))
    for match in _YEARS_OLD.finditer(text):
        age = _AGE_BEFORE.search(text, max(match.start() - 6, 0), match.start())
        if age is not None:
            found.append((age.start(), f"age:{int(age.group(1))}"))
    if "aged " in text:
        for match in _AGE_AGED.finditer(text):
            if not (match.start() and text[match.start() - 1].isalnum()):  # "aged", not "engaged 24"
                found.append((match.start(), f"age:{int(match.group(1))}"))
    for match in _AGE_APPOSED.finditer(text):
        if match.start() and text[match.start() - 1].isalpha():  # after a name, not a list of numbers
            found.append((match.start(), f"age:{int(match.group(1))}"))
    if "agnitude" in text:
        for match in _MAGNITUDE.finditer(text):
            found.append((match.start(), "mag:" + (match.group(1) or match.group(2)).replace(" ", "")))
    out: list[str] = []
    for _, quantity in sorted(found):
        if quantity not in out:
            out.append(quantity)
    return out[:MAX_QUANTITIES]


def describe(title: str | None, body: str) -> Description:
    """Terms (title counted ``TITLE_WEIGHT`` times, dates among them), names and the event signature of one article."""
    # the lead says what happened; long tails add background, not the event (and cost time)
    lead = body if len(body) <= LEAD_CHARS else body[: body.rfind(" ", 0, LEAD_CHARS) + 1 or LEAD_CHARS]
    terms = _terms(lead)
    if title:
        for word, times in _terms(title).items():
            terms[word] += TITLE_WEIGHT * times
    for day in dates(f"{title}\n{lead}" if title else lead):
        if "-" in day:
            terms[f"d:{day}"] += 1
    if len(terms) > MAX_TERMS:
        # most_common's order (count, then first seen), by one C-level stable sort
        terms = Counter(dict(sorted(terms.items(), key=_COUNT, reverse=True)[:MAX_TERMS]))
    found = names(lead).intersection(terms)
    lede = lead[:LEDE_CHARS]
    return Description(terms, found, quantities(f"{title}\n{lede}" if title else lede))
