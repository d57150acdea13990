"""Story clustering: articles about the same event share a story id.

An article is a TF-IDF vector of its title and lead (``features.describe``), with IDF
learnt from the stream itself: document frequencies over the articles in the window,
counted when an article arrives and taken back when it leaves. A story is a *decaying
centroid*: the sum of its members' vectors, each weighed down by half every
``HALF_LIFE`` seconds, so the story is what its recent articles say and drifts only as
fast as its coverage (no endless chaining from a harassment report to a hurricane).

An article joins the best live story if

    cosine(article, centroid) + ENTITY_WEIGHT * shared name mass - GAP_COST * idle days  >=  JOIN

where the shared name mass is the IDF-weighted share of the article's proper names the
story also carries (names written capitalised where case means something, see
features.py), and idle days the time since the story's last article beyond ``GRACE``:
coverage of one event comes in bursts, so a story that has been quiet for longer must be
matched more closely, and past ``MAX_IDLE`` it is not joined at all.

Otherwise the article starts a story whose id is its own id, so ids never change once
given.

The score loses ``QUANTITY_COST`` when the article's *event signature* contradicts the
story's: the quantities its lede states (sums of money, ages, earthquake magnitudes; see
features.py) include a kind the story's members also state, and none of its values is one
of theirs (money within a factor of ``MONEY_RATIO``). That is positive evidence of another
occurrence: the other hit-and-run's victim is 66, not 59; the other takeover costs $5.4 billion,
not $334 million. Articles of one event that merely state *more* (a second person's age, a
second sum) share a value with the story and are not affected, nor are articles or stories
that state none.

Parallel stories: when one event has grown two stories (the second article did not
reach the first one's threshold), an article that joins one and resembles the other
(score >= ``MERGE_FLOOR``), once the two centroids are alike (cosine >=
``MERGE_SIMILARITY``), merges them: the younger story becomes an alias of the older
one and later articles (and copies of the younger story's articles) get the older id.
Articles already published keep the id they were given.

Sibling events (the same kind of event, the same places and people, another occurrence: two
fires at one supermarket chain) share most of their words, so the first article of the second
event often joins the first event's story. An article that joins with a weak score (below
``HOLD_BELOW``) is therefore *held apart* in the story's record: its id is published at once,
but the story keeps its vector. If a later article is far more alike the held article than
the rest of the story (``FORK_MARGIN``), the two are a second event: the held article's
vector leaves the story's centroid and the later article starts a story named after the held
article (its id was never used as a story id; the held article itself keeps the id it was
published with). The two are never merged back. After ``HOLD_JOINS`` later articles that do not
side with it, the held article is taken for a member.

State, all in the caller's MutableMapping (JSON values only, bounded by the window):
  "s:<story>" -> {"t": last article time, "b": first, "n": size, "c": {term: weight} (the
                  centroid's top terms, as of "t"), "z": its norm, "e": [its names],
                  "x": {the held article: "i" id, "t" time, "c" vector, "e" names, "j" joins since},
                  "q": [the latest quantities its members stated, e.g. "age:59", "$:3.3e+08"],
                  "p": the story it was forked out of}
                 or {"m": the story it was merged into, "t": ...}
  "w:<term hash>" -> [document frequency, latest story ids with the term among their top terms]
  "docs" -> articles counted in the frequencies
Each article's record (deduper.py) keeps its terms' hashes under "w", so they are taken
back from the frequencies when it leaves the window.
"""

from __future__ import annotations

import binascii
import math
import zlib
from collections.abc import Iterable, MutableMapping
from itertools import repeat
from operator import add, itemgetter, mul, truediv
from typing import Any

import numpy as np

from pipeline.dedupe.features import Description, describe

HALF_LIFE = 86_400.0  # a story's centroid halves its older members' weight every day
MAX_IDLE = 3 * 86_400  # a story with nothing new for this long is not joined
JOIN = 0.20  # with the steeper idle cost: within a burst a looser match, after a quiet day a closer one
GAP_COST = 0.3  # per idle day beyond the grace: coverage of one event comes in bursts
GRACE = 43_200  # half a day quiet costs nothing
ENTITY_WEIGHT = 0.15
NAME_BOOST = 1.5
MERGE_FLOOR = 0.15
MERGE_CHECKS = 3  # the best-scored stories the merge check looks at
# two stories' centroids this alike, both matched by one article, merge (0.45 merged only sibling
# events on stories-dev once siblings were held apart)
MERGE_SIMILARITY = 0.6
HOLD_BELOW = 0.5  # an article that joins with a lower score is held apart: it may be a sibling's first article
HOLD_JOINS = 3  # joins after which the held article is taken for a member
FORK_MIN = 0.2  # an article this alike the held one (cosine) ...
FORK_MARGIN = 0.25  # ... and this much more alike it than the rest of the story forks the held one's story out
# a contradicting signature turns a weak match (0.20-0.40) into a story of its own; a close one still joins
QUANTITY_COST = 0.2
# sums of one event quoted differently ("$1.2 trillion", "$550 billion of it new spending") still
# agree; another deal's price is most often an order of magnitude away
MONEY_RATIO = 4.0
_MONEY_KINDS = frozenset("$€£")  # the kinds of quantity that are sums of money (features.quantities)
STORY_QUANTITIES = 12  # the latest distinct quantities a story keeps (bounded state)
CENTROID_TERMS = 48
POSTED_TERMS = 10  # an article posts its story under its heaviest terms
QUERY_TERMS = 12  # and looks for candidates under its heaviest terms
POSTINGS = 6
CANDIDATES = 4
IDF_PRIOR = 5  # smooths the first articles' frequencies (a word's IDF is never below zero)


def term_hash(term: str) -> int:
    """A stable 32-bit id of a term (the same in every process: frequencies are shared)."""
    return zlib.crc32(term.encode("utf-8"))


class _Ids(dict):
    """term -> (its frequency key, its hash): a bounded cache, looked up in C (``map``) on a hit."""

    def __missing__(self, term: str) -> tuple[str, int]:
        if len(self) >= 200_000:
            self.clear()
        value = term_hash(term)
        ids = self[term] = (f"w:{value:08x}", value)
        return ids


_IDS = _Ids()
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
class _Keys(dict):
    """term hash -> its frequency key (leaving articles): a bounded cache, looked up in C."""

    def __missing__(self, value: int) -> str:
        if len(self) >= 200_000:
            self.clear()
        key = self[value] = f"w:{value:08x}"
        return key


_KEYS = _Keys()


def encode_hashes(hashes: list[int]) -> str:
    return binascii.b2a_base64(np.asarray(hashes, dtype="<u4").tobytes(), newline=False).decode("ascii")


def decode_hashes(text: str) -> list[int]:
    return np.frombuffer(binascii.a2b_base64(text), dtype="<u4").tolist()


class Stories:
    """Assigns story ids over a store; every method is deterministic in its inputs."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store

    @staticmethod
    def describe(title: str | None, body: str) -> Description:
        return describe(title, body)

    # -- the one decision --------------------------------------------------------------
    def assign(self, article_id: str, about: Description, at: int, since: int) -> tuple[str, int, str]:
        """(story id, story size after joining, the article's encoded term hashes) for a new article.

        Only stories with an article at or after ``since`` (the dedupe window) are joined.
        """
        store = self.store
        docs = int(store.get("docs", 0)) + 1
        store["docs"] = docs
        # the terms' stored frequency entries, IDF and weights, by C-level maps (no Python step per term)
        terms = about.terms
        ids = list(map(_IDS.__getitem__, terms))
        keys = list(map(_FIRST, ids))
        found = list(map(store.get, keys))
        smoothed = docs + IDF_PRIOR
        frequencies = [1.5 if entry is None else entry[0] + 1.5 for entry in found]
        weights = [w if w >= 0.0 else 0.0 for w in map(math.log, map(truediv, repeat(smoothed), frequencies))]
        idf = dict(zip(terms, weights, strict=True))
        vector = dict(zip(terms, map(mul, terms.values(), weights), strict=True))
        for name in about.names:  # (x * 1.0 is x: only the names' weights change)
            if name in vector:
                vector[name] *= NAME_BOOST
        values = vector.values()
        norm = math.sqrt(sum(map(mul, values, values))) or 1.0
        vector = dict(zip(vector, map(truediv, values, repeat(norm)), strict=False))
        heavy = sorted(vector, key=vector.__getitem__, reverse=True)  # ties: in the article's order
        posted = dict(zip(about.terms, found, strict=True))
        scored = self._candidates(vector, heavy[:QUERY_TERMS], posted, about, idf, at, since)
        hold = False
        if scored and scored[0][0] >= JOIN:
            score, story, record = scored[0]
            held = record.get("x")
            forked = None if held is None else self._fork(story, record, held, vector, at)
            if forked is not None:
                story, record = forked
            elif held is not None:
                # one more article that did not side with the held one: after a few, it is a member
                if held["j"] + 1 >= HOLD_JOINS:
                    del record["x"]
                else:
                    record["x"] = {**held, "j": held["j"] + 1}
            elif score < HOLD_BELOW:
                hold = True
        else:
            story, record = article_id, {"t": at, "n": 0, "c": {}, "z": 0.0, "e": []}
        self._join(story, record, vector, about, at)
        if hold:
            record["x"] = {
                "i": article_id, "t": at, "j": 0, "e": sorted(about.names),
                "c": dict(zip(vector, map(round, vector.values(), repeat(4)), strict=True)),
            }  # fmt: skip
            store[f"s:{story}"] = record
        # parallel stories: one the article nearly joined, now alike the story it did join
        for near, other, other_record in scored[:MERGE_CHECKS]:
            if other == story or near < MERGE_FLOOR:
                continue
            if record.get("p") == other or other_record.get("p") == story:
                continue  # a story forked out of the other: told apart on purpose, not a parallel story
            if self._alike(record, other_record) >= MERGE_SIMILARITY:
                story, record = self._merge(story, record, other, other_record, at)
                store[f"s:{story}"] = record
        posting = set(heavy[:POSTED_TERMS])
        for term, key, entry in zip(terms, keys, found, strict=True):
            if term in posting:
                if entry is None:
                    entry = [1, story]
                elif story not in entry[1:]:
                    entry = [entry[0] + 1, *[*entry[1:], story][-POSTINGS:]]
                else:
                    entry = [entry[0] + 1, *entry[1:]]
            else:  # (a stored value is never changed in place)
                entry = [1] if entry is None else [entry[0] + 1, *entry[1:]]
            store[key] = entry
        return story, record["n"], encode_hashes(sorted(set(map(_SECOND, ids))))

    def _candidates(
        self,
        vector: dict[str, float],
        query: list[str],
        posted: dict[str, list[Any] | None],
        about: Description,
        idf: dict[str, float],
        at: int,
        since: int,
    ) -> list[tuple[float, str, dict[str, Any]]]:
        """Live stories the article may join, best first: (score, story, record).

        ``posted``: each term's frequency entry as stored before this article (its story ids).
        """
        stated = about.quantities
        votes: dict[str, float] = {}
        for term in query:
            entry = posted[term]
            if entry is not None:
                weight = vector[term]
                for story in entry[1:]:
                    votes[story] = votes.get(story, 0.0) + weight
        name_mass = sum(idf[n] for n in about.names) or 1.0
        out: list[tuple[float, str, dict[str, Any]]] = []
        seen: set[str] = set()
        for story in sorted(votes, key=lambda s: (-votes[s], s))[:CANDIDATES]:
            story, record = self._resolve(story)
            if record is None or story in seen or record["t"] < since or at - record["t"] > MAX_IDLE:
                continue
            seen.add(story)
            centroid = record["c"]
            # (the centroid's terms the article lacks add 0.0: a sum over the shared terms, in C)
            dot = sum(map(mul, map(vector.get, centroid, repeat(0.0)), centroid.values()))
            cosine = dot / (record["z"] or 1.0)
            shared = sum(idf[n] for n in about.names.intersection(record["e"])) / name_mass
            idle_days = max(at - record["t"] - GRACE, 0) / 86_400
            score = cosine + ENTITY_WEIGHT * shared - GAP_COST * idle_days
            if stated and "q" in record and _conflict(stated, record["q"]):
                score -= QUANTITY_COST
            out.append((score, story, record))
        out.sort(key=lambda x: (-x[0], x[1]))
        return out

    def _fork(
        self, story: str, record: dict[str, Any], held: dict[str, Any], vector: dict[str, float], at: int
    ) -> tuple[str, dict[str, Any]] | None:
        """The held article's own story (id, record) if this article sides with it, not with the rest.

        The held article joined with a weak score: it may be the first article of a sibling
        event (same kind, same places, another occurrence). An article far more alike it than
        the rest of the story is the second article of that event: the held article's vector
        leaves the story's centroid and the two start a story named after the held article
        (which keeps the id it was published with: ids never change). Otherwise None.
        """
        seed = held["c"]  # the held article's unit vector
        to_seed = sum(vector[t] * seed[t] for t in vector.keys() & seed.keys())
        if to_seed < FORK_MIN:
            return None
        # the story's centroid without the held article, as of its last article (the cosine is
        # the same at any later time: decay scales every term alike)
        factor = 0.5 ** (max(record["t"] - held["t"], 0) / HALF_LIFE)
        rest = dict(record["c"])
        for term, weight in seed.items():
            left = rest.get(term, 0.0) - weight * factor
            if left > 1e-4:
                rest[term] = left
            else:
                rest.pop(term, None)
        if to_seed < _cosine(vector, rest) + FORK_MARGIN:
            return None
        del record["x"]
        record["c"], record["z"] = _top(rest)
        record["e"] = [n for n in record["e"] if n in record["c"]]
        self.store[f"s:{story}"] = record
        centroid, norm = _top(seed)
        # "n": no published article carries this id yet; "p": the story it was forked out of (its parent)
        return held["i"], {"t": held["t"], "b": held["t"], "n": 0, "c": centroid, "z": norm, "e": held["e"], "p": story}

    def _resolve(self, story: str) -> tuple[str, dict[str, Any] | None]:
        """A story id through its merges (at most a few hops) to the live story and its record."""
        for _ in range(4):
            record = self.store.get(f"s:{story}")
            if record is None or "m" not in record:
                return story, record
            story = record["m"]
        return story, self.store.get(f"s:{story}")

    @staticmethod
    def _alike(one: dict[str, Any], other: dict[str, Any]) -> float:
        """Cosine of two stories' centroids (their records, with the stored norms)."""
        first, second = one["c"], other["c"]
        common = first.keys() & second.keys()
        dot = sum(map(mul, map(first.__getitem__, common), map(second.__getitem__, common)))
        return dot / ((one["z"] * other["z"]) or 1.0)

    def _merge(
        self, story: str, record: dict[str, Any], other: str, other_record: dict[str, Any], at: int
    ) -> tuple[str, dict[str, Any]]:
        """Fold the younger of two parallel stories into the older (the older id lives on)."""
        pair = sorted(((story, record), (other, other_record)), key=lambda x: (x[1].get("b", x[1]["t"]), x[0]))
        (keep, kept), (gone, folded) = pair
        centroid = self._decayed(kept, at)
        for term, weight in self._decayed(folded, at).items():
            centroid[term] = centroid.get(term, 0.0) + weight
        kept["c"], kept["z"] = _top(centroid)
        kept["e"] = sorted(set(kept["e"]) | set(folded["e"]))[:32]
        if "q" in folded:
            kept["q"] = _latest_quantities(kept.get("q", ()), folded["q"])
        kept["n"] += folded["n"]
        kept["t"] = at
        self.store[f"s:{gone}"] = {"m": keep, "t": max(folded["t"], at)}
        return keep, kept

    @staticmethod
    def _decayed(record: dict[str, Any], at: int) -> dict[str, float]:
        factor = 0.5 ** (max(at - record["t"], 0) / HALF_LIFE)
        centroid = record["c"]
        return dict(zip(centroid, map(mul, centroid.values(), repeat(factor)), strict=False))

    def _join(self, story: str, record: dict[str, Any], vector: dict[str, float], about: Description, at: int) -> None:
        centroid = self._decayed(record, at)
        # each term's decayed weight plus the article's (read before its own update: terms are distinct)
        sums = map(add, map(centroid.get, vector, repeat(0.0)), vector.values())
        centroid.update(zip(vector, sums, strict=True))
        record["c"], record["z"] = _top(centroid)
        names = [n for n in record["e"] if n in record["c"]]
        record["e"] = sorted(set(names) | {n for n in about.names if n in record["c"]})
        if about.quantities:
            record["q"] = _latest_quantities(record.get("q", ()), about.quantities)
        record["n"] += 1
        record.setdefault("b", at)
        record["t"] = max(record["t"], at)
        self.store[f"s:{story}"] = record

    # -- copies, and leaving the window ---------------------------------------------------
    def touch(self, story: str, at: int) -> tuple[str, int | None]:
        """A duplicate joins its original's story (through merges): (story id, new size)."""
        story, record = self._resolve(story)
        if record is None:
            return story, None
        record["n"] += 1
        record["t"] = max(record["t"], at)
        self.store[f"s:{story}"] = record
        return story, record["n"]

    def forget(self, encoded: str) -> None:
        """Take a leaving article's terms back from the document frequencies."""
        store = self.store
        store["docs"] = max(int(store.get("docs", 1)) - 1, 0)
        keys = list(map(_KEYS.__getitem__, decode_hashes(encoded)))
        for key, entry in zip(keys, map(store.get, keys), strict=True):
            if entry is None:
                continue
            if entry[0] <= 1:
                del store[key]
            else:  # (a stored value is never changed in place)
                store[key] = [entry[0] - 1, *entry[1:]]

    def expire(self, story: str, cutoff: int) -> bool:
        """Forget the story if its last article is older than ``cutoff``. True if it was forgotten."""
        record = self.store.get(f"s:{story}")
        if record is None or record["t"] >= cutoff:
            return False
        del self.store[f"s:{story}"]
        # a story written by the previous model (a table from before the upgrade) posted its
        # names under "f:" keys that nothing reads any more: they leave with it
        for feature in record.get("f", ()):
            self.store.pop(f"f:{feature}", None)
        return True


def _latest_quantities(held: Iterable[str], new: list[str]) -> list[str]:
    """A story's quantities after ``new`` ones were stated: distinct, latest last, at most ``STORY_QUANTITIES``."""
    return [*[q for q in held if q not in new], *new][-STORY_QUANTITIES:]


def _conflict(stated: list[str], story: list[str]) -> bool:
    """Whether an article's quantities contradict a story's: a kind both state, no value in common.

    Sums of money agree within a factor of ``MONEY_RATIO`` (one event's sums, quoted rounded
    or in parts); ages and magnitudes only when equal.
    """
    conflict = False
    for mine in stated:
        kind, value = mine.split(":", 1)
        for theirs in story:
            other_kind, other = theirs.split(":", 1)
            if other_kind != kind:
                continue
            if value == other or kind in _MONEY_KINDS and _within(float(value), float(other)):
                return False
            conflict = True
    return conflict


def _within(value: float, other: float) -> bool:
    """Two sums of money close enough to be one event's figures, quoted differently."""
    return max(value, other) <= MONEY_RATIO * min(value, other)


def _cosine(vector: dict[str, float], other: dict[str, float]) -> float:
    """Cosine of a unit vector with another vector."""
    norm = math.sqrt(sum(map(mul, other.values(), other.values())))
    dot = sum(vector[t] * other[t] for t in vector.keys() & other.keys())
    return dot / norm if norm else 0.0


def _top(centroid: dict[str, float]) -> tuple[dict[str, float], float]:
    """The heaviest terms of a centroid, rounded (what tells the story apart, in bounded state), and its norm."""
    ranked = sorted(centroid, key=centroid.__getitem__, reverse=True)[:CENTROID_TERMS]
    kept = dict(zip(ranked, round4(list(map(centroid.__getitem__, ranked))), strict=True))
    values = kept.values()
    return kept, round(math.sqrt(sum(map(mul, values, values))), 4)


def round4(values: list[float]) -> list[float]:
    """``[round(v, 4) for v in values]``, the same floats, in a few numpy calls instead of one
    decimal conversion per value (the centroid's 48 weights, for every article).

    y = v * 10^4 is within 1e-7 of the exact product when |y| < 1e9, so unless y lies within
    1e-4 of a half-integer its nearest integer r is the one ``round`` picks, and r / 10^4 (one
    correctly rounded division of exact numbers) is the float nearest the decimal r * 10^-4,
    which is what ``round`` returns. Near a half-integer, or for large values: ``round`` itself.
    """
    if values and min(values) > -1e5 and max(values) < 1e5:
        scaled = np.array(values, dtype=np.float64) * 10_000.0
        nearest = np.rint(scaled)
        if (np.abs(scaled - nearest) < 0.4999).all():
            return (nearest / 10_000.0).tolist()
    return [round(value, 4) for value in values]
