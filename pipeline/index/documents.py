"""Index documents built from Articles, and the action a ``wire.articles`` record asks for.

One document per article id. Its version is the article's ``fetched_at`` in microseconds
(falling back to ``published_at``): a re-fetch is newer, a replay of an old record is not,
whatever order the records arrive in. Backends keep a document only if its version is at
least the stored one (OpenSearch: ``version_type=external_gte``; the embedded index: the
same comparison in SQL). A tombstone's version is its record's Kafka timestamp, so it
deletes every version fetched before it was written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from pipeline.errors import RecordError
from schemas import Article
from schemas.names import DeadLetterReason, Stage

STAGE = Stage.INDEX
# Languages with their own analyzer (OpenSearch's built-in language analyzers). Others: "std".
LANGUAGE_ANALYZERS: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "ru": "russian",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}
STANDARD = "std"
# Lucene refuses a keyword term longer than this many UTF-8 bytes; both backends reject such a document.
MAX_KEYWORD_BYTES = 32766


def text_suffix(lang: str | None) -> str:
    """The suffix of the analysed fields for ``lang``: ``title_en``/``body_en``, or ``_std``."""
    return lang if lang in LANGUAGE_ANALYZERS else STANDARD


def _micros(when: datetime | None) -> int | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1_000_000)


def article_version(article: Article) -> int:
    """The ordering guard's version: fetched_at (else published_at) in µs since the epoch, else 0."""
    return _micros(article.fetched_at) or _micros(article.published_at) or 0


def iso(when: datetime | None) -> str | None:
    """UTC ISO 8601 with a ``Z``: sorts as text (SQLite) and parses as a date (OpenSearch)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_document(article: Article) -> dict[str, Any]:
    """The index document of ``article`` (the same for both backends).

    ``story_id`` falls back to the article's own id so collapsing on it never lumps
    story-less articles together. ``date`` is what time filters use: published, else fetched.
    """
    sfx = text_suffix(article.lang)
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "lang": article.lang,
        "title": article.title,
        "author": article.author,
        "site_name": article.site_name,
        f"title_{sfx}": article.title or "",
        f"body_{sfx}": article.body,
        "published_at": iso(article.published_at),
        "fetched_at": iso(article.fetched_at),
        "date": iso(article.published_at or article.fetched_at),
        "content_hash": article.content_hash,
        "duplicate_of": article.duplicate_of,
        "is_duplicate": article.duplicate_of is not None,
        "story_id": article.story_id or article.id,
        "topics": [t.code for t in article.topics],
        "topic_labels": [t.label for t in article.topics],
        "entities": [{"name": e.name, "type": e.type} for e in article.entities],
        "entity_names": sorted({e.name for e in article.entities}),
        "version": article_version(article),
    }


def keyword_values(doc: dict[str, Any]) -> list[str]:
    """Every value the index stores as a keyword term (for the immense-term check)."""
    values = [doc.get(k) or "" for k in ("id", "source", "lang", "story_id", "duplicate_of", "content_hash")]
    values += doc.get("topics", []) + doc.get("topic_labels", []) + doc.get("entity_names", [])
    values += [e["type"] for e in doc.get("entities", [])]
    return values


def oversized_keyword(doc: dict[str, Any]) -> str | None:
    """The first keyword value longer than Lucene's term limit (a document both backends reject)."""
    for value in keyword_values(doc):
        if len(value.encode("utf-8")) > MAX_KEYWORD_BYTES:
            return value[:60]
    return None


@dataclass
class IndexAction:
    """What one ``wire.articles`` record asks of the index: index a document or delete one."""

    op: Literal["index", "delete"]
    doc_id: str
    version: int
    document: dict[str, Any] | None = None
    source: bytes = b""  # the record's value, for a dead letter
    partition: int = 0
    offset: int = 0
    published_ms: int = 0  # the record's Kafka timestamp (publish -> searchable latency)
    body: bytes = field(default=b"", repr=False)  # the document serialised once (size bound, bulk body)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.doc_id) + 64


def action_from_record(
    key: bytes | None, value: bytes | None, timestamp_ms: int, partition: int = 0, offset: int = 0
) -> IndexAction:
    """The action for one record; RecordError(stage ``index``) when it is unusable.

    A null value is a tombstone: delete the document whose id is the key.
    """
    if value is None:
        if not key:
            raise RecordError(STAGE, DeadLetterReason.TOMBSTONE_WITHOUT_KEY,
                              "a null value needs the article id as its key")
        return IndexAction("delete", key.decode("utf-8", errors="replace"), max(timestamp_ms, 0) * 1000,
                           partition=partition, offset=offset, published_ms=timestamp_ms)
    try:
        article = Article.model_validate_json(value)
    except ValidationError as exc:
        not_json = any(e["type"] == "json_invalid" for e in exc.errors())
        reason = DeadLetterReason.NOT_JSON if not_json else DeadLetterReason.INVALID_ARTICLE
        raise RecordError(STAGE, reason, str(exc)[:500]) from None
    document = build_document(article)
    return IndexAction(
        "index", article.id, document["version"], document, source=value, partition=partition, offset=offset,
        published_ms=timestamp_ms, body=json.dumps(document, ensure_ascii=False).encode("utf-8"),
    )
