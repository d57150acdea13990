"""Extraction: a RawPage becomes a title, clean body paragraphs and metadata.

This is the seam the cleaning work (``pipeline/clean``) plugs into. The stream's
extract agent and ``wirefeed process`` both call :meth:`Extractor.extract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import trafilatura

from pipeline.errors import RecordError
from schemas import RawPage, Removed

STAGE = "extract"


@dataclass
class Extraction:
    """What the cleaner made of one page."""

    title: str | None
    paragraphs: list[str]
    removed: list[Removed] = field(default_factory=list)
    author: str | None = None
    published_at: datetime | None = None
    lang: str | None = None

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


class Extractor:
    """Turns pages into Extractions. Holds per-source state (site templates) if any."""

    def extract(self, page: RawPage) -> Extraction:
        if page.content_type == "text/plain":
            lines = [line.strip() for line in page.content.splitlines() if line.strip()]
            title = page.title or (lines[0] if lines else None)
            paragraphs = lines[1:] if lines and not page.title else lines
        else:
            doc = trafilatura.bare_extraction(page.content, url=page.url, with_metadata=True)
            if doc is None:
                raise RecordError(STAGE, "no_content", "no article text found", url=page.url)
            paragraphs = [p.strip() for p in (doc.text or "").split("\n") if p.strip()]
            title = page.title or doc.title
        if not paragraphs:
            raise RecordError(STAGE, "no_content", "no article text found", url=page.url)
        return Extraction(title=title, paragraphs=paragraphs)
