"""Identity: canonical URLs, article ids, content hashes."""

from __future__ import annotations

from pipeline.ids import article_id, canonical_url, content_hash


def test_canonical_url_drops_tracking_parameters_fragment_port_and_trailing_slash() -> None:
    a = canonical_url("https://Wire.example:443/world/story/?utm_source=rss&utm_medium=feed#comments")
    b = canonical_url("https://wire.example/world/story")
    assert a == b == "https://wire.example/world/story"


def test_ordinary_https_urls_keep_the_canonical_form_and_id_they_always_had() -> None:
    # ids are derived from this string: a change here re-keys every stored article
    assert canonical_url("https://wire.example/world/story?b=2&a=1") == "https://wire.example/world/story?a=1&b=2"
    assert article_id(canonical_url("https://wire.example/a")) == "59af4146cd7a4d15"


def test_canonical_url_keeps_the_scheme_and_host_the_site_uses() -> None:
    # www.x and x, http and https can be different sites; only the page itself may say they are one
    assert canonical_url("https://www.wire.example/a") == "https://www.wire.example/a"
    assert canonical_url("http://wire.example/a") == "http://wire.example/a"
    assert canonical_url("http://wire.example:8080/a") == "http://wire.example:8080/a"


def test_canonical_url_never_keeps_credentials() -> None:
    assert canonical_url("https://user:s3cret@wire.example/a") == "https://wire.example/a"


def test_a_same_site_declared_canonical_names_the_page() -> None:
    page = "http://wire.example/story?page=1&utm_source=x"
    assert canonical_url(page, "https://www.wire.example/story") == "https://www.wire.example/story"
    assert canonical_url(page, "/story") == "http://wire.example/story"  # relative og:url / rel=canonical


def test_a_declared_canonical_on_another_site_is_ignored() -> None:
    # a syndicated copy pointing at the original must not take the original's id
    assert canonical_url("https://copy.example/a", "https://wire.example/a") == "https://copy.example/a"


def test_canonical_url_never_raises_on_hostile_urls() -> None:
    for url in ("https://wire.example:99999/a", "https://wire.example:abc/a", "http://[::1/a", "https://x/\x00"):
        assert isinstance(canonical_url(url), str)


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


def test_a_page_declares_its_canonical_by_link_rel_or_og_url() -> None:
    import lxml.html

    from pipeline.ids import declared_canonical

    def tree(head: str):  # noqa: ANN202
        return lxml.html.document_fromstring(f"<html><head>{head}</head><body><p>x</p></body></html>")

    assert declared_canonical(tree('<link rel="canonical" href="https://wire.example/a">'
                                   '<meta property="og:url" content="https://wire.example/og">')) == \
        "https://wire.example/a"
    assert declared_canonical(tree('<meta property="og:url" content="/og">')) == "/og"
    assert declared_canonical(tree('<link rel="alternate" href="https://wire.example/feed">')) is None
    page = "http://wire.example/a?utm_source=x"
    declared = declared_canonical(tree('<link rel="canonical" href="https://www.wire.example/a">'))
    assert canonical_url(page, declared) == "https://www.wire.example/a"
