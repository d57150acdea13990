"""The feed reader: each item's page published once, across restarts, never lost on publish failure."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest.feeds import FeedConfig
from pipeline.ingest.fetch import AddressPolicy, PoliteClient
from pipeline.ingest.reader import Reader, ReaderState
from schemas import RawPage
from tests.helpers import Routes


def rss(base: str, names: list[str]) -> bytes:
    items = "".join(f"<item><title>{n}</title><link>{base}/{n}.html</link></item>" for n in names)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{items}</channel></rss>'.encode()


def page(name: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, f"<html><p>{name} body</p></html>".encode()


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.pages: list[RawPage] = []
        self.fail = fail

    def __call__(self, raw: RawPage, key: str) -> None:
        if self.fail:
            raise RuntimeError("broker unavailable")
        self.pages.append(raw)


def make_reader(srv: Routes, sink: Sink, state_path: Path) -> Reader:
    settings = Settings(poll_interval_s=0.0, per_host_delay_s=0.0)
    client = PoliteClient(policy=AddressPolicy("127.0.0.1"), user_agent="t", timeout_s=2, max_bytes=100_000,
                          max_redirects=2, per_host_concurrency=2, per_host_delay_s=0)
    feeds = [FeedConfig(srv.url("/rss"), "test-wire")]
    return Reader(settings, feeds, client, sink, ReaderState.load(state_path))


def test_new_items_are_published_once_with_feed_metadata(tmp_path: Path) -> None:
    with Routes({"/a.html": page("a"), "/b.html": page("b")}) as srv:
        srv.routes["/rss"] = (200, {}, rss(srv.url(""), ["a", "b"]))
        sink = Sink()
        reader = make_reader(srv, sink, tmp_path / "state.json")
        [result] = reader.poll_once()
        assert (result.items, result.produced, result.errors) == (2, 2, 0)
        reader.poll_once()
        reader.close()
    assert sorted(p.title for p in sink.pages) == ["a", "b"]
    assert all(p.source == "test-wire" and p.content_type == "text/html" for p in sink.pages)
    assert "a body" in sink.pages[0].content or "a body" in sink.pages[1].content


def test_a_restarted_reader_remembers_what_it_sent(tmp_path: Path) -> None:
    with Routes({"/a.html": page("a"), "/b.html": page("b")}) as srv:
        srv.routes["/rss"] = (200, {}, rss(srv.url(""), ["a"]))
        first = Sink()
        reader = make_reader(srv, first, tmp_path / "state.json")
        reader.poll_once()
        reader.close()
        srv.routes["/rss"] = (200, {}, rss(srv.url(""), ["a", "b"]))
        second = Sink()
        reader = make_reader(srv, second, tmp_path / "state.json")
        reader.poll_once()
        reader.close()
    assert [p.title for p in first.pages] == ["a"]
    assert [p.title for p in second.pages] == ["b"]


def test_pages_that_could_not_be_published_are_tried_again(tmp_path: Path) -> None:
    with Routes({"/a.html": page("a")}) as srv:
        srv.routes["/rss"] = (200, {}, rss(srv.url(""), ["a"]))
        sink = Sink(fail=True)
        reader = make_reader(srv, sink, tmp_path / "state.json")
        [result] = reader.poll_once()
        assert result.errors == 1 and result.produced == 0
        sink.fail = False
        reader.poll_once()
        reader.close()
    assert [p.title for p in sink.pages] == ["a"]


def test_a_failing_feed_backs_off_and_recovers(tmp_path: Path) -> None:
    with Routes({"/rss": (500, {}, b"oops")}) as srv:
        reader = make_reader(srv, Sink(), tmp_path / "state.json")
        reader.settings = Settings(poll_interval_s=10.0)
        [result] = reader.poll_once()
        state = reader.state.feeds[srv.url("/rss")]
        assert result.errors == 1 and state.failures == 1
        first_wait = state.next_poll
        assert reader.poll_once() == []  # not due yet
        reader.poll_once(now=first_wait + 1)
        assert state.failures == 2 and state.next_poll - first_wait > 10
        srv.routes["/rss"] = (200, {}, rss(srv.url(""), []))
        reader.poll_once(now=state.next_poll + 1)
        assert state.failures == 0
        reader.close()


def test_the_feed_is_asked_with_its_etag(tmp_path: Path) -> None:
    def conditional(req):  # noqa: ANN001, ANN202
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"'}, rss("http://127.0.0.1:1", [])

    with Routes({"/rss": conditional}) as srv:
        reader = make_reader(srv, Sink(), tmp_path / "state.json")
        reader.poll_once()
        [result] = reader.poll_once()
        reader.close()
    assert result.not_modified


def test_non_html_pages_are_skipped_not_published(tmp_path: Path) -> None:
    with Routes({"/a.html": (200, {"Content-Type": "image/png"}, b"\x89PNG")}) as srv:
        srv.routes["/rss"] = (200, {}, rss(srv.url(""), ["a"]))
        sink = Sink()
        reader = make_reader(srv, sink, tmp_path / "state.json")
        [result] = reader.poll_once()
        reader.close()
    assert sink.pages == [] and result.errors == 1


def test_a_corrupt_state_file_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    assert ReaderState.load(path).seen == {}


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
