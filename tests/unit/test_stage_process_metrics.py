"""The worker's stage process reports what the worker must count: an untagged article's reason."""

from __future__ import annotations

from datetime import UTC, datetime

import agents.stage_process as stage_process
from pipeline.config import Settings
from pipeline.stages import Pipeline
from schemas import Article


def _article(body: str, lang: str | None) -> bytes:
    return Article(
        id="0123456789abcdef", url="https://wire.example/a", canonical_url="https://wire.example/a",
        title="Kort bericht", body=body, lang=lang, fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
        content_hash="0" * 16,
    ).model_dump_json().encode()


def test_tag_stage_results_say_why_an_article_has_no_topics(tmp_path) -> None:
    stage_process._pipeline = Pipeline(Settings(data_dir=tmp_path))
    try:
        dutch = "De gemeenteraad heeft gisteren een nieuw plan voor de haven goedgekeurd. " * 5
        [result] = stage_process.run_stage("tag", [_article(dutch, None)])
    finally:
        stage_process._pipeline = None
    assert result.error is None
    assert result.untagged in {"unsupported_language", "unknown_language"}
