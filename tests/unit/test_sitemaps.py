"""Sitemaps as feeds: news sitemaps, indexes, gzip, robots.txt-listed sitemaps, hostile files.

Parsing on bytes; the acceptance runs (a 1,000-entry Google News sitemap across
restarts, hostile sitemaps beside a good feed) on a real 127.0.0.1 server that
logs every request, through the real reader.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.ingest.feeds import FeedConfig, FeedError, load_feeds_file
from pipeline.ingest.fetch import AddressPolicy, PoliteClient
from pipeline.ingest.reader import Reader, ReaderState
from pipeline.ingest.robots import RobotsCache
from pipeline.ingest.sitemaps import looks_like_sitemap, parse_sitemap
from tests.helpers import Routes
from tests.unit.test_reader import Sink, page, rss

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NS = ('xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
      'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"')


def news_entry(url: str, when: str, title: str, lang: str = "en") -> str:
    return (f"<url><loc>{url}</loc><news:news><news:publication><news:name>Wire</news:name>"
            f"<news:language>{lang}</news:language></news:publication>"
            f"<news:publication_date>{when}</news:publication_date><news:title>{title}</news:title>"
            "</news:news></url>")


def urlset(entries: list[str]) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{"".join(entries)}</urlset>'.encode()


def index(urls: list[str]) -> bytes:
    body = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}' \
           "</sitemapindex>".encode()


def test_google_news_fields_become_title_date_and_language() -> None:
    doc = urlset([news_entry("https://wire.example/a", "2026-12-01T10:00:00Z", "Summit &amp; talks", "fr")])
    [item] = parse_sitemap(doc, 1_000_000, DAY, NOW).items
    assert (item.url, item.title, item.lang, item.source) == ("https://wire.example/a", "Summit & talks", "fr", "Wire")
    assert item.published_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_only_entries_inside_the_window_are_listed() -> None:
    doc = urlset([news_entry(f"https://wire.example/{h}", (NOW - timedelta(hours=h)).isoformat(), f"t{h}")
                  for h in (1, 20, 30, 100)])
    sitemap = parse_sitemap(doc, 1_000_000, DAY, NOW)
    assert [i.url.rsplit("/", 1)[1] for i in sitemap.items] == ["1", "20"]
    assert sitemap.old == 2


def test_a_plain_sitemap_uses_lastmod_for_the_window() -> None:
    doc = urlset(["<url><loc>https://wire.example/new</loc><lastmod>2026-12-01</lastmod></url>",
                  "<url><loc>https://wire.example/old</loc><lastmod>2020-01-01</lastmod></url>"])
    [item] = parse_sitemap(doc, 1_000_000, DAY, NOW).items
    assert item.url == "https://wire.example/new" and item.published_at is None


def test_an_index_lists_its_sitemaps() -> None:
    sitemap = parse_sitemap(index(["https://wire.example/s1.xml.gz", "https://wire.example/s2.xml"]),
                            1_000_000, DAY, NOW)
    assert sitemap.children == ["https://wire.example/s1.xml.gz", "https://wire.example/s2.xml"]
    assert looks_like_sitemap(index([])) and not looks_like_sitemap(rss(["a"]))


def test_a_gzipped_sitemap_is_read_within_the_same_cap() -> None:
    doc = urlset([news_entry("https://wire.example/a", NOW.isoformat(), "A")])
    assert looks_like_sitemap(gzip.compress(doc))
    assert len(parse_sitemap(gzip.compress(doc), 1_000_000, DAY, NOW).items) == 1
    with pytest.raises(FeedError, match="over"):
        parse_sitemap(gzip.compress(doc + b" " * 2_000_000), 1_000_000, DAY, NOW)


@pytest.mark.parametrize(("document", "reason"), [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/&lol2;</loc>'
     b"</url></urlset>", "entities"),
    (b"<html><body>Not found</body></html>", "not a sitemap"),
    (urlset(["<url><loc>https://x.example/a</loc><lastmod>yesterday-ish</lastmod></url>",
             "<url><loc>https://x.example/b</loc><lastmod>2026-99-99</lastmod></url>"]), "no valid date"),
    (urlset([news_entry("https://x.example/a", "9999-12-31T00:00:00Z", "forever news")]), "no valid date"),
])
def test_a_hostile_sitemap_fails_with_a_clear_reason(document: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_sitemap(document, 1_000_000, DAY, NOW)


def test_entries_with_broken_dates_are_left_out_and_the_rest_read() -> None:
    doc = urlset([news_entry("https://x.example/good", NOW.isoformat(), "Good"),
                  news_entry("https://x.example/bad", "not-a-date", "Bad")])
    sitemap = parse_sitemap(doc, 1_000_000, DAY, NOW)
    assert [i.url for i in sitemap.items] == ["https://x.example/good"] and sitemap.undated == 1


def test_feeds_file_entries_may_be_sitemaps_and_sites(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: https://wire.example/news-sitemap.xml\n    window_hours: 6\n"
                    "  - url: https://wire.example/\n    type: site\n  - https://other.example/robots.txt\n")
    feeds = load_feeds_file(path)
    assert [(f.kind, f.window_hours) for f in feeds] == [("auto", 6), ("site", None), ("site", None)]
    path.write_text("feeds:\n  - url: https://wire.example/\n    type: podcast\n")
    with pytest.raises(FeedError, match="type"):
        load_feeds_file(path)


# -- through the reader, on a local server ----------------------------------------------------------

def local_reader(srv: Routes, feeds: list[FeedConfig], sink: Sink, state: Path, **settings: object) -> Reader:
    opts: dict = dict(poll_interval_s=0.0, per_host_delay_s=0.0, sitemap_window_hours=48.0)
    opts.update(settings)
    client = PoliteClient(policy=AddressPolicy("127.0.0.1"), user_agent="wirefeed/0.1", timeout_s=5,
                          max_bytes=2_000_000, max_redirects=2, per_host_concurrency=4, per_host_delay_s=0)
    RobotsCache(client, client.user_agent).attach()
    return Reader(Settings(**opts), feeds, client, sink, ReaderState.load(state))


def test_a_1000_entry_news_sitemap_yields_exactly_the_entries_in_the_window_once_across_restarts(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    ages = [timedelta(minutes=5 * i) for i in range(1000)]  # 0 to ~83 hours old; the window is 48 hours
    names = [f"story-{i}" for i in range(1000)]
    inside = {n for n, age in zip(names, ages, strict=True) if age < timedelta(hours=48) - timedelta(minutes=1)}
    routes = {f"/{n}.html": page(n) for n in names}
    with Routes(routes) as srv:
        entries = [news_entry(srv.url(f"/{n}.html"), (now - age).isoformat(), f"Title of {n}")
                   for n, age in zip(names, ages, strict=True)]

        def conditional(req):  # noqa: ANN001, ANN202
            if req.headers.get("If-None-Match") == '"s1"':
                return 304, {}, b""
            return 200, {"ETag": '"s1"', "Content-Type": "application/xml"}, urlset(entries)

        srv.routes["/news-sitemap.xml"] = conditional
        feeds = [FeedConfig(srv.url("/news-sitemap.xml"), "wire-news")]
        sink = Sink()
        for _ in range(3):  # three runs of the reader on one state file
            reader = local_reader(srv, feeds, sink, tmp_path / "state.json")
            reader.poll_once()
            reader.close()
        # the sitemap changes (ETag gone): still nothing twice
        srv.routes["/news-sitemap.xml"] = (200, {}, urlset(entries))
        reader = local_reader(srv, feeds, sink, tmp_path / "state.json")
        reader.poll_once()
        reader.close()
    got = [p.title for p in sink.pages]
    assert len(got) == len(set(got))
    assert {t.removeprefix("Title of ") for t in got} == inside
    assert all(p.published_at is not None and p.lang == "en" for p in sink.pages)
    fetched = [path for path, _ in srv.hits if path.endswith(".html")]
    assert len(fetched) == len(inside)  # old entries are never even requested


def test_a_sitemap_index_with_gzipped_sitemaps_and_a_site_found_by_robots_txt(tmp_path: Path) -> None:
    now = datetime.now(UTC).isoformat()
    with Routes({f"/{n}.html": page(n) for n in ("a", "b", "c")}) as srv:
        srv.routes["/s1.xml.gz"] = (200, {"Content-Type": "application/gzip"},
                                    gzip.compress(urlset([news_entry(srv.url("/a.html"), now, "A")])))
        srv.routes["/s2.xml"] = (200, {"Content-Encoding": "gzip"},
                                 gzip.compress(urlset([news_entry(srv.url("/b.html"), now, "B")])))
        srv.routes["/index.xml"] = (200, {}, index([srv.url("/s1.xml.gz"), srv.url("/s2.xml")]))
        srv.routes["/robots.txt"] = (200, {}, f"User-agent: *\nSitemap: {srv.url('/c.xml')}\n".encode())
        srv.routes["/c.xml"] = (200, {}, urlset([news_entry(srv.url("/c.html"), now, "C")]))
        sink = Sink()
        reader = local_reader(srv, [FeedConfig(srv.url("/index.xml"), "index"),
                                    FeedConfig(srv.url("/"), "site", kind="site")], sink, tmp_path / "s.json")
        results = reader.poll_once()
        reader.close()
    assert sorted(p.title for p in sink.pages) == ["A", "B", "C"]
    assert all(r.errors == 0 for r in results)


def test_hostile_sitemaps_each_fail_alone_and_the_reader_goes_on(tmp_path: Path) -> None:
    now = datetime.now(UTC).isoformat()
    hostile = {
        "/huge.xml": (200, {}, b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                      + b"<url><loc>https://x.example/a</loc></url>" * 100_000 + b"</urlset>"),
        "/bomb.xml.gz": (200, {}, gzip.compress(b"<urlset>" + b" " * 50_000_000)),
        "/entities.xml": (200, {}, b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY e "e">]><urlset/>'),
        "/dates.xml": (200, {}, urlset(["<url><loc>https://x.example/a</loc><lastmod>2026-13-45</lastmod></url>"])),
        "/garbage.xml": (200, {}, b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>\x00\x01"),
    }
    with Routes({**hostile, "/good.html": page("good"), "/also.html": page("also")}) as srv:
        srv.routes["/rss"] = (200, {}, rss(["good"], base=srv.url("")))
        srv.routes["/index.xml"] = (200, {}, index([srv.url(p) for p in hostile] + [srv.url("/ok.xml")]))
        srv.routes["/ok.xml"] = (200, {}, urlset([news_entry(srv.url("/also.html"), now, "Also")]))
        feeds = [FeedConfig(srv.url(p), p) for p in hostile] + [FeedConfig(srv.url("/rss"), "rss"),
                                                                FeedConfig(srv.url("/index.xml"), "index")]
        sink = Sink()
        reader = local_reader(srv, feeds, sink, tmp_path / "state.json", fetch_max_bytes=1_000_000)
        reader.client.max_bytes = 1_000_000
        results = {r.feed: r for r in reader.poll_once()}
        reader.close()
    assert sorted(p.title for p in sink.pages) == ["Also", "good"]
    assert all(results[p].errors == 1 for p in hostile)
    assert results["rss"].errors == 0 and results["index"].produced == 1
