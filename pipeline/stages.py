"""The one code path: parse -> extract -> dedupe -> tag, shared by stream and ``process``.

Each stage is a method taking and returning records; failures raise RecordError
(or anything else), which :func:`pipeline.errors.as_record_error` maps and
:func:`to_dead_letter` turns into a DeadLetter. The stages do not touch metrics:
what they measure is kept in an :class:`Observed` that the process serving the
metrics records (the stage runner's child hands it back with its results), so
nothing measured in a child process is lost.

A process builds only the stages it runs (``build``; the rest on first use): the
worker's parent, which only dedupes, never loads the extractor's or the tagger's models.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline import metrics
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.errors import RecordError, as_record_error
from pipeline.extract import Extractor
from pipeline.ids import article_id, canonical_url, content_hash
from pipeline.parse import parse_raw_page
from pipeline.tagging import Tagger
from schemas import Article, DeadLetter, RawPage
from schemas.names import DeadLetterReason, DuplicateKind, Stage, TopicStatus


def dead_letter(
    stage: str, reason: str, error: str, original: str | bytes | None, url: str | None, limit: int
) -> DeadLetter:
    """A DeadLetter with the original truncated to ``limit`` characters (a missing one is empty)."""
    if original is None:  # a tombstone: a Kafka record with a null value
        original = ""
    if isinstance(original, bytes):
        original = original[: limit * 4].decode("utf-8", errors="replace")
    original = original[:limit].encode("utf-8", errors="replace").decode("utf-8")
    return DeadLetter(
        stage=stage,
        reason=reason,
        error=error[:1000].encode("utf-8", errors="replace").decode("utf-8"),
        received_at=datetime.now(UTC),
        original=original,
        url=url.encode("utf-8", errors="replace").decode("utf-8")[:8192] if url else None,
    )


def to_dead_letter(exc: BaseException, stage: str, original: str | bytes | None, limit: int) -> DeadLetter:
    """The DeadLetter for what ``stage`` raised on ``original`` (counting it is :func:`count_dead_letter`)."""
    error = as_record_error(exc, stage)
    return dead_letter(error.stage, error.reason, error.detail, original, error.url, limit)


def count_dead_letter(letter: DeadLetter) -> None:
    """Count a dead letter in the process that sends it (and serves the metrics)."""
    metrics.DLQ.labels(letter.stage, letter.reason).inc()
    metrics.STAGE_FAILED.labels(letter.stage).inc()


@dataclass
class RunStats:
    """What a command's run over records counts, whatever else it counts: the dead letters it sent
    (``process``: to its DLQ file; the index sink: to ``wire.dlq``). Each command says what else."""

    dead_letters: int = 0


@dataclass
class Observed:
    """What the stages measured for one record, for the metrics of the process that serves them."""

    seconds: dict[str, float] = field(default_factory=dict)  # stage -> time, for each stage that finished
    removed_rules: list[str] = field(default_factory=list)
    duplicate_kind: DuplicateKind | None = None
    untagged: TopicStatus | None = None  # why the tag stage gave no topics (``Tags.topic_status``), if it gave none

    def record(self) -> None:
        for stage, seconds in self.seconds.items():
            metrics.STAGE_SECONDS.labels(stage).observe(seconds)
            metrics.STAGE_PROCESSED.labels(stage).inc()
        for rule in self.removed_rules:
            metrics.REMOVED_BLOCKS.labels(rule).inc()
        if self.duplicate_kind:
            metrics.DUPLICATES.labels(self.duplicate_kind).inc()
        if self.untagged:
            metrics.UNTAGGED_TOPICS.labels(self.untagged).inc()


class Pipeline:
    """The stages with their state: the extractor's site templates and the dedupe store."""

    def __init__(
        self,
        settings: Settings,
        extractor: Extractor | None = None,
        deduper: Deduper | None = None,
        tagger: Tagger | None = None,
        build: Iterable[str] = (Stage.EXTRACT, Stage.DEDUPE, Stage.TAG),
    ) -> None:
        """``build``: the stages whose state is made now; the others are made on first use, so a
        process builds only what it runs (the worker's parent, which only dedupes, passes ``("dedupe",)``)."""
        self.settings = settings
        self._extractor, self._deduper, self._tagger = extractor, deduper, tagger
        self.observed = Observed()
        for stage in build:
            getattr(self, {Stage.EXTRACT: "extractor", Stage.DEDUPE: "deduper", Stage.TAG: "tagger"}[stage])

    # -- the stages' state, built where it is first used --------------------------
    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = Extractor()
        return self._extractor

    @property
    def deduper(self) -> Deduper:
        if self._deduper is None:
            self._deduper = Deduper(settings=self.settings)
        return self._deduper

    @property
    def tagger(self) -> Tagger:
        if self._tagger is None:
            self._tagger = Tagger()
        return self._tagger

    def observe(self) -> Observed:
        """What was measured since the last call (and start afresh)."""
        observed, self.observed = self.observed, Observed()
        return observed

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.observed.seconds[stage] = time.perf_counter() - start

    # -- stages -----------------------------------------------------------------
    def parse(self, line: str | bytes | None) -> RawPage:
        with self._timed(Stage.PARSE):
            if line is None:
                raise RecordError(Stage.PARSE, DeadLetterReason.NULL_VALUE, "the record has no value (a tombstone)")
            return parse_raw_page(line, self.settings.max_content_bytes)

    def extract(self, page: RawPage) -> Article:
        """A parsed page (``parse`` already refused empty and oversized content) to an Article."""
        with self._timed(Stage.EXTRACT):
            result = self.extractor.extract(page)
            self.observed.removed_rules.extend(removed.rule for removed in result.removed)
            canonical = canonical_url(page.url)
            body = result.body
            return Article(
                id=article_id(canonical),
                url=page.url,
                canonical_url=canonical,
                source=page.source,
                title=page.title or result.title,
                author=result.author,
                site_name=result.site_name,
                body=body,
                lang=result.lang,
                published_at=page.published_at or result.published_at,
                fetched_at=page.fetched_at,
                content_hash=content_hash(body),
                removed=result.removed,
            )

    def dedupe(self, article: Article) -> Article:
        with self._timed(Stage.DEDUPE):
            verdict = self.deduper.check(article)
            self.observed.duplicate_kind = verdict.kind
            return article.model_copy(
                update={"duplicate_of": verdict.duplicate_of, "story_id": verdict.story_id}
            )

    def tag(self, article: Article) -> Article:
        with self._timed(Stage.TAG):
            tags = self.tagger.tag(article.title, article.body)
            self.observed.untagged = None if tags.topic_status == TopicStatus.TAGGED else tags.topic_status
            return article.model_copy(
                update={"topics": tags.topics, "entities": tags.entities, "lang": tags.lang or article.lang}
            )

    def publishable(self, article: Article) -> bool:
        """Whether the article goes to ``wire.articles`` (duplicates may be dropped by setting)."""
        return not (self.settings.drop_duplicates and article.duplicate_of)

    def decode(self, stage: str, value: str | bytes | None) -> Article:
        """An Article read from an intermediate topic; anything else is this stage's dead letter."""
        if value is None:
            raise RecordError(stage, DeadLetterReason.NULL_VALUE, "the record has no value (a tombstone)")
        if len(value) > self.settings.max_content_bytes * 2:  # the body is capped at parse; JSON may escape it
            raise RecordError(stage, DeadLetterReason.TOO_LARGE, f"an article record of {len(value)} bytes")
        try:
            return Article.model_validate_json(value)
        except Exception as exc:  # not JSON, not UTF-8, wrong shape: pydantic says which
            detail = f"not an Article: {type(exc).__name__}: {exc}"
            raise RecordError(stage, DeadLetterReason.BAD_RECORD, detail) from None

    # -- the whole path -----------------------------------------------------------
    def run(self, line: str | bytes) -> Article | DeadLetter | None:
        """One input line through every stage: an Article, a DeadLetter, or None (dropped)."""
        front = self.run_front(line)
        return self.run_back(front, line) if isinstance(front, Article) else front

    def run_front(self, line: str | bytes) -> Article | DeadLetter:
        """The stateless, CPU-heavy half: parse and extract (the stage runner runs it in a child)."""
        stage = Stage.PARSE
        try:
            page = self.parse(line)
            stage = Stage.EXTRACT
            return self.extract(page)
        except Exception as exc:  # every failure becomes a dead letter; the run goes on
            return to_dead_letter(exc, stage, line, self.settings.dlq_original_chars)

    def run_back(self, article: Article, line: str | bytes) -> Article | DeadLetter | None:
        """The ordered half: dedupe (stateful, input order matters) then tag."""
        stage = Stage.DEDUPE
        try:
            article = self.dedupe(article)
            stage = Stage.TAG
            article = self.tag(article)
        except Exception as exc:
            return to_dead_letter(exc, stage, line, self.settings.dlq_original_chars)
        return article if self.publishable(article) else None
