"""Duplicate detection and story assignment over a key-value store.

The store is any MutableMapping with JSON values: a dict offline, a Faust table
(RocksDB, changelogged) in the stream, so both run this code and agree. Verdicts are
remembered per article id, which makes the stage idempotent under at-least-once
delivery. Time comes from the articles (fetched_at, else published_at), never the
wall clock, so a replay gives the same verdicts as the live run.

Store layout (keys short on purpose: the state budget is 2 KB per retained article):
  "v:<id>" -> {"d": duplicate_of, "k": kind, "s": story, "t": time, "h": hash,
              "x": bottom-k sample, "n": shingle count, "a": ranks of the anchors in the sample}
  "h:<content hash>" -> id of the first-seen copy (exact duplicates)
  "a:<hash>" -> [ids]: originals whose smallest shingle hashes include <hash> (candidates)
  "q:<seq>" -> id, "q:head"/"q:tail": arrival log, evicted oldest first past the window
  "clock" -> latest article time seen; stories' keys: see stories.py
"""

from __future__ import annotations

from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

import numpy as np

from pipeline import metrics
from pipeline.config import Settings
from pipeline.dedupe import sketch
from pipeline.dedupe.stories import Stories
from schemas import Article
from schemas.names import DuplicateKind

MIN_WORDS = 8  # shorter bodies carry too little text to call anything a copy of them
MIN_SHINGLES = 5  # below this, only exact copies are flagged
# Two texts are one when each covers much of the other. A trimmed copy is nearly all
# inside its original (shares ~1.0 and ~0.67, less after edits); an extended one holds
# nearly all of it; an article quoting two paragraphs shares a minority of one side. On
# the bench the weakest copies sit at (0.65, 0.57) and the strongest quoting decoys at
# (0.56, 0.56) and (0.67, 0.31): the sum separates them, the floors guard the edges.
NEAR_SUM = 1.18
NEAR_HIGH = 0.60
NEAR_LOW = 0.40
EVICT_PER_CHECK = 4  # amortised: more than one eviction per arrival, so the log keeps up
MAX_CLOCK_STEP = 86_400  # how far a feed's publication date may move the clock at once
POSTING_IDS = 8
MAX_CANDIDATES = 12


@dataclass(frozen=True)
class DedupeVerdict:
    duplicate_of: str | None
    kind: DuplicateKind | None
    story_id: str | None


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


class Deduper:
    """Flags copies of first-seen articles; assigns story ids."""

    def __init__(self, store: MutableMapping[str, Any] | None = None, *, settings: Settings) -> None:
        # settings come from the caller, never from the environment here: the core reads no environment
        self.store: MutableMapping[str, Any] = store if store is not None else {}
        self.settings = settings
        self.window = int(self.settings.dedupe_window_days * 86_400)
        self.stories = Stories(self.store)

    # -- the one entry point ---------------------------------------------------------
    def check(self, article: Article) -> DedupeVerdict:
        seen = self.store.get(f"v:{article.id}")
        if seen is not None:  # re-delivery: the verdict it got the first time
            return DedupeVerdict(seen["d"], seen["k"], seen["s"])
        at = self._tick(_epoch(article.fetched_at), _epoch(article.published_at))
        since = at - self.window
        hashes, words = sketch.shingle_hashes(article.body)
        keys = sketch.anchor_keys(hashes)
        record: dict[str, Any] = {"d": None, "k": None, "s": None, "t": at, "h": article.content_hash}
        if words >= MIN_WORDS:
            first = self._live(self.store.get(f"h:{article.content_hash}"), since)
            if first is not None:
                record["d"], record["k"] = first, DuplicateKind.EXACT
            elif len(hashes) >= MIN_SHINGLES:
                original = self._near(hashes, keys, since)
                if original is not None:
                    record["d"], record["k"] = original, DuplicateKind.NEAR
        if record["d"] is not None:
            record["s"], size = self.stories.touch(self.store[f"v:{record['d']}"]["s"], at)
        else:
            about = self.stories.describe(article.title, article.body)
            record["s"], size, record["w"] = self.stories.assign(article.id, about, at, since)
        if words >= MIN_WORDS and len(hashes) >= MIN_SHINGLES:
            # copies are indexed too: the next copy may resemble an earlier copy more than the
            # original (two edited copies, or copies that ran ahead of their original)
            self._index(article.id, hashes, keys, record)
        if words >= MIN_WORDS and f"h:{article.content_hash}" not in self.store:
            self.store[f"h:{article.content_hash}"] = record["d"] or article.id
        self.store[f"v:{article.id}"] = record
        self._log(article.id)
        self._evict(since)
        if size is not None:
            metrics.STORY_SIZE.observe(size)
        return DedupeVerdict(record["d"], record["k"], record["s"])

    # -- near duplicates ---------------------------------------------------------------
    def _near(self, hashes: np.ndarray, keys: list[str], since: int) -> str | None:
        """The first-seen original this text is a copy of, if any (``keys``: its anchor keys)."""
        get = self.store.get
        postings = [ids for ids in map(get, keys) if ids]
        if not postings:  # (most originals: none of their anchors was seen before)
            return None
        candidates = list(dict.fromkeys(chain.from_iterable(postings)))  # first-seen order
        if len(candidates) > MAX_CANDIDATES:  # most votes first: the likeliest copies are checked
            votes = Counter(chain.from_iterable(postings))
            candidates = sorted(candidates, key=lambda c: -votes[c])[:MAX_CANDIDATES]
        live = [
            (candidate, other)
            for candidate, other in zip(candidates, map(get, ["v:" + c for c in candidates]), strict=True)
            if other is not None and other["t"] >= since and "x" in other
        ]
        if not live:
            return None
        shares = sketch.containments(hashes, [other["x"] for _, other in live], [other["n"] for _, other in live])
        best: tuple[float, int, str] | None = None
        for (candidate, other), (share_new, share_old) in zip(live, shares, strict=True):
            if is_copy(share_new, share_old):
                root = other["d"] or candidate  # a copy of a copy is a copy of the first-seen one
                if root != candidate and self._live(root, since) is None:
                    continue
                # the best match wins; ties go to the earlier article (first seen)
                key = (share_new + share_old, -other["t"], root)
                if best is None or key > best:
                    best = key
        return best[2] if best else None

    def _index(self, article_id: str, hashes: np.ndarray, keys: list[str], record: dict[str, Any]) -> None:
        sample = sketch.bottom_k(hashes)
        record["x"] = sketch.encode_sample(sample)
        record["n"] = int(len(hashes))
        anchors: list[int] = []
        for rank, key in enumerate(keys):
            ids = self.store.get(key, [])
            # a full posting list is a common shingle (boilerplate, a stock phrase): skip it
            if len(ids) >= POSTING_IDS and rank < sketch.ANCHORS_QUERIED - 1:
                continue
            self.store[key] = [*ids, article_id][-POSTING_IDS:]
            anchors.append(rank)
            if len(anchors) == sketch.ANCHORS_INDEXED:
                break
        record["a"] = anchors

    def _live(self, article_id: str | None, since: int) -> str | None:
        if article_id is None:
            return None
        record = self.store.get(f"v:{article_id}")
        return article_id if record is not None and record["t"] >= since else None

    # -- time and the window -----------------------------------------------------------
    def _tick(self, fetched: int | None, published: int | None) -> int:
        """The article's time: when our reader fetched it, else its (less trusted) publication date."""
        clock = self.store.get("clock")
        at = fetched
        if at is None and published is not None:
            # a feed's date can be wrong; one bogus future date must not expire the whole window
            at = published if clock is None else min(published, clock + MAX_CLOCK_STEP)
        if at is None:
            at = clock if clock is not None else 0
        if clock is None or at > clock:
            self.store["clock"] = at
        return at

    def _log(self, article_id: str) -> None:
        tail = int(self.store.get("q:tail", 0))
        self.store[f"q:{tail}"] = article_id
        self.store["q:tail"] = tail + 1

    def _evict(self, cutoff: int) -> None:
        """Forget up to EVICT_PER_CHECK of the oldest arrivals whose time is before ``cutoff``."""
        head, tail = int(self.store.get("q:head", 0)), int(self.store.get("q:tail", 0))
        moved = head
        while moved < tail and moved - head < EVICT_PER_CHECK:
            article_id = self.store.get(f"q:{moved}")
            record = self.store.get(f"v:{article_id}") if article_id is not None else None
            if record is not None and record["t"] >= cutoff:
                break
            if record is not None:
                self._forget(article_id, record, cutoff)
            self.store.pop(f"q:{moved}", None)
            moved += 1
        if moved != head:
            self.store["q:head"] = moved

    def _forget(self, article_id: str, record: dict[str, Any], cutoff: int) -> None:
        del self.store[f"v:{article_id}"]
        hash_key = f"h:{record['h']}"
        first = self.store.get(hash_key)
        # a short body was never indexed by hash: then there is no key (and None must not match)
        if first is not None and first in (article_id, record["d"]):
            del self.store[hash_key]
        if "x" in record:
            sample = sketch.decode_sample(record["x"])
            for key in sketch.anchor_keys(sample[[rank for rank in record["a"] if rank < len(sample)]]):
                ids = [i for i in self.store.get(key, ()) if i != article_id]
                if ids:
                    self.store[key] = ids
                else:
                    self.store.pop(key, None)
        if "w" in record:
            self.stories.forget(record["w"])
        if record["s"] is not None:
            self.stories.expire(record["s"], cutoff)


def is_copy(share_new: float, share_old: float) -> bool:
    """Whether two texts with these mutual shares are one text: trimmed, edited, extended or equal."""
    high, low = max(share_new, share_old), min(share_new, share_old)
    return high >= NEAR_HIGH and low >= NEAR_LOW and high + low >= NEAR_SUM
