"""Extraction: a RawPage becomes a title, clean body paragraphs and metadata.

HTML goes through trafilatura and then the wire cleaner (``pipeline/clean``);
plain-text dumps go straight to the cleaner. The stream's extract agent and
``wirefeed process`` both call :meth:`Extractor.extract`; one Extractor holds
the site templates it has learnt, so keep one per worker process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from pipeline.clean import Block, TemplateMemory, clean_blocks
from pipeline.clean.html import html_blocks
from pipeline.clean.text import text_blocks
from pipeline.errors import RecordError
from pipeline.text import word_units
from schemas import RawPage, Removed
from schemas.names import DeadLetterReason, Stage

STAGE = Stage.EXTRACT
# An article has at least one paragraph this long; a page without one is navigation, not news.
MIN_PROSE_WORDS = 6


@dataclass
class Extraction:
    """What the cleaner made of one page."""

    title: str | None
    paragraphs: list[str]
    removed: list[Removed] = field(default_factory=list)
    author: str | None = None
    site_name: str | None = None
    published_at: datetime | None = None
    lang: str | None = None
    # every block with the rule that cut it (None: kept), in page order; for benchmarks and debugging
    blocks: list[Block] = field(default_factory=list)
    base: str = ""  # which extractor gave the blocks (HTML pages)

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


def source_key(page: RawPage) -> str | None:
    """Whose template a page follows: the feed's source name, else the site's host name."""
    if page.source:
        return page.source.strip().casefold()
    host = urlsplit(page.url).hostname or ""
    return host.removeprefix("www.") or None


class Extractor:
    """Turns pages into Extractions. Holds per-source state (site templates)."""

    def __init__(self, templates: TemplateMemory | None = None) -> None:
        self.templates = templates if templates is not None else TemplateMemory()

    def extract(self, page: RawPage) -> Extraction:
        author = site_name = published_at = lang = None
        base = ""
        if page.content_type == "text/plain":
            blocks = text_blocks(page.content)
            # a dump's first line may be its headline; with a title given, it is text
            meta_title, guess = page.title, not page.title
        else:
            html = html_blocks(page.content, page.url)
            if html is None:
                raise RecordError(STAGE, DeadLetterReason.NO_CONTENT, "the HTML could not be parsed", url=page.url)
            blocks, base = html.blocks, html.base
            meta_title, guess = page.title or html.meta.title, False
            author, published_at, lang = html.meta.author, html.meta.published_at, html.meta.lang
            site_name = html.meta.site_name
        if not blocks:
            raise RecordError(STAGE, DeadLetterReason.NO_CONTENT, "no article text found", url=page.url)
        cleaned = clean_blocks(
            blocks, title=meta_title, guess_title=guess, source=source_key(page), templates=self.templates
        )
        if not cleaned.paragraphs:
            raise RecordError(STAGE, DeadLetterReason.NO_CONTENT, "nothing left after removing boilerplate",
                              url=page.url)
        if not any(word_units(p) >= MIN_PROSE_WORDS for p in cleaned.paragraphs):
            # menus, tag clouds and link lists are not articles, however many lines they have
            raise RecordError(STAGE, DeadLetterReason.NO_CONTENT, "no paragraph of running text", url=page.url)
        return Extraction(
            title=cleaned.title,
            paragraphs=cleaned.paragraphs,
            removed=[Removed(rule=rule, text=text) for rule, text in cleaned.removed],
            author=author,
            site_name=site_name,
            published_at=published_at,
            lang=lang,
            blocks=cleaned.blocks,
            base=base,
        )
