"""robots.txt: honoured for our user agent before every feed and page fetch, cached, capped, polite.

Rules and caching run on the in-memory web; the acceptance figures (disallowed
pages never requested, crawl-delay kept) on a real 127.0.0.1 server that logs
every request with its arrival time.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.ingest.feeds import FeedConfig
from pipeline.ingest.fetch import AddressPolicy, FetchError, PoliteClient
from pipeline.ingest.reader import Reader, ReaderState
from pipeline.ingest.robots import RobotsCache, product_token
from pipeline.metrics import READER_REGISTRY
from tests.helpers import Routes
from tests.unit.fakeweb import FakeWeb
from tests.unit.test_reader import Sink, page, rss

SITE = "wire.example"
ROBOTS = b"""User-agent: *
Disallow: /

User-agent: wirefeed
Disallow: /private/
Disallow: /*.pdf$
Allow: /private/press-room
Crawl-delay: 2.5
Sitemap: https://wire.example/news-sitemap.xml
"""


def robots_client(web: FakeWeb, **kw: object) -> tuple[PoliteClient, RobotsCache]:
    client = web.client()
    return client, RobotsCache(client, client.user_agent, **kw).attach()  # type: ignore[arg-type]


def test_the_product_token_is_what_robots_groups_name() -> None:
    assert product_token("wirefeed/0.1 (+https://example.invalid/wirefeed)") == "wirefeed"


def test_our_group_is_honoured_with_longest_match_and_wildcards() -> None:
    web = FakeWeb({SITE: {"/robots.txt": (200, {}, ROBOTS)}})
    _, robots = robots_client(web)
    assert robots.allowed(f"https://{SITE}/world/story")  # our group, not the '*' group, applies
    assert not robots.allowed(f"https://{SITE}/private/memo")
    assert robots.allowed(f"https://{SITE}/private/press-room/today")  # the longer Allow wins (RFC 9309)
    assert not robots.allowed(f"https://{SITE}/files/report.pdf")
    assert robots.allowed(f"https://{SITE}/files/report.pdf?page=2")
    assert robots.sitemaps(f"https://{SITE}/") == ["https://wire.example/news-sitemap.xml"]
    assert robots.delay("https", SITE, 443) == 2.5


def test_robots_txt_is_fetched_once_per_origin_and_cached() -> None:
    web = FakeWeb({SITE: {"/robots.txt": (200, {}, b"User-agent: *\nAllow: /\n"), "/a": page("a"), "/b": page("b")}})
    client, _ = robots_client(web, ttl_s=3600)
    for path in ("/a", "/b", "/a"):
        client.get(f"https://{SITE}{path}")
    assert web.paths().count("/robots.txt") == 1


def test_a_page_refused_by_robots_is_not_requested() -> None:
    web = FakeWeb({SITE: {"/robots.txt": (200, {}, b"User-agent: *\nDisallow: /private/\n"),
                          "/private/x": page("x")}})
    client, _ = robots_client(web)
    with pytest.raises(FetchError) as info:
        client.get(f"https://{SITE}/private/x")
    assert info.value.kind == "robots" and not info.value.transient
    assert web.paths() == ["/robots.txt"]


def test_a_redirect_into_a_disallowed_path_is_refused_too() -> None:
    web = FakeWeb({SITE: {"/robots.txt": (200, {}, b"User-agent: *\nDisallow: /private/\n"),
                          "/open": (302, {"Location": "/private/x"}, b""), "/private/x": page("x")}})
    client, _ = robots_client(web)
    with pytest.raises(FetchError) as info:
        client.get(f"https://{SITE}/open")
    assert info.value.kind == "robots" and "/private/x" not in web.paths()


def test_no_robots_txt_allows_everything() -> None:
    web = FakeWeb({SITE: {"/a": page("a")}})  # /robots.txt answers 404
    client, _ = robots_client(web)
    assert client.get(f"https://{SITE}/a").status == 200


def test_an_unreachable_robots_txt_refuses_the_origin_for_now_and_is_asked_again_later() -> None:
    web = FakeWeb({SITE: {"/robots.txt": (503, {}, b""), "/a": page("a")}})
    client, robots = robots_client(web, error_ttl_s=0.0)
    with pytest.raises(FetchError) as info:
        client.get(f"https://{SITE}/a")
    assert info.value.kind == "robots_unavailable" and info.value.transient  # a feed's validators stay
    assert "/a" not in web.paths()
    web.sites[SITE]["/robots.txt"] = (200, {}, b"User-agent: *\nAllow: /\n")
    assert client.get(f"https://{SITE}/a").status == 200
    assert web.paths().count("/robots.txt") == 2


def test_a_huge_robots_txt_is_read_up_to_the_cap() -> None:
    huge = b"User-agent: *\nDisallow: /private/\n" + b"# filler\n" * 200_000 + b"Disallow: /a\n"
    web = FakeWeb({SITE: {"/robots.txt": (200, {}, huge), "/a": page("a"), "/private/b": page("b")}})
    _, robots = robots_client(web, max_bytes=64_000)
    assert not robots.allowed(f"https://{SITE}/private/b")
    assert robots.allowed(f"https://{SITE}/a")  # the rule past the cap is not read


def test_robots_txt_goes_through_the_address_policy() -> None:
    web = FakeWeb({"inside.example": {"/robots.txt": (200, {}, b"")}})
    web.addresses["inside.example"] = ["10.0.0.9"]
    client, _ = robots_client(web)
    with pytest.raises(FetchError) as info:
        client.get("https://inside.example/a")
    assert info.value.kind == "refused_address" and web.hits == []


def test_crawl_delay_is_capped() -> None:
    web = FakeWeb({SITE: {"/robots.txt": (200, {}, b"User-agent: *\nCrawl-delay: 86400\n")}})
    _, robots = robots_client(web, max_crawl_delay_s=30)
    robots.allowed(f"https://{SITE}/a")
    assert robots.delay("https", SITE, 443) == 30


def robots_errors() -> float:
    return sum(s.value for m in READER_REGISTRY.collect() if m.name == "wirefeed_fetch_errors"
               for s in m.samples if s.name.endswith("_total") and s.labels.get("kind") == "robots")


def test_disallowed_pages_are_never_requested_and_counted_and_crawl_delay_is_kept(tmp_path: Path) -> None:
    """Acceptance: a local site logging every request with its time, read through the real reader."""
    delay = 0.4
    arrivals: list[tuple[str, float]] = []

    def logged(name: str):  # noqa: ANN202
        def handler(req):  # noqa: ANN001, ANN202
            arrivals.append((req.path, time.monotonic()))
            return page(name)
        return handler

    allowed = [f"news/{i}" for i in range(6)]
    refused = [f"private/{i}" for i in range(4)]
    routes = {f"/{n}.html": logged(n) for n in allowed + refused}
    routes["/robots.txt"] = (200, {}, f"User-agent: wirefeed\nDisallow: /private/\nCrawl-delay: {delay}\n".encode())
    with Routes(routes) as srv:
        srv.routes["/rss"] = (200, {}, rss(allowed + refused, base=srv.url("")))
        settings = Settings(poll_interval_s=0.0, per_host_delay_s=0.0, reader_page_workers=4)
        client = PoliteClient(policy=AddressPolicy("127.0.0.1"), user_agent=settings.user_agent, timeout_s=5,
                              max_bytes=100_000, max_redirects=2, per_host_concurrency=2, per_host_delay_s=0)
        RobotsCache(client, settings.user_agent).attach()
        turns: list[float] = []  # when the client let each request to the host go (its clock)
        take_turn = client.turns.wait

        def recorded_turn(host: str, delay_s: float) -> None:
            take_turn(host, delay_s)
            turns.append(time.monotonic())

        client.turns.wait = recorded_turn  # type: ignore[method-assign]
        sink = Sink()
        before = robots_errors()
        reader = Reader(settings, [FeedConfig(srv.url("/rss"), "polite")], client, sink,
                        ReaderState.load(tmp_path / "state.json"))
        reader.poll_once()
        reader.close()
    requested = [path for path, _ in srv.hits]
    assert not any(p.startswith("/private/") for p in requested)
    assert sorted(p.title for p in sink.pages) == sorted(n.split("/")[1] for n in allowed)
    assert robots_errors() - before == len(refused)
    # every request to the host (feed and pages) let go at least the crawl-delay apart by the client ...
    turn_gaps = [b - a for a, b in zip(turns, turns[1:], strict=False)]
    assert len(turn_gaps) == 2 + len(allowed) - 1  # robots.txt, the feed, then the pages
    assert min(turn_gaps) >= 0.9 * delay, turn_gaps
    # ... and seen so by the server: one arrival may be late on a loaded machine (shortening the next
    # gap), so the server's figure is the mean gap over the pages, not the smallest one
    times = [t for _, t in arrivals]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == len(allowed) - 1
    assert (times[-1] - times[0]) / len(gaps) >= 0.75 * delay, gaps
    print(f"crawl-delay {delay} s: page gaps min {min(gaps):.3f} mean {sum(gaps) / len(gaps):.3f} max {max(gaps):.3f}")
