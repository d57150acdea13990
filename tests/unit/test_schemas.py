"""The record contracts: models as README.md ("Topics and records") lists them, JSON Schema files from them."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from schemas import Article, RawPage, Topic
from schemas.generate import SCHEMA_DIR, render


def test_json_schema_files_are_generated_from_the_models() -> None:
    for file_name, text in render().items():
        on_disk = (SCHEMA_DIR / file_name).read_text(encoding="utf-8")
        assert on_disk == text, f"schemas/{file_name} is stale: run `make schemas`"


def test_every_article_carries_the_schema_version() -> None:
    article = Article(id="a", url="https://x.example/a", canonical_url="https://x.example/a", body="b",
                      content_hash="h")
    assert article.schema_version == 2
    assert set(Article.model_fields) >= {
        "schema_version", "id", "url", "canonical_url", "source", "title", "author", "site_name", "body", "lang",
        "published_at", "fetched_at", "content_hash", "duplicate_of", "story_id", "topics", "entities", "removed",
    }


def test_a_version_1_article_still_reads_and_fields_a_reader_does_not_know_are_ignored() -> None:
    v1 = ('{"schema_version":1,"id":"a","url":"https://x.example/a","canonical_url":"https://x.example/a",'
          '"body":"b","content_hash":"h"}')
    article = Article.model_validate_json(v1)
    assert article.schema_version == 1 and article.author is None and article.site_name is None
    # what lets a version-1 reader take version-2 records: keys it does not know are ignored, not errors
    newer = json.loads(article.model_copy(update={"author": "Jane Roe"}).model_dump_json())
    newer["a_field_of_version_3"] = "x"
    assert Article.model_validate(newer).author == "Jane Roe"


@pytest.mark.parametrize("url", ["ftp://x.example/a", "javascript:alert(1)", "/relative/path", "https://", ""])
def test_a_raw_page_needs_an_absolute_http_url(url: str) -> None:
    with pytest.raises(ValidationError):
        RawPage(url=url, content="text")


def test_a_raw_page_only_takes_html_or_plain_text() -> None:
    with pytest.raises(ValidationError):
        RawPage(url="https://x.example/a", content="%PDF", content_type="application/pdf")


def test_topic_codes_are_iptc_media_topic_codes() -> None:
    Topic(code="medtop:11000000", label="politics", score=0.9)
    with pytest.raises(ValidationError):
        Topic(code="politics", label="politics", score=0.9)
