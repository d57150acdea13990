"""IPTC Media Topic classification from hand-written weighted lexicons, one per language.

How it works
------------
* ``data/lexicon.txt`` (English) and ``data/lexicon.<lang>.txt`` (German, French, Spanish, Russian) list,
  per Media Topic, weighted terms (words and phrases, including names of entities that are strong topic
  cues: football clubs, central banks, parliaments...). A second-level topic's terms also count for its
  top-level parent (a term's parent weight is the max of the two). An article is matched only against
  the lexicon of its own language; a language without a lexicon gets no topics at all.
* English terms match their surface form and simple plurals; the other languages are inflected, so
  both the terms and the text are reduced to Snowball stems (PyStemmer) before matching. A German
  compound that is not a term is read by its longest known last part ("Drohnenangriff" -> "Angriff").
* A term written ``?term`` is ambiguous for its topic ("ill", "strike", "fish", a headline's "slams"): it
  adds evidence to that topic only if an unambiguous term of the same topic is in the article too.
  Ambiguity belongs to a (term, topic) pair: "strike" can need support as a labour cue and still be
  plain evidence elsewhere; once a term is marked ``?`` under a topic (or one of its subtopics), it
  needs support for that topic even where another line lists it plainly. A term written with capitals
  (``=Apple``) matches only that spelling.
* The text is tokenised (lower case, hyphens split) and matched greedily, longest term first (up to
  four words), so "European Union" is not also read as the labour term "union" and "Premier League" is
  not read as a "premier".
* Evidence for a topic: ``E = sum(weight * (1 + ln(count)))`` over its matched terms, title and body
  read as one text: a title word is one more occurrence, not a doubled weight, so one word in a
  headline cannot decide the topic on its own; only between topics with (almost) equal evidence does
  the one the headline names win (its title evidence is added again at weight ``TITLE_TIE_BREAK``). A
  wire dateline ("LAKE FOREST, Ill. (AP) -") is not topic evidence.
* Score: a logistic calibration of three features, ``ln(1 + E)`` (how much evidence), ``ln(E / E_best)``
  (how it compares with the best topic of the article) and, for the best topic, its margin over the
  runner-up, with coefficients in ``data/calibration.json`` fitted by ``bench/tagging.py --fit`` on the
  project's labelled sets. A score estimates the probability that the topic is right; the bench prints
  the reliability table.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import Stemmer

from pipeline.tagging.vocabulary import MediaTopic, media_topics
from pipeline.text import lower_word_tokens, match_normalise, term_key, word_tokens

MAX_TERM_WORDS = 4
# A title's own evidence is added once more at this tiny weight: it decides between topics that the whole
# text supports (almost) equally, in favour of the one the headline is about, and changes nothing else.
TITLE_TIE_BREAK = 0.001
# Topics scoring below this are not emitted (the best top-level topic always is, if it has evidence).
EMIT_THRESHOLD = 0.2
_SECTION = re.compile(r"^\[(medtop:\d{8})\]$")
_LINE = re.compile(r"^([0-9.]+)(!?):\s*(.*)$")  # "2:" terms; "1!:" names (no plural forms)
# Lexicon file and Snowball stemmer per supported language (English keeps surface forms and plurals).
LANGUAGES: dict[str, tuple[str, str | None]] = {
    "en": ("lexicon.txt", None),
    "de": ("lexicon.de.txt", "german"),
    "fr": ("lexicon.fr.txt", "french"),
    "es": ("lexicon.es.txt", "spanish"),
    "ru": ("lexicon.ru.txt", "russian"),
}
# A wire dateline at the start of a body: "LAKE FOREST, Ill. (AP) - ", "NEW YORK (Reuters) - ",
# "ATHENS, Greece - ", "AP - ", "BOCHUM - ". Place names and agency tags are not topic evidence.
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Z.'\u00c0-\u00de-]*(?:[ ,/]+[A-Z][A-Za-z.'\u00c0-\u00ff-]*){0,5}\s*)?"
    r"(?:\([^)]{1,40}\)\s*)?(?:-{1,2}|\u2013|\u2014|:)\s"
)


def strip_dateline(body: str) -> str:
    """``body`` without a leading wire dateline (the first line only; short, mostly capitals)."""
    match = _DATELINE.match(body[:120])
    if not match:
        return body
    prefix = match.group(0)
    letters = [c for c in prefix if c.isalpha()]
    # a dateline is mostly capitals ("NEW YORK", "LAKE FOREST, Ill.", "AP"); a sentence is not
    if letters and sum(c.isupper() for c in letters) / len(letters) < 0.6:
        return body
    return body[len(prefix):]


def _plurals(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The term and simple English plural forms of its last word."""
    *head, last = key
    forms = [key]
    if not last.isalpha() or len(last) < 3:
        return forms
    if last.endswith("y") and last[-2] not in "aeiou":
        forms.append((*head, last[:-1] + "ies"))
    elif last.endswith(("s", "x", "ch", "sh")):
        forms.append((*head, last + "es"))
    else:
        forms.append((*head, last + "s"))
    return forms


@dataclass(frozen=True)
class Lexicon:
    """term tuple -> ((topic code, weight), ...); ``first_words`` of multi-word terms.

    ``ambiguous``: term -> the topics for which it counts only beside unambiguous evidence for that topic.
    ``exact``: one-word terms that match only with one spelling, per topic (lower-case key -> {topic code:
    required spelling}): "=Heat" is a team only as "Heat", and "heat" is still weather in any case.
    ``stem``: how text tokens are reduced before matching (None: surface forms).
    """

    terms: dict[tuple[str, ...], tuple[tuple[str, float], ...]]
    multi_first: frozenset[str]
    ambiguous: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    exact: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)
    stem: object = None
    compounds: bool = False  # read unknown compounds by their last part (German)
    single_words: frozenset[str] = field(init=False)  # one-word terms, unwrapped for set intersection
    second_words: dict[str, frozenset[str]] = field(init=False)  # first word -> second words of its terms

    def __post_init__(self) -> None:
        seconds: dict[str, set[str]] = {}
        for key in self.terms:
            if len(key) > 1:
                seconds.setdefault(key[0], set()).add(key[1])
        object.__setattr__(self, "single_words", frozenset(key[0] for key in self.terms if len(key) == 1))
        object.__setattr__(self, "second_words", {first: frozenset(s) for first, s in seconds.items()})
        object.__setattr__(self, "_heads", {})

    def tokens(self, lower: list[str]) -> list[str]:
        """Lower-case text tokens as this lexicon's keys are written (stemmed for inflected languages)."""
        if self.stem is None:
            return lower
        stems = self.stem.stemWords(lower)
        if not self.compounds:
            return stems
        heads = self._heads
        return [heads[t] if t in heads else self._head(t) for t in stems]

    def _head(self, stem: str) -> str:
        """A German compound that is no term is read by its longest known last part
        ("drohnenangriff" -> "angriff", "fußballtrainer" -> "trainer"); other words stay as they are."""
        head = stem
        if len(stem) >= 9 and stem not in self.single_words:
            for start in range(4, len(stem) - 3):
                if stem[start:] in self.single_words:
                    head = stem[start:]
                    break
        if len(self._heads) < 200_000:  # the vocabulary of a language, not of a corpus
            self._heads[stem] = head
        return head


def parse_lexicon(
    text: str, topics: dict[str, MediaTopic], stemmer: str | None = None, compounds: bool = False
) -> Lexicon:
    stem = Stemmer.Stemmer(stemmer) if stemmer else None
    weights: dict[tuple[str, ...], dict[str, float]] = {}
    ambiguous: dict[tuple[str, ...], set[str]] = {}
    exact: dict[tuple[str, ...], dict[str, str]] = {}
    section: str | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if match := _SECTION.match(line):
            section = match.group(1)
            if section not in topics:
                raise ValueError(f"lexicon section {section} is not in the vocabulary")
            continue
        match = _LINE.match(line)
        if not match or section is None:
            raise ValueError(f"bad lexicon line: {raw_line!r}")
        weight = float(match.group(1))
        names = bool(match.group(2))  # "France" has no plural: "Frances" is a name of its own
        owners = [section]
        if topics[section].parent:
            owners.append(topics[section].parent)  # a subtopic's evidence is its parent's too
        for raw_term in match.group(3).split(","):
            term = raw_term.strip()
            is_ambiguous = term.startswith("?")
            term = term.lstrip("?")
            is_exact = term.startswith("=")
            term = term.lstrip("=")
            key = term_key(term)
            if not key:
                continue
            if stem is not None:
                key = tuple(stem.stemWords(list(key)))
            forms = [key] if stem is not None or is_exact or names else _plurals(key)
            for form in forms:
                if is_ambiguous:
                    ambiguous.setdefault(form, set()).update(owners)
                if is_exact and len(form) == 1:
                    spelling = word_tokens(match_normalise(term))[0]
                    exact.setdefault(form, {}).update(dict.fromkeys(owners, spelling))
                slot = weights.setdefault(form, {})
                for owner in owners:
                    slot[owner] = max(slot.get(owner, 0.0), weight)
    terms = {key: tuple(sorted(slot.items())) for key, slot in weights.items()}
    for key, codes in ambiguous.items():  # a term that needs support for a topic needs it for its subtopics
        codes.update(code for code in weights[key] if topics[code].parent in codes)
    return Lexicon(
        terms, frozenset(key[0] for key in terms if len(key) > 1),
        {key: frozenset(codes) for key, codes in ambiguous.items()}, exact, stem, compounds,
    )


@cache
def language_lexicon(lang: str) -> Lexicon | None:
    """The lexicon for ISO 639-1 ``lang``, or None when the language has none."""
    if lang not in LANGUAGES:
        return None
    name, stemmer = LANGUAGES[lang]
    text = resources.files(__package__).joinpath(f"data/{name}").read_text("utf-8")
    return parse_lexicon(text, media_topics(), stemmer, compounds=lang == "de")


def default_lexicon() -> Lexicon:
    lexicon = language_lexicon("en")
    assert lexicon is not None
    return lexicon


@lru_cache(maxsize=1)
def topic_priors() -> dict[str, float]:
    """Top-level code -> evidence factor (``data/topic_priors.tsv``), applied to the code and its subtopics."""
    text = resources.files(__package__).joinpath("data/topic_priors.tsv").read_text("utf-8")
    factors = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            code, factor = line.split("\t")
            factors[code] = float(factor)
    topics = media_topics()
    return {code: factors[t.top_level] for code, t in topics.items() if t.top_level in factors}


@dataclass(frozen=True)
class Calibration:
    evidence: float
    relative: float
    margin: float
    bias: float

    def score(self, evidence: float, best: float, margin: float = 0.0) -> float:
        """``margin``: for the best topic, 1 - E_second / E_best; 0 for the others."""
        if evidence <= 0.0:
            return 0.0
        z = (
            self.evidence * math.log1p(evidence)
            + self.relative * math.log(evidence / best)
            + self.margin * margin
            + self.bias
        )
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    raw = json.loads(resources.files(__package__).joinpath("data/calibration.json").read_text("utf-8"))
    return Calibration(raw["evidence"], raw["relative"], raw.get("margin", 0.0), raw["bias"])


def match_counts(tokens: list[str], lexicon: Lexicon) -> dict[tuple[str, ...], int]:
    """Greedy longest-first matches of lexicon terms in lower-case ``tokens``.

    Keys come sorted, whatever their positions, so evidence is always summed in the same order (scores do
    not move by a float ulp between texts with the same terms). Only the few tokens that can start a
    multi-word term are visited in Python; single words are counted by ``Counter`` in C.
    """
    terms, multi_first, second_words = lexicon.terms, lexicon.multi_first, lexicon.second_words
    n = len(tokens)
    found: dict[tuple[str, ...], int] = {}
    consumed: list[int] = []
    free = 0  # first position not inside an earlier multi-word match
    for i in [i for i, token in enumerate(tokens) if token in multi_first]:
        if i < free or i + 1 == n or tokens[i + 1] not in second_words[tokens[i]]:
            continue  # no term starts with this word pair: cheap test before building tuples
        for size in range(min(MAX_TERM_WORDS, n - i), 1, -1):
            key = tuple(tokens[i : i + size])
            if key in terms:
                found[key] = found.get(key, 0) + 1
                consumed.extend(range(i, i + size))
                free = i + size
                break
    singles = Counter(tokens)
    if consumed:
        singles.subtract(tokens[i] for i in consumed)
    for word in lexicon.single_words.intersection(singles):
        if singles[word] > 0:
            found[(word,)] = singles[word]
    return {key: found[key] for key in sorted(found)}


def topic_evidence(title: str | None, body: str, lexicon: Lexicon) -> dict[str, float]:
    """Topic code -> evidence E (see module docstring)."""
    body = strip_dateline(match_normalise(body))
    text = f"{match_normalise(title)}\n{body}" if title else body
    title_words = len(lower_word_tokens(match_normalise(title))) if title else 0
    return token_evidence(
        lower_word_tokens(text), lexicon, set(word_tokens(text)) if lexicon.exact else None, title_words
    )


def _summed(counts: dict[tuple[str, ...], int], lexicon: Lexicon, spelled: set[str] | None) -> dict[str, float]:
    evidence: dict[str, float] = {}
    pending: list[tuple[str, float]] = []
    exact, ambiguous, terms = lexicon.exact, lexicon.ambiguous, lexicon.terms
    for key, count in counts.items():
        factor = 1.0 + math.log(count)
        needs_support = ambiguous.get(key)
        spellings = exact.get(key) if exact else None
        for code, weight in terms[key]:
            if spellings and code in spellings and (spelled is None or spellings[code] not in spelled):
                continue  # "=Heat": the team only with its capital
            if needs_support and code in needs_support:
                pending.append((code, weight * factor))
            else:
                evidence[code] = evidence.get(code, 0.0) + weight * factor
    for code, value in pending:  # ambiguous words need unambiguous support for the same topic
        if code in evidence:
            evidence[code] += value
    return evidence


def token_evidence(
    tokens: list[str], lexicon: Lexicon, spelled: set[str] | None = None, title_words: int = 0
) -> dict[str, float]:
    """``topic_evidence`` from lower-case tokens of the (normalised) title and body.

    ``spelled``: the case-preserving tokens of the text, needed only by lexicons with exact-case terms.
    ``title_words``: how many of ``tokens`` are the title's; a topic the headline names wins a tie.
    """
    keys = lexicon.tokens(tokens)
    evidence = _summed(match_counts(keys, lexicon), lexicon, spelled)
    if title_words and evidence:
        for code, value in _summed(match_counts(keys[:title_words], lexicon), lexicon, spelled).items():
            if code in evidence:
                evidence[code] += TITLE_TIE_BREAK * value
    priors = topic_priors()
    for code in priors.keys() & evidence.keys():
        evidence[code] *= priors[code]
    return evidence


class TopicClassifier:
    """Scores every vocabulary topic for a text in one language; stateless once built."""

    def __init__(
        self, lexicon: Lexicon | None = None, calibration: Calibration | None = None, lang: str = "en"
    ) -> None:
        self.topics = media_topics()
        self.lexicon = lexicon or language_lexicon(lang) or default_lexicon()
        self.calibration = calibration or default_calibration()

    def scores(self, title: str | None, body: str) -> dict[str, float]:
        """Code -> calibrated score for every topic with evidence."""
        return self._calibrated(topic_evidence(title, body, self.lexicon))

    def _calibrated(self, evidence: dict[str, float]) -> dict[str, float]:
        if not evidence:
            return {}
        tops = sorted((e for code, e in evidence.items() if self.topics[code].parent is None), reverse=True)
        best = tops[0]
        margin = 1.0 - (tops[1] / best if len(tops) > 1 else 0.0)
        score = self.calibration.score
        return {code: score(e, best, margin if e == best else 0.0) for code, e in evidence.items()}

    def classify(self, title: str | None, body: str) -> list[tuple[str, str, float]]:
        """(code, label, score) above the emit threshold, every subtopic with its parent, best first."""
        return self._chosen(self.scores(title, body))

    def classify_tokens(
        self, tokens: list[str], spelled: set[str] | None = None, title_words: int = 0
    ) -> list[tuple[str, str, float]]:
        """``classify`` from lower-case tokens of the normalised title and body (see ``Tagger.tag``);
        the first ``title_words`` of them are the title's."""
        return self._chosen(self._calibrated(token_evidence(tokens, self.lexicon, spelled, title_words)))

    def _chosen(self, scores: dict[str, float]) -> list[tuple[str, str, float]]:
        if not scores:
            return []
        top = {code: s for code, s in scores.items() if self.topics[code].parent is None}
        best_top = min(top, key=lambda code: (-top[code], code))
        chosen = {code: s for code, s in scores.items() if s >= EMIT_THRESHOLD}
        chosen.setdefault(best_top, top[best_top])
        for code in list(chosen):
            parent = self.topics[code].parent
            if parent:  # the top-level ancestor is always present, never scored below its child
                chosen[parent] = max(chosen.get(parent, 0.0), scores.get(parent, 0.0), chosen[code])
        ranked = sorted(chosen.items(), key=lambda item: (-item[1], item[0]))
        return [(code, self.topics[code].label, round(score, 4)) for code, score in ranked]
