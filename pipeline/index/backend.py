"""The one small interface both index backends implement, and the search types they share."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pipeline.index.documents import IndexAction


class ItemStatus(enum.Enum):
    """How the index answered one item of a bulk request."""

    OK = "ok"  # written (indexed, or deleted / already absent)
    STALE = "stale"  # the index holds a newer version: acknowledged, nothing to do
    TRANSIENT = "transient"  # try again later (429, 5xx, timeout): never dropped
    REJECTED = "rejected"  # the index refuses it for good (mapping error, too large): dead letter


@dataclass(frozen=True)
class ItemResult:
    status: ItemStatus
    reason: str = ""  # the index's own error type, e.g. "mapper_parsing_exception"
    detail: str = ""


OK = ItemResult(ItemStatus.OK)
STALE = ItemResult(ItemStatus.STALE, "version_conflict")


class TransientIndexError(Exception):
    """The whole request failed in a way worth retrying: connection refused, timeout, 429, 5xx."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # a short label: "connection", "timeout", "http_503", "sqlite_locked"


class IndexBackend(Protocol):
    """What the sink and ``wirefeed search`` need from an index."""

    name: str

    def ensure(self) -> None:
        """Create the index (and its alias/template) if missing. Idempotent."""

    def bulk(self, actions: Sequence[IndexAction]) -> list[ItemResult]:
        """Apply ``actions`` in order, one result per action; raise TransientIndexError if none was applied."""

    def refresh(self) -> None:
        """Make everything acknowledged so far searchable."""

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The stored document, or None."""

    def count(self) -> int:
        """Documents in the index (tombstones excluded)."""

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Ranked hits, best first (not yet grouped)."""

    def close(self) -> None: ...


@dataclass
class SearchQuery:
    """``wirefeed search`` options; the same meaning on both backends."""

    text: str
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    topic: str | None = None  # an IPTC code ("medtop:11000000") or a label ("politics")
    include_duplicates: bool = False
    limit: int = 10  # story groups wanted


@dataclass
class SearchHit:
    id: str
    score: float
    title: str | None
    source: str | None
    date: str | None
    snippet: str
    story_id: str
    duplicate_of: str | None = None
    lang: str | None = None
    url: str | None = None


@dataclass
class StoryGroup:
    """A story's best hit and the other hits of the same story, in rank order."""

    story_id: str
    top: SearchHit
    others: list[SearchHit] = field(default_factory=list)


def group_by_story(hits: Sequence[SearchHit], limit: int) -> list[StoryGroup]:
    """Hits grouped by ``story_id`` in the order of each story's best hit; at most ``limit`` groups."""
    groups: dict[str, StoryGroup] = {}
    for hit in hits:
        group = groups.get(hit.story_id)
        if group is None:
            if len(groups) >= limit:
                continue
            groups[hit.story_id] = StoryGroup(hit.story_id, hit)
        else:
            group.others.append(hit)
    return list(groups.values())


def query_terms(text: str) -> list[str]:
    """The words of a query (letters and digits), in order, without repeats."""
    import re

    seen: dict[str, None] = {}
    for word in re.findall(r"\w+", text.lower()):
        seen.setdefault(word, None)
    return list(seen)
