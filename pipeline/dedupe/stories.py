"""Story clustering: articles about the same event share a story id.

An article joins the live story whose profile (the summed features of its members)
is most similar to what the article says — names, dates, salient terms weighted by
how rare they are across stories — if that similarity is high enough and at least
two rare names are shared; otherwise it starts a story whose id is its own id.
Rarity is counted over *stories*, not articles, so a name every member of a big story
repeats ("Putin" in a week of Putin-visit copy) stays informative for that story.

State, all in the caller's MutableMapping (JSON values only):
  "s:<story>" -> {"t": last article time, "n": size, "f": {feature: summed weight x rarity},
                  "z": the profile's norm}
  "f:<feature>" -> [live stories with it, latest story ids...]
  "stories" -> number of live stories
"""

from __future__ import annotations

import math
from collections.abc import Iterable, MutableMapping
from typing import Any

from pipeline.dedupe.features import features

PROFILE_FEATURES = 16
PROFILE_TERMS = 16
TERM_RARITY = 3.0
JOIN_EVIDENCE = 3.0  # kept per story: enough to describe an event, bounded state
POSTINGS = 4  # story ids kept per feature (most recent)
CANDIDATES = 4
KIND_WEIGHT = {"e": 1.0, "p": 0.6, "t": 0.5, "d": 0.6}
JOIN_SIMILARITY = 0.25
RARE_SHARE = 0.05  # a name is "rare" if fewer than this share of live stories carry it
PRIOR_STORIES = 20  # a name is "rare" if fewer than this share of live stories carry it


_NONE = [0]


def _distinct_names(features: Iterable[str]) -> int:
    """Names counted once per person: "e:putin" adds nothing beside "e:vladimir putin"."""
    names = [f[2:] for f in features]
    full = [n for n in names if " " in n]
    return sum(1 for n in names if " " in n or not any(f.endswith(" " + n) for f in full))


def _weight(feature: str, count: float) -> float:
    return KIND_WEIGHT[feature[0]] * (1.0 + math.log(count))


class Stories:
    """Assigns story ids over a store; every method is deterministic in its inputs."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store

    def _idf(self, feature: str, live: int, record: list[Any] | None = None) -> float:
        if record is None:
            record = self.store.get(f"f:{feature}")
        carrying = record[0] if record else 0
        # the prior keeps a young stream from treating every unseen word as decisive
        return math.log((live + PRIOR_STORIES) / (carrying + 1))

    def profile(self, title: str | None, body: str) -> dict[str, float]:
        """The article's weighted features (before rarity)."""
        return {f: _weight(f, c) for f, c in features(title, body).items()}

    def assign(self, article_id: str, profile: dict[str, float], at: int, since: int) -> tuple[str, int]:
        """(story id, story size after joining) for a first-seen article at time ``at``.

        Only stories with an article at or after ``since`` are joined (the window).
        """
        live = int(self.store.get("stories", 0))
        # terms are many and only describe: they get a fixed rarity and no postings (speed, state)
        postings = {f: self.store.get(f"f:{f}") for f in profile if f[0] != "t"}
        idf = {f: self._idf(f, live, postings[f] or _NONE) if f[0] != "t" else TERM_RARITY for f in profile}
        vector = {f: w * idf[f] for f, w in profile.items()}
        story = self._best(vector, postings, live, since)
        if story is None:
            self.store["stories"] = live + 1
            record = {"t": at, "n": 0, "f": {}}
            story = article_id
        else:
            record = self.store[f"s:{story}"]
        self._join(story, record, vector, at)
        return story, record["n"]

    def touch(self, story: str, at: int) -> int | None:
        """A duplicate joins its original's story: size and time only. Returns the new size."""
        record = self.store.get(f"s:{story}")
        if record is None:
            return None
        record["n"] += 1
        record["t"] = max(record["t"], at)
        self.store[f"s:{story}"] = record
        return record["n"]

    def _best(
        self,
        vector: dict[str, float],
        postings: dict[str, list[Any] | None],
        live: int,
        since: int,
    ) -> str | None:
        votes: dict[str, float] = {}
        for feature, record in postings.items():
            if record:
                for story in record[1:]:
                    votes[story] = votes.get(story, 0.0) + vector[feature]
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        best: tuple[float, str] | None = None
        rare_limit = max(3.0, RARE_SHARE * live)
        for story in sorted(votes, key=lambda s: (-votes[s], s))[:CANDIDATES]:
            record = self.store.get(f"s:{story}")
            if record is None or record["t"] < since:
                continue
            other = record["f"]
            shared = vector.keys() & other.keys()
            if not shared:
                continue
            dot = sum(vector[f] * other[f] for f in shared)
            similarity = dot / (norm * (record.get("z") or 1.0))
            names = _distinct_names(f for f in shared if f[0] == "e" and (postings[f] or _NONE)[0] <= rare_limit)
            places = sum(1 for f in shared if f[0] == "p")
            what = sum(1 for f in shared if f[0] == "t" or (f[0] == "d" and "-" in f))
            # Who, where and what must agree, not wording alone: a rare name at least, and
            # enough of more names, shared places (with whom) and salient terms or days.
            evidence = names + 0.5 * min(places, 4) + 0.5 * min(what, 4)
            joins = names >= 1 and evidence >= JOIN_EVIDENCE and similarity >= JOIN_SIMILARITY
            if joins and (best is None or (similarity, story) > best):
                best = (similarity, story)
        return best[1] if best else None

    def _join(self, story: str, record: dict[str, Any], vector: dict[str, float], at: int) -> None:
        """Add the article's weighted features (rarity as of now) to the story's profile."""
        merged: dict[str, float] = dict(record["f"])
        for feature, weight in vector.items():
            merged[feature] = merged.get(feature, 0.0) + weight
        ranked = sorted(merged, key=lambda f: (-merged[f], f))  # keep what tells this story apart
        kept = {f: round(merged[f], 1) for f in [f for f in ranked if f[0] != "t"][:PROFILE_FEATURES]}
        kept.update({f: round(merged[f], 1) for f in [f for f in ranked if f[0] == "t"][:PROFILE_TERMS]})
        for feature in kept.keys() - record["f"].keys():
            if feature[0] != "t":
                self._post(feature, story)
        for feature in record["f"].keys() - kept.keys():
            if feature[0] != "t":
                self._unpost(feature, story)
        record["f"] = kept
        record["z"] = round(math.sqrt(sum(v * v for v in kept.values())), 3)  # the profile's norm
        record["n"] += 1
        record["t"] = max(record["t"], at)
        self.store[f"s:{story}"] = record

    def _post(self, feature: str, story: str) -> None:
        key = f"f:{feature}"
        record = self.store.get(key) or [0]
        self.store[key] = [record[0] + 1, *[*record[1:], story][-POSTINGS:]]

    def _unpost(self, feature: str, story: str) -> None:
        key = f"f:{feature}"
        record = self.store.get(key)
        if record is None:
            return
        if record[0] <= 1:
            del self.store[key]
            return
        self.store[key] = [record[0] - 1, *(s for s in record[1:] if s != story)]

    def expire(self, story: str, cutoff: int) -> bool:
        """Forget the story if its last article is older than ``cutoff``. True if it was forgotten."""
        record = self.store.get(f"s:{story}")
        if record is None or record["t"] >= cutoff:
            return False
        for feature in record["f"]:
            if feature[0] != "t":
                self._unpost(feature, story)
        del self.store[f"s:{story}"]
        self.store["stories"] = max(int(self.store.get("stories", 1)) - 1, 0)
        return True
