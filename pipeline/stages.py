"""The one code path: parse -> extract -> dedupe -> tag, shared by stream and ``process``.

Each stage is a method taking and returning records; failures raise RecordError
(or anything else), which callers turn into DeadLetters with :func:`dead_letter`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pipeline import metrics
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.errors import RecordError
from pipeline.extract import Extractor
from pipeline.ids import article_id, canonical_url, content_hash
from pipeline.parse import parse_raw_page
from pipeline.tagging import Tagger
from schemas import Article, DeadLetter, RawPage


def dead_letter(
    stage: str, reason: str, error: str, original: str | bytes, url: str | None, limit: int
) -> DeadLetter:
    """A DeadLetter with the original truncated to ``limit`` characters."""
    if isinstance(original, bytes):
        original = original[: limit * 4].decode("utf-8", errors="replace")
    original = original[:limit].encode("utf-8", errors="replace").decode("utf-8")
    return DeadLetter(
        stage=stage,
        reason=reason,
        error=error[:1000].encode("utf-8", errors="replace").decode("utf-8"),
        received_at=datetime.now(UTC),
        original=original,
        url=url,
    )


def to_dead_letter(exc: BaseException, stage: str, original: str | bytes, limit: int) -> DeadLetter:
    """Map an exception raised by ``stage`` to its DeadLetter and count it."""
    if isinstance(exc, RecordError):
        letter = dead_letter(exc.stage, exc.reason, exc.detail, original, exc.url, limit)
    else:
        letter = dead_letter(stage, "internal_error", f"{type(exc).__name__}: {exc}", original, None, limit)
    metrics.DLQ.labels(letter.stage, letter.reason).inc()
    metrics.STAGE_FAILED.labels(letter.stage).inc()
    return letter


@contextmanager
def _timed(stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    metrics.STAGE_SECONDS.labels(stage).observe(time.perf_counter() - start)
    metrics.STAGE_PROCESSED.labels(stage).inc()


class Pipeline:
    """The stages with their state: the extractor's site templates and the dedupe store."""

    def __init__(
        self,
        settings: Settings,
        extractor: Extractor | None = None,
        deduper: Deduper | None = None,
        tagger: Tagger | None = None,
    ) -> None:
        self.settings = settings
        self.extractor = extractor or Extractor()
        self.deduper = deduper or Deduper(settings=settings)
        self.tagger = tagger or Tagger()

    # -- stages -----------------------------------------------------------------
    def parse(self, line: str | bytes) -> RawPage:
        with _timed("parse"):
            return parse_raw_page(line, self.settings.max_content_bytes)

    def extract(self, page: RawPage) -> Article:
        """A parsed page (``parse`` already refused empty and oversized content) to an Article."""
        with _timed("extract"):
            result = self.extractor.extract(page)
            for removed in result.removed:
                metrics.REMOVED_BLOCKS.labels(removed.rule).inc()
            canonical = canonical_url(page.url)
            body = result.body
            return Article(
                id=article_id(canonical),
                url=page.url,
                canonical_url=canonical,
                source=page.source,
                title=page.title or result.title,
                body=body,
                lang=result.lang,
                published_at=page.published_at or result.published_at,
                fetched_at=page.fetched_at,
                content_hash=content_hash(body),
                removed=result.removed,
            )

    def dedupe(self, article: Article) -> Article:
        with _timed("dedupe"):
            verdict = self.deduper.check(article)
            if verdict.kind:
                metrics.DUPLICATES.labels(verdict.kind).inc()
            return article.model_copy(
                update={"duplicate_of": verdict.duplicate_of, "story_id": verdict.story_id}
            )

    def tag(self, article: Article) -> Article:
        with _timed("tag"):
            tags = self.tagger.tag(article.title, article.body)
            return article.model_copy(
                update={"topics": tags.topics, "entities": tags.entities, "lang": tags.lang or article.lang}
            )

    def publishable(self, article: Article) -> bool:
        """Whether the article goes to ``wire.articles`` (duplicates may be dropped by setting)."""
        return not (self.settings.drop_duplicates and article.duplicate_of)

    # -- the whole path -----------------------------------------------------------
    def run(self, line: str | bytes) -> Article | DeadLetter | None:
        """One input line through every stage: an Article, a DeadLetter, or None (dropped)."""
        front = self.run_front(line)
        return self.run_back(front, line) if isinstance(front, Article) else front

    def run_front(self, line: str | bytes) -> Article | DeadLetter:
        """The stateless, CPU-heavy half: parse and extract (may run in another process)."""
        stage = "parse"
        try:
            page = self.parse(line)
            stage = "extract"
            return self.extract(page)
        except Exception as exc:  # every failure becomes a dead letter; the run goes on
            return to_dead_letter(exc, stage, line, self.settings.dlq_original_chars)

    def run_back(self, article: Article, line: str | bytes) -> Article | DeadLetter | None:
        """The ordered half: dedupe (stateful, input order matters) then tag."""
        stage = "dedupe"
        try:
            article = self.dedupe(article)
            stage = "tag"
            article = self.tag(article)
        except Exception as exc:
            return to_dead_letter(exc, stage, line, self.settings.dlq_original_chars)
        return article if self.publishable(article) else None
