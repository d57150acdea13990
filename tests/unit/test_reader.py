"""The feed reader: each item's page published once, across restarts, never lost, never crashed by a feed.

HTTP runs on an in-memory web (fakeweb.py): every request is logged, no sockets, no sleeps.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from pipeline.config import Settings
from pipeline.ingest.feeds import FeedConfig
from pipeline.ingest.fetch import PoliteClient
from pipeline.ingest.reader import Reader, ReaderState
from pipeline.metrics import READER_REGISTRY
from schemas import RawPage
from tests.unit.fakeweb import FakeWeb

SITE = "wire.example"
BASE = f"https://{SITE}"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def rss(names: list[str], base: str = BASE, updated: dict[str, str] | None = None) -> bytes:
    items = "".join(
        f"<item><title>{n.rsplit('/', 1)[-1]}</title><link>{n if '://' in n else f'{base}/{n}.html'}</link>"
        + (f"<description>{(updated or {}).get(n, '')}</description>" if updated else "")
        + "</item>"
        for n in names
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{items}</channel></rss>'.encode()


def page(name: str, content_type: str = "text/html; charset=utf-8") -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": content_type}, f"<html><p>{name} body</p></html>".encode()


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.pages: list[RawPage] = []
        self.keys: list[str] = []
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, raw: RawPage, key: str) -> None:
        if self.fail:
            raise RuntimeError("broker unavailable")
        with self._lock:
            self.pages.append(raw)
            self.keys.append(key)


def make_reader(web: FakeWeb, sink: Sink, state_path: Path, feeds: list[FeedConfig] | None = None,
                client: PoliteClient | None = None, **settings: object) -> Reader:
    opts: dict = dict(poll_interval_s=0.0, per_host_delay_s=0.0)
    opts.update(settings)
    feeds = feeds or [FeedConfig(f"{BASE}/rss", "test-wire")]
    return Reader(Settings(**opts), feeds, client or web.client(max_bytes=100_000), sink,
                  ReaderState.load(state_path))


def wire(names: list[str]) -> FakeWeb:
    routes = {f"/{n}.html": page(n) for n in names}
    routes["/rss"] = (200, {}, rss(names))
    return FakeWeb({SITE: routes})


def test_new_items_are_published_once_with_feed_metadata(tmp_path: Path) -> None:
    web = wire(["a", "b"])
    sink = Sink()
    reader = make_reader(web, sink, tmp_path / "state.json")
    [result] = reader.poll_once()
    assert (result.items, result.produced, result.errors) == (2, 2, 0)
    reader.poll_once()
    reader.close()
    assert sorted(p.title for p in sink.pages) == ["a", "b"]
    assert all(p.source == "test-wire" and p.content_type == "text/html" for p in sink.pages)
    assert web.paths().count("/a.html") == web.paths().count("/b.html") == 1


def test_a_restarted_reader_remembers_what_it_sent(tmp_path: Path) -> None:
    web = wire(["a", "b"])
    web.sites[SITE]["/rss"] = (200, {}, rss(["a"]))
    first = Sink()
    reader = make_reader(web, first, tmp_path / "state.json")
    reader.poll_once()
    reader.close()
    web.sites[SITE]["/rss"] = (200, {}, rss(["a", "b"]))
    second = Sink()
    reader = make_reader(web, second, tmp_path / "state.json")
    reader.poll_once()
    reader.close()
    assert [p.title for p in first.pages] == ["a"]
    assert [p.title for p in second.pages] == ["b"]


def test_pages_that_could_not_be_published_are_tried_again(tmp_path: Path) -> None:
    web = wire(["a"])
    sink = Sink(fail=True)
    reader = make_reader(web, sink, tmp_path / "state.json")
    [result] = reader.poll_once()
    assert result.errors == 1 and result.produced == 0
    sink.fail = False
    reader.poll_once()
    reader.close()
    assert [p.title for p in sink.pages] == ["a"]


def test_a_long_broker_outage_loses_no_page_although_the_feed_answers_304(tmp_path: Path) -> None:
    # the feed has an ETag: if it were stored before the pages were published, the polls after the
    # outage would get 304 and the unsent pages would never be tried again
    names = [f"p{i}" for i in range(300)]
    web = wire(names)

    def conditional(request):  # noqa: ANN001, ANN202
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"'}, rss(names)

    web.sites[SITE]["/rss"] = conditional
    sent = 0

    class Outage(Sink):  # the broker goes away after 34 pages of the first poll, for three more polls
        def __call__(self, raw: RawPage, key: str) -> None:
            nonlocal sent
            if self.fail or sent >= 34:
                raise RuntimeError("KafkaTimeoutError: broker unavailable")
            sent += 1
            super().__call__(raw, key)

    sink = Outage()
    reader = make_reader(web, sink, tmp_path / "state.json")
    reader.poll_once()
    sink.fail = True
    for _ in range(3):
        reader.poll_once()
    reader.close()
    sink.fail, sent = False, -10_000  # the broker is back
    reader = make_reader(web, sink, tmp_path / "state.json")  # and the reader was restarted meanwhile
    reader.poll_once()
    [last] = reader.poll_once()
    reader.close()
    assert sorted(p.title for p in sink.pages) == sorted(names)  # 0 lost, none twice
    assert last.not_modified  # once everything is acknowledged the validators advance


def test_hostile_items_fail_alone_and_the_good_items_of_the_feed_still_arrive(tmp_path: Path) -> None:
    hostile = [f"https://{SITE}:99999/a", f"https://{SITE}:abc/b", f"https://{SITE}/c\x01d", "https://[::1/e"]
    web = wire(["good", "undef", "idna", "hop"])
    web.sites[SITE]["/rss"] = (200, {}, rss(["good", *hostile[:2], "undef", "idna", "hop"]))
    web.sites[SITE]["/undef.html"] = page("undef", "text/html; charset=undefined")
    web.sites[SITE]["/idna.html"] = page("idna", "text/html; charset=idna")
    web.sites[SITE]["/hop.html"] = (302, {"Location": f"https://{SITE}:70000/x"}, b"")
    json_feed = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": f"{BASE}/c\x00ontrol"}, {"id": "2", "url": f"{BASE}/good2.html"}]}
    web.sites[SITE]["/feed.json"] = (200, {}, json.dumps(json_feed).encode())
    web.sites[SITE]["/good2.html"] = page("good2")
    sink = Sink()
    reader = make_reader(web, sink, tmp_path / "state.json",
                         feeds=[FeedConfig(f"{BASE}/rss", "rss"), FeedConfig(f"{BASE}/feed.json", "json")])
    results = reader.poll_once()
    again = reader.poll_once()  # and the next poll is no different: nothing crashes on a loop
    reader.close()
    assert sorted(p.url.rsplit("/", 1)[1] for p in sink.pages) == ["good.html", "good2.html", "idna.html",
                                                                   "undef.html"]
    assert all("body" in p.content for p in sink.pages)
    assert sum(r.errors for r in results) == 1  # the redirect to a bad port
    assert all(r.produced == 0 for r in again)


def test_credentials_never_leave_the_reader(tmp_path: Path) -> None:
    web = wire(["a"])
    web.sites[SITE]["/rss"] = (200, {}, rss([f"https://ed:itempass@{SITE}/a.html"]))
    sink = Sink()
    from pipeline.ingest.feeds import load_feeds_file
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(f"feeds:\n  - url: https://desk:feedpass@{SITE}/rss\n")
    reader = make_reader(web, sink, tmp_path / "state.json", feeds=load_feeds_file(feeds_file))
    reader.poll_once()
    reader.close()
    [raw] = sink.pages
    record = raw.model_dump_json() + " ".join(sink.keys) + (tmp_path / "state.json").read_text()
    assert "feedpass" not in record and "itempass" not in record
    exposed = generate_latest(READER_REGISTRY).decode()
    assert f'feed="https://{SITE}/rss"' in exposed and "feedpass" not in exposed
    assert raw.source == f"https://{SITE}/rss" and raw.feed_url == f"https://{SITE}/rss"
    assert web.hits[-1].headers["authorization"].startswith("Basic ")  # the page was still fetched with them


def test_an_updated_item_is_fetched_again_under_the_same_key_a_bounded_number_of_times(tmp_path: Path) -> None:
    web = wire(["a"])
    sink = Sink()
    reader = make_reader(web, sink, tmp_path / "state.json", max_item_updates=2)
    for version in ["first", "first", "corrected", "corrected", "again", "and again"]:
        web.sites[SITE]["/rss"] = (200, {}, rss(["a"], updated={"a": version}))
        reader.poll_once()
    reader.close()
    assert len(sink.pages) == 3  # the original and two updates; the third update is past the bound
    assert len(set(sink.keys)) == 1


def test_one_slow_host_does_not_hold_the_other_feeds(tmp_path: Path) -> None:
    release = threading.Event()
    web = wire(["a"])
    web.sites["slow.example"] = {"/rss": lambda req: (release.wait(30), (200, {}, rss([])))[1]}
    sink = Sink()
    reader = make_reader(web, sink, tmp_path / "state.json",
                         feeds=[FeedConfig("https://slow.example/rss", "slow"), FeedConfig(f"{BASE}/rss", "fast")])
    started = reader._start_due(0)
    try:
        assert started[1].result(timeout=30).produced == 1  # while the slow feed still hangs
        assert not started[0].done()
        assert [f.name for f in reader.due(0)] == []  # a feed still being read is not started twice
    finally:
        release.set()
    reader.close()


def test_a_failing_feed_backs_off_and_recovers(tmp_path: Path) -> None:
    web = FakeWeb({SITE: {"/rss": (500, {}, b"oops")}})
    reader = make_reader(web, Sink(), tmp_path / "state.json", poll_interval_s=10.0)
    [result] = reader.poll_once()
    state = reader.state.feeds[f"{BASE}/rss"]
    assert result.errors == 1 and state.failures == 1
    first_wait = state.next_poll
    assert reader.poll_once() == []  # not due yet
    reader.poll_once(now=first_wait + 1)
    assert state.failures == 2 and state.next_poll - first_wait > 10
    web.sites[SITE]["/rss"] = (200, {}, rss([]))
    reader.poll_once(now=state.next_poll + 1)
    assert state.failures == 0
    reader.close()


def test_the_feed_is_asked_with_its_etag(tmp_path: Path) -> None:
    def conditional(req):  # noqa: ANN001, ANN202
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"'}, rss([])

    web = FakeWeb({SITE: {"/rss": conditional}})
    reader = make_reader(web, Sink(), tmp_path / "state.json")
    reader.poll_once()
    [result] = reader.poll_once()
    reader.close()
    assert result.not_modified


def test_non_html_pages_are_skipped_not_published(tmp_path: Path) -> None:
    web = wire(["a"])
    web.sites[SITE]["/a.html"] = (200, {"Content-Type": "image/png"}, b"\x89PNG")
    sink = Sink()
    reader = make_reader(web, sink, tmp_path / "state.json")
    [result] = reader.poll_once()
    reader.close()
    assert sink.pages == [] and result.errors == 1


def test_a_corrupt_state_file_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    assert ReaderState.load(path).seen == {}
    path.write_text('{"seen": {"https://x.example/a": "nonsense"}}')
    assert ReaderState.load(path).seen == {}


def test_a_state_file_from_before_versions_were_kept_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"seen": {"https://x.example/a": 1700000000.0}, "feeds": {"https://x.example/rss": '
                    '{"etag": "\\"v1\\"", "last_modified": null, "failures": 0, "next_poll": 0.0}}}')
    state = ReaderState.load(path)
    assert state.is_seen("https://x.example/a") and state.feeds["https://x.example/rss"].etag == '"v1"'


def test_the_seen_state_is_checkpointed_while_pages_are_published_at_most_once_a_second(tmp_path: Path) -> None:
    # a crash mid-poll then re-sends only what was published since the last checkpoint
    path = tmp_path / "state.json"
    state = ReaderState.load(path)
    state.mark_seen("https://wire.example.org/a")
    state.checkpoint()
    assert list(ReaderState.load(path).seen) == ["https://wire.example.org/a"]
    state.mark_seen("https://wire.example.org/b")
    state.checkpoint()  # within the second: not written again
    assert list(ReaderState.load(path).seen) == ["https://wire.example.org/a"]
    state.checkpoint(every_s=0)
    assert list(ReaderState.load(path).seen) == ["https://wire.example.org/a", "https://wire.example.org/b"]


def test_an_unexpected_error_in_a_poll_is_a_counted_failure_with_back_off_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.ingest.reader as reader_module

    def broken(document: bytes, base_url: str) -> list:
        raise UnicodeError("a parser bug nobody foresaw")

    web = wire(["a"])
    web.sites["other.example"] = {"/rss": (200, {}, rss(["b"], base="https://other.example")),
                                  "/b.html": page("b")}
    sink = Sink()
    reader = make_reader(web, sink, tmp_path / "state.json", poll_interval_s=10.0,
                         feeds=[FeedConfig(f"{BASE}/rss", "broken"), FeedConfig("https://other.example/rss", "ok")])
    real = reader_module.parse_feed
    monkeypatch.setattr(reader_module, "parse_feed",
                        lambda doc, url: broken(doc, url) if url.startswith(BASE) else real(doc, url))
    results = {r.feed: r for r in reader.poll_once()}
    reader.close()
    assert results["broken"].errors == 1 and reader.state.feeds[f"{BASE}/rss"].failures == 1
    assert results["ok"].produced == 1 and [p.title for p in sink.pages] == ["b"]
