"""Pydantic v2 models for the three records that cross process boundaries.

These are the record contracts (README.md, "Topics and records"). JSON Schema files beside this module
are generated from them (``python -m schemas.generate``) and a test fails when
they are stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Article versions (README.md, "Topics and records"):
#   1: the first contract.
#   2: ``author`` and ``site_name`` added (the page's own metadata; None when it has none, and on
#      articles extracted by version 1 code). Only fields were added: a version-1 reader ignores
#      them (pydantic's default ``extra="ignore"``), a version-2 reader reads a version-1 record
#      with both None and its ``schema_version`` left at 1.
ARTICLE_SCHEMA_VERSION = 2

ContentType = Literal["text/html", "text/plain"]


class RawPage(BaseModel):
    """One fetched page, the value of ``wire.raw`` and a line of ``process`` input."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    url: str = Field(description="Page URL, http or https.")
    content: str = Field(description="The page as fetched: HTML or a plain-text dump.")
    content_type: ContentType = Field(default="text/html")
    fetched_at: datetime | None = Field(default=None, description="When the page was fetched.")
    title: str | None = Field(default=None, description="Title from the feed, if any.")
    published_at: datetime | None = Field(default=None, description="ISO 8601, from the feed.")
    source: str | None = Field(default=None, description="Feed or site name.")
    feed_url: str | None = Field(default=None)
    lang: str | None = Field(default=None, description="Language hint from the feed or sitemap (e.g. news:language).")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http(s) URL")
        return value.strip()


class Topic(BaseModel):
    """An IPTC Media Topic with a calibrated score in [0, 1]."""

    code: str = Field(pattern=r"^medtop:\d{8}$")
    label: str
    score: float = Field(ge=0.0, le=1.0)


class Entity(BaseModel):
    """A named entity with its canonical name; extra keys (e.g. ``iso``) are allowed."""

    model_config = ConfigDict(extra="allow")

    name: str
    type: str
    count: int = 1


class Removed(BaseModel):
    """A block the cleaner cut, and the rule that cut it."""

    rule: str
    text: str


class Article(BaseModel):
    """A clean, index-ready article: the value of ``wire.articles``."""

    schema_version: int = ARTICLE_SCHEMA_VERSION
    id: str = Field(description="Stable id derived from the canonical URL.")
    url: str
    canonical_url: str
    source: str | None = None
    title: str | None = None
    author: str | None = Field(default=None, description="Byline from the page's metadata (since version 2).")
    site_name: str | None = Field(
        default=None, description="The site's name from the page's metadata, e.g. og:site_name (since version 2)."
    )
    body: str = Field(description="Paragraphs separated by a newline.")
    lang: str | None = Field(default=None, description="ISO 639-1 code.")
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    content_hash: str
    duplicate_of: str | None = None
    story_id: str | None = None
    topics: list[Topic] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    removed: list[Removed] = Field(default_factory=list)


class DeadLetter(BaseModel):
    """A record that could not be processed, the value of ``wire.dlq``."""

    stage: str = Field(description="parse, extract, dedupe, tag, publish or index (schemas.names.Stage).")
    reason: str = Field(description="Short machine-readable reason, e.g. 'not_json'.")
    error: str = Field(description="Human-readable detail.")
    received_at: datetime
    original: str = Field(description="The input, truncated.")
    url: str | None = None
    # where the input came from, so it can be found again: a line of `wirefeed process` input, or a
    # record of a topic in the stream
    line: int | None = Field(default=None, ge=1, description="Input line number (offline `process`), from 1.")
    topic: str | None = Field(default=None, description="Topic of the input record (stream).")
    partition: int | None = Field(default=None, ge=0, description="Partition of the input record (stream).")
    offset: int | None = Field(default=None, ge=0, description="Offset of the input record (stream).")
