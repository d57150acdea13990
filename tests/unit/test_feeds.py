"""Feed documents and the feeds file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.ingest.feeds import FeedError, load_feeds_file, parse_feed

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Summit opens</title><link>https://wire.example/summit</link>
<pubDate>Tue, 18 Jun 2024 10:00:00 GMT</pubDate></item>
<item><title>No link</title></item>
<item><title>Mail</title><link>mailto:desk@wire.example</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><title>Storm hits coast</title><link href="https://wire.example/storm"/><id>urn:1</id>
<updated>2024-06-19T08:30:00Z</updated></entry></feed>"""

JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "Wire",
    "items": [{"id": "1", "url": "https://wire.example/markets", "title": "Markets rally",
               "date_published": "2024-06-20T09:00:00Z"}, {"id": "2"}],
}).encode()


def test_rss_items_with_http_links_are_read_in_order() -> None:
    [item] = parse_feed(RSS, "https://wire.example/rss")
    assert item.url == "https://wire.example/summit"
    assert item.title == "Summit opens"
    assert item.published_at is not None and item.published_at.isoformat() == "2024-06-18T10:00:00+00:00"


def test_atom_entries_are_read() -> None:
    [item] = parse_feed(ATOM, "https://wire.example/atom")
    assert (item.url, item.title) == ("https://wire.example/storm", "Storm hits coast")


def test_json_feed_items_are_read() -> None:
    [item] = parse_feed(JSON_FEED, "https://wire.example/feed.json")
    assert item.url == "https://wire.example/markets"
    assert item.published_at is not None and item.published_at.day == 20


def test_a_feed_declaring_entities_is_refused() -> None:
    laughs = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<rss version="2.0"><channel><item><title>&lol2;</title><link>https://x.example/a</link></item></channel></rss>"""
    with pytest.raises(FeedError, match="entities"):
        parse_feed(laughs, "https://x.example/rss")


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"\x00\x01 this is not xml <<<", "https://x.example/rss")


def test_feeds_file_lists_urls_with_names(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: https://wire.example/rss\n    name: Wire\n    interval: 60\n"
                    "  - https://other.example/atom\n")
    feeds = load_feeds_file(path)
    assert [(f.url, f.name, f.interval_s) for f in feeds] == [
        ("https://wire.example/rss", "Wire", 60), ("https://other.example/atom", "https://other.example/atom", None)
    ]


@pytest.mark.parametrize("text", ["", "feeds: []", "feeds:\n  - name: x", "feeds:\n  - url: ftp://x/y", "[: bad"])
def test_a_bad_feeds_file_says_what_is_wrong(tmp_path: Path, text: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(FeedError):
        load_feeds_file(path)


def test_a_missing_feeds_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="cannot read"):
        load_feeds_file(tmp_path / "nope.yaml")


def test_links_the_fetcher_could_not_use_are_dropped_at_parse_time() -> None:
    feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://wire.example/a\x00b"}, {"id": "2", "url": "https://wire.example:99999/b"},
        {"id": "3", "url": "https://wire.example:abc/c"}, {"id": "4", "url": " https://wire.example/ok "},
        {"id": "5", "url": ["not", "a", "string"]}]}).encode()
    assert [i.url for i in parse_feed(feed, "https://wire.example/feed.json")] == ["https://wire.example/ok"]


def test_an_items_version_changes_with_its_updated_date_or_content_but_not_otherwise() -> None:
    def atom(updated: str, summary: str) -> bytes:
        return (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>W</title><entry><title>Storm</title>'
                b'<link href="https://wire.example/storm"/><id>urn:1</id>'
                + f"<updated>{updated}</updated><summary>{summary}</summary></entry></feed>".encode())

    [a] = parse_feed(atom("2024-06-19T08:30:00Z", "Storm hits"), "https://wire.example/atom")
    [same] = parse_feed(atom("2024-06-19T08:30:00Z", "Storm hits"), "https://wire.example/atom")
    [later] = parse_feed(atom("2024-06-19T09:30:00Z", "Storm hits"), "https://wire.example/atom")
    [edited] = parse_feed(atom("2024-06-19T08:30:00Z", "Storm hits the coast"), "https://wire.example/atom")
    assert a.version == same.version
    assert len({a.version, later.version, edited.version}) == 3


def test_a_feed_name_defaults_to_its_url_without_credentials(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - https://desk:s3cret@wire.example/rss\n")
    [feed] = load_feeds_file(path)
    assert feed.url == "https://desk:s3cret@wire.example/rss" and feed.name == "https://wire.example/rss"
