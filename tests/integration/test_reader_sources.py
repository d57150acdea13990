"""robots.txt and sitemaps through the real reader process and a real broker.

A local 127.0.0.1 site logs every request: robots.txt disallows a section and
asks for a crawl-delay, a Google News sitemap lists fresh and old entries (some
in the disallowed section), an index points at a gzipped sitemap and at hostile
ones. ``wirefeed read --once`` runs twice on one state file; wire.raw must hold
each allowed, fresh entry exactly once, with the sitemap's titles and dates.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, settings_from
from tests.helpers import Routes, read_topic
from tests.unit.test_reader import page
from tests.unit.test_sitemaps import index, news_entry, urlset

pytestmark = [pytest.mark.broker]


def test_robots_and_news_sitemaps_through_the_reader_and_broker(
    tmp_path: Path, isolated_env: dict[str, str], kafka_bootstrap: str
) -> None:
    now = datetime.now(UTC)
    fresh = [f"news/{i}" for i in range(12)]
    private = [f"private/{i}" for i in range(4)]
    old = [f"news/old-{i}" for i in range(6)]
    env = {**isolated_env, "WIREFEED_METRICS_PORT": "0", "WIREFEED_READER_METRICS_PORT": "0",
           "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1", "WIREFEED_PER_HOST_DELAY_S": "0",
           "WIREFEED_SITEMAP_WINDOW_HOURS": "24"}
    settings = settings_from(env)
    with Routes({f"/{n}.html": page(n) for n in fresh + private + old}) as srv:
        def entry(name: str, age: timedelta) -> str:
            return news_entry(srv.url(f"/{name}.html"), (now - age).isoformat(), f"Title {name}", "de")

        srv.routes["/robots.txt"] = (200, {}, b"User-agent: wirefeed\nDisallow: /private/\nCrawl-delay: 0.05\n"
                                     + f"Sitemap: {srv.url('/index.xml')}\n".encode())
        srv.routes["/news.xml.gz"] = (200, {"Content-Type": "application/gzip"}, gzip.compress(urlset(
            [entry(n, timedelta(hours=1)) for n in fresh + private] + [entry(n, timedelta(days=3)) for n in old])))
        srv.routes["/entities.xml"] = (200, {}, b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY e "e">]><urlset/>')
        srv.routes["/dates.xml"] = (200, {}, urlset(["<url><loc>https://x.example/a</loc>"
                                                    "<lastmod>2026-13-45</lastmod></url>"]))
        srv.routes["/index.xml"] = (200, {}, index([srv.url("/entities.xml"), srv.url("/news.xml.gz"),
                                                    srv.url("/dates.xml")]))
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - url: {srv.url('/')}\n    type: site\n    name: site\n", encoding="utf-8")
        for run in (1, 2):
            done = subprocess.run([sys.executable, "-m", "agents.cli", "read", "--once", "--feeds", str(feeds)],
                                  env={**_base_env(), **env}, cwd=REPO_ROOT, capture_output=True, text=True,
                                  timeout=180)
            assert done.returncode == 0, done.stderr[-3000:]
            if run == 1:
                log = done.stderr
        pages = [json.loads(v) for v in read_topic(settings, kafka_bootstrap, settings.topic_raw, timeout_s=60,
                                                   idle_s=5)]
    requested = [path for path, _ in srv.hits]
    assert not any(p.startswith("/private/") for p in requested)
    assert not any("/old-" in p for p in requested)
    assert sorted(p["title"] for p in pages) == sorted(f"Title {n}" for n in fresh)  # each exactly once
    assert all(p["lang"] == "de" and p["published_at"] and p["feed_url"] == srv.url("/") for p in pages)
    assert "entities" in log and "no valid date" in log  # each hostile sitemap failed with its reason


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)
