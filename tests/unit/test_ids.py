"""Identity: canonical URLs, article ids, content hashes."""

from __future__ import annotations

from pipeline.ids import article_id, canonical_url, content_hash


def test_canonical_url_drops_tracking_fragment_and_www() -> None:
    a = canonical_url("https://www.Wire.example/world/story/?utm_source=rss&utm_medium=feed#comments")
    b = canonical_url("https://wire.example/world/story")
    assert a == b == "https://wire.example/world/story"


def test_canonical_url_keeps_parameters_that_name_the_page() -> None:
    assert canonical_url("https://wire.example/article?id=42&utm_campaign=x") == "https://wire.example/article?id=42"
    assert canonical_url("https://wire.example/a?id=1") != canonical_url("https://wire.example/a?id=2")


def test_article_id_is_stable_and_short() -> None:
    url = canonical_url("https://wire.example/a")
    assert article_id(url) == article_id(url)
    assert len(article_id(url)) == 16
    assert article_id(url) != article_id(canonical_url("https://wire.example/b"))


def test_content_hash_ignores_quotes_case_and_spacing_but_not_words() -> None:
    a = content_hash("“Peace,” he said.\nThe talks  ended.")
    b = content_hash('"peace," he said. the talks ended.')
    assert a == b
    assert a != content_hash('"war," he said. the talks ended.')
