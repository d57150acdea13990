"""``wirefeed feeds discover``: the feeds and sitemaps a site advertises, nothing guessed."""

from __future__ import annotations

import os
import subprocess
import sys

from pipeline.ingest.discover import advertised_feeds, discover
from pipeline.ingest.robots import RobotsCache
from tests.helpers import REPO_ROOT, Routes
from tests.unit.fakeweb import FakeWeb

HOME = b"""<html><head><title>Wire</title>
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
<link rel="alternate" type="application/atom+xml" href="https://wire.example/atom">
<link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
<link rel="alternate" hreflang="fr" href="https://wire.example/fr/">
<link rel="stylesheet" type="text/css" href="/site.css">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml" title="again" href="/rss/top.xml">
</head><body><a href="/rss/other.xml">RSS</a></body></html>"""


def test_alternate_links_with_a_feed_type_are_listed_resolved_and_once() -> None:
    found = advertised_feeds(HOME.decode(), "https://wire.example/news/")
    assert [(f.url, f.kind, f.title) for f in found] == [
        ("https://wire.example/rss/top.xml", "rss", "Top stories"),
        ("https://wire.example/atom", "atom", None),
        ("https://wire.example/news/feed.json", "json feed", "JSON"),
    ]


def test_discovery_adds_the_sitemaps_robots_txt_lists_and_says_what_it_could_not_read() -> None:
    web = FakeWeb({"wire.example": {"/": (200, {"Content-Type": "text/html"}, HOME),
                                    "/robots.txt": (200, {}, b"Sitemap: https://wire.example/news.xml\n")}})
    client = web.client()
    found = discover(client, RobotsCache(client, client.user_agent), "https://wire.example/")
    assert [f.kind for f in found.found] == ["rss", "atom", "json feed", "sitemap"] and found.problems == []
    web.sites["wire.example"]["/"] = (500, {}, b"")
    found = discover(client, RobotsCache(client, client.user_agent), "https://wire.example/")
    assert [f.url for f in found.found] == ["https://wire.example/news.xml"]
    assert "http_5xx" in found.problems[0]


def test_the_command_prints_a_feeds_file_fragment() -> None:
    with Routes({"/": (200, {"Content-Type": "text/html"}, HOME),
                 "/robots.txt": (200, {}, b"User-agent: *\nSitemap: https://wire.example/news.xml\n")}) as srv:
        env = {**os.environ, "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1"}
        done = subprocess.run([sys.executable, "-m", "agents.cli", "feeds", "discover", srv.url("/"), "--yaml"],
                              env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("feeds:\n")
    assert f"  - url: {srv.url('/rss/top.xml')}\n    name: \"Top stories\"" in done.stdout
    assert "https://wire.example/news.xml" in done.stdout and "sitemap, from robots.txt" in done.stdout
