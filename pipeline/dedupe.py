"""Duplicate detection and story assignment over a key-value store.

The store is any MutableMapping: a dict offline, Faust tables in the stream, so
both share this code. Verdicts are remembered per article id, which makes the
stage idempotent: a re-delivered article gets the verdict it got the first time.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from pipeline.config import Settings
from schemas import Article


@dataclass(frozen=True)
class DedupeVerdict:
    duplicate_of: str | None
    kind: str | None  # "exact", "near" or None
    story_id: str | None


class Deduper:
    """Flags copies of first-seen articles; assigns story ids."""

    def __init__(
        self, store: MutableMapping[str, Any] | None = None, settings: Settings | None = None
    ) -> None:
        self.store: MutableMapping[str, Any] = store if store is not None else {}
        self.settings = settings or Settings()

    def check(self, article: Article) -> DedupeVerdict:
        seen = self.store.get(f"v:{article.id}")
        if seen is not None:
            return DedupeVerdict(*seen)
        first = self.store.get(f"h:{article.content_hash}")
        if first is not None and first != article.id:
            verdict = DedupeVerdict(first, "exact", self.store.get(f"v:{first}", (None, None, first))[2])
        else:
            self.store[f"h:{article.content_hash}"] = article.id
            verdict = DedupeVerdict(None, None, article.id)
        self.store[f"v:{article.id}"] = (verdict.duplicate_of, verdict.kind, verdict.story_id)
        return verdict
