"""IPTC Media Topic classification from a hand-written weighted lexicon.

How it works
------------
* ``data/lexicon.txt`` lists, per Media Topic, weighted terms (words and phrases, including names of
  entities that are strong topic cues: football clubs, central banks, parliaments...). A second-level
  topic's terms also count for its top-level parent (a term's parent weight is the max of the two).
* The text is tokenised (lower case, hyphens split) and matched greedily, longest term first (up to
  four words), so "European Union" is not also read as the labour term "union" and "Premier League" is
  not read as a "premier".
* Evidence for a topic: ``E = sum(weight * (1 + ln(count)))`` over its matched terms; title matches
  count twice. Repeats add little, breadth of vocabulary adds a lot.
* Score: a logistic calibration of two features, ``ln(1 + E)`` (how much evidence) and
  ``ln(E / E_best)`` (how it compares with the best topic of the article), with coefficients in
  ``data/calibration.json``, fitted on the project's own hand-labelled set (``bench/tagging.py --fit``).
  A score is the estimated probability that a news editor would put the topic on the article; see the
  bench output for precision at the 0.5 threshold.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from pipeline.tagging.text import lower_word_tokens, normalise, term_key
from pipeline.tagging.vocabulary import MediaTopic, media_topics

MAX_TERM_WORDS = 4
TITLE_WEIGHT = 2
# Topics scoring below this are not emitted (the best top-level topic always is, if it has evidence).
EMIT_THRESHOLD = 0.2
_SECTION = re.compile(r"^\[(medtop:\d{8})\]$")
_LINE = re.compile(r"^([0-9.]+):\s*(.*)$")


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
    """term tuple -> ((topic code, weight), ...); ``first_words`` of multi-word terms."""

    terms: dict[tuple[str, ...], tuple[tuple[str, float], ...]]
    multi_first: frozenset[str]
    single_words: frozenset[str] = field(init=False)  # one-word terms, unwrapped for set intersection
    second_words: dict[str, frozenset[str]] = field(init=False)  # first word -> second words of its terms

    def __post_init__(self) -> None:
        seconds: dict[str, set[str]] = {}
        for key in self.terms:
            if len(key) > 1:
                seconds.setdefault(key[0], set()).add(key[1])
        object.__setattr__(self, "single_words", frozenset(key[0] for key in self.terms if len(key) == 1))
        object.__setattr__(self, "second_words", {first: frozenset(s) for first, s in seconds.items()})


def parse_lexicon(text: str, topics: dict[str, MediaTopic]) -> Lexicon:
    weights: dict[tuple[str, ...], dict[str, float]] = {}
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
        owners = [section]
        if topics[section].parent:
            owners.append(topics[section].parent)  # a subtopic's evidence is its parent's too
        for term in match.group(2).split(","):
            key = term_key(term)
            if not key:
                continue
            for form in _plurals(key):
                slot = weights.setdefault(form, {})
                for owner in owners:
                    slot[owner] = max(slot.get(owner, 0.0), weight)
    terms = {key: tuple(sorted(slot.items())) for key, slot in weights.items()}
    return Lexicon(terms, frozenset(key[0] for key in terms if len(key) > 1))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    text = resources.files(__package__).joinpath("data/lexicon.txt").read_text("utf-8")
    return parse_lexicon(text, media_topics())


@dataclass(frozen=True)
class Calibration:
    evidence: float
    relative: float
    bias: float

    def score(self, evidence: float, best: float) -> float:
        if evidence <= 0.0:
            return 0.0
        z = self.evidence * math.log1p(evidence) + self.relative * math.log(evidence / best) + self.bias
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    raw = json.loads(resources.files(__package__).joinpath("data/calibration.json").read_text("utf-8"))
    return Calibration(raw["evidence"], raw["relative"], raw["bias"])


def match_counts(tokens: list[str], lexicon: Lexicon) -> dict[tuple[str, ...], int]:
    """Greedy longest-first matches of lexicon terms in lower-case ``tokens``.

    Keys come in the order of their first match, as a left-to-right scan finds them (evidence is summed
    in that order, so scores do not move by a float ulp). Only the few tokens that can start a multi-word
    term are visited in Python; single words are counted by ``Counter`` in C.
    """
    terms, multi_first, second_words = lexicon.terms, lexicon.multi_first, lexicon.second_words
    n = len(tokens)
    multi: dict[tuple[str, ...], int] = {}
    first_at: dict[tuple[str, ...], int] = {}
    consumed: list[int] = []
    free = 0  # first position not inside an earlier multi-word match
    for i in [i for i, token in enumerate(tokens) if token in multi_first]:
        if i < free or i + 1 == n or tokens[i + 1] not in second_words[tokens[i]]:
            continue  # no term starts with this word pair: cheap test before building tuples
        for size in range(min(MAX_TERM_WORDS, n - i), 1, -1):
            key = tuple(tokens[i : i + size])
            if key in terms:
                multi[key] = multi.get(key, 0) + 1
                first_at.setdefault(key, i)
                consumed.extend(range(i, i + size))
                free = i + size
                break
    singles = Counter(tokens)
    if consumed:
        singles.subtract(tokens[i] for i in consumed)
    skipped = set(consumed)
    first_seen = dict(zip(reversed(tokens), range(n - 1, -1, -1), strict=True))  # word -> first position
    for word in lexicon.single_words.intersection(singles):
        if singles[word] > 0:
            at = first_seen[word]
            while at in skipped:
                at = tokens.index(word, at + 1)
            key = (word,)
            multi[key] = singles[word]
            first_at[key] = at
    return {key: multi[key] for key in sorted(multi, key=first_at.__getitem__)}


def topic_evidence(title: str | None, body: str, lexicon: Lexicon) -> dict[str, float]:
    """Topic code -> evidence E (see module docstring)."""
    title_tokens = lower_word_tokens(normalise(title)) if title else None
    return token_evidence(title_tokens, lower_word_tokens(normalise(body)), lexicon)


def token_evidence(title: list[str] | None, body: list[str], lexicon: Lexicon) -> dict[str, float]:
    """``topic_evidence`` from lower-case tokens of the (normalised) title and body."""
    counts = match_counts(body, lexicon)
    if title:
        for key, count in match_counts(title, lexicon).items():
            counts[key] = counts.get(key, 0) + TITLE_WEIGHT * count
    evidence: dict[str, float] = {}
    for key, count in counts.items():
        factor = 1.0 + math.log(count)
        for code, weight in lexicon.terms[key]:
            evidence[code] = evidence.get(code, 0.0) + weight * factor
    return evidence


class TopicClassifier:
    """Scores every vocabulary topic for a text; stateless once built."""

    def __init__(self, lexicon: Lexicon | None = None, calibration: Calibration | None = None) -> None:
        self.topics = media_topics()
        self.lexicon = lexicon or default_lexicon()
        self.calibration = calibration or default_calibration()

    def scores(self, title: str | None, body: str) -> dict[str, float]:
        """Code -> calibrated score for every topic with evidence."""
        return self._calibrated(topic_evidence(title, body, self.lexicon))

    def _calibrated(self, evidence: dict[str, float]) -> dict[str, float]:
        if not evidence:
            return {}
        best = max(e for code, e in evidence.items() if self.topics[code].parent is None)
        return {code: self.calibration.score(e, best) for code, e in evidence.items()}

    def classify(self, title: str | None, body: str) -> list[tuple[str, str, float]]:
        """(code, label, score) above the emit threshold, every subtopic with its parent, best first."""
        return self._chosen(self.scores(title, body))

    def classify_tokens(self, title: list[str] | None, body: list[str]) -> list[tuple[str, str, float]]:
        """``classify`` from lower-case tokens of the normalised title and body (see ``Tagger.tag``)."""
        return self._chosen(self._calibrated(token_evidence(title, body, self.lexicon)))

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
