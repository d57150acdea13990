"""Reader politeness and sitemap bench: crawl-delay kept, news sitemap read, on a local 127.0.0.1 site.

    PYTHONPATH=$PWD python bench/reader.py                  # crawl-delay 0.5 s, 12 pages; 1,000-entry sitemap
    PYTHONPATH=$PWD python bench/reader.py --delay 1 --pages 8

Prints the gaps between page requests beside the crawl-delay the site asked for
(ratio 1.00 = exact; the acceptance is within 10 %), and for a 1,000-entry Google
News sitemap the entries inside the window, published, and what a second run sends.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.config import Settings  # noqa: E402
from pipeline.ingest.feeds import FeedConfig  # noqa: E402
from pipeline.ingest.fetch import AddressPolicy, PoliteClient  # noqa: E402
from pipeline.ingest.reader import Reader, ReaderState  # noqa: E402
from pipeline.ingest.robots import RobotsCache  # noqa: E402
from tests.helpers import Routes  # noqa: E402
from tests.unit.test_reader import Sink, page, rss  # noqa: E402
from tests.unit.test_sitemaps import news_entry, urlset  # noqa: E402


def reader_for(srv: Routes, feeds: list[FeedConfig], sink: Sink, state: Path) -> Reader:
    settings = Settings(poll_interval_s=0.0, per_host_delay_s=0.0, sitemap_window_hours=48.0)
    client = PoliteClient(policy=AddressPolicy("127.0.0.1"), user_agent=settings.user_agent, timeout_s=5,
                          max_bytes=5_000_000, max_redirects=2, per_host_concurrency=2, per_host_delay_s=0)
    RobotsCache(client, settings.user_agent).attach()
    return Reader(settings, feeds, client, sink, ReaderState.load(state))


def crawl_delay(delay: float, pages: int, tmp: Path) -> None:
    arrivals: list[float] = []

    def logged(name: str):  # noqa: ANN202
        def handler(_req):  # noqa: ANN001, ANN202
            arrivals.append(time.monotonic())
            return page(name)
        return handler

    names = [f"p{i}" for i in range(pages)] + [f"private-{i}" for i in range(4)]
    routes = {f"/{n}.html": logged(n) for n in names}
    routes["/robots.txt"] = (200, {}, f"User-agent: wirefeed\nDisallow: /private-\nCrawl-delay: {delay}\n".encode())
    with Routes(routes) as srv:
        srv.routes["/rss"] = (200, {}, rss(names, base=srv.url("")))
        sink = Sink()
        reader = reader_for(srv, [FeedConfig(srv.url("/rss"), "bench")], sink, tmp / "delay.json")
        reader.poll_once()
        reader.close()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    refused = sum("/private-" in path for path, _ in srv.hits)
    print(f"crawl-delay {delay:.2f} s, {len(arrivals)} pages: gap min {min(gaps):.3f} s "
          f"mean {sum(gaps) / len(gaps):.3f} s max {max(gaps):.3f} s; ratio to delay "
          f"min {min(gaps) / delay:.2f} mean {sum(gaps) / len(gaps) / delay:.2f} max {max(gaps) / delay:.2f}; "
          f"disallowed pages requested: {refused}")


def news_sitemap(entries: int, tmp: Path) -> None:
    now = datetime.now(UTC)
    ages = [timedelta(minutes=5 * i) for i in range(entries)]
    names = [f"s{i}" for i in range(entries)]
    inside = sum(age < timedelta(hours=48) for age in ages)
    with Routes({f"/{n}.html": page(n) for n in names}) as srv:
        srv.routes["/news.xml"] = (200, {}, urlset([news_entry(srv.url(f"/{n}.html"), (now - a).isoformat(), n)
                                                    for n, a in zip(names, ages, strict=True)]))
        sent = []
        for _ in range(2):
            sink = Sink()
            start = time.perf_counter()
            reader = reader_for(srv, [FeedConfig(srv.url("/news.xml"), "news")], sink, tmp / "news.json")
            reader.poll_once()
            reader.close()
            sent.append((len(sink.pages), time.perf_counter() - start, len({p.title for p in sink.pages})))
    print(f"news sitemap of {entries} entries, {inside} inside the 48 h window: first run sent {sent[0][0]} "
          f"({sent[0][2]} distinct) in {sent[0][1]:.1f} s; second run sent {sent[1][0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("wirefeed").setLevel(logging.ERROR)  # the refused pages are expected, not news
    with tempfile.TemporaryDirectory() as tmp:
        crawl_delay(args.delay, args.pages, Path(tmp))
        news_sitemap(args.entries, Path(tmp))


if __name__ == "__main__":
    main()
