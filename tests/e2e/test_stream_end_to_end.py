"""End to end: a feed on 127.0.0.1 -> reader process -> Kafka -> worker process -> wire.articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.broker import free_port
from agents.demo import SampleServer
from pipeline.ids import article_id, canonical_url
from tests.conftest import settings_from
from tests.helpers import metric_value, read_topic, scrape, start_cli, stop, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]

STORIES = {
    "harbour-strike.html": (
        "Dock workers strike over pay at northern harbour",
        [
            "Dock workers at the northern harbour walked out on Monday after talks over pay broke down.",
            "The union said the strike would last three days and affect container traffic.",
            "Port managers said they had offered a four percent rise and called the walkout premature.",
        ],
    ),
    "flood-warning.html": (
        "Flood warnings issued as river rises after storms",
        [
            "Authorities issued flood warnings for six towns after two days of heavy rain.",
            "The river rose by more than a metre overnight and residents were told to move valuables upstairs.",
            "Emergency services said shelters had been opened in three schools.",
        ],
    ),
    "chip-plant.html": (
        "Chipmaker to build new plant creating 2,000 jobs",
        [
            "A chipmaker announced plans on Wednesday to build a semiconductor plant near the capital.",
            "The company said construction would start next year and create 2,000 jobs.",
            "Analysts said the investment reflected strong demand for processors used in data centres.",
        ],
    ),
}


def write_sample(root: Path) -> None:
    pages = root / "pages"
    pages.mkdir(parents=True)
    manifest = []
    for name, (title, paragraphs) in STORIES.items():
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        (pages / name).write_text(
            f"<html><head><title>{title}</title></head><body><header><nav>Home | World | Business</nav>"
            f"</header><article><h1>{title}</h1>{body}</article><footer>© Example Wire</footer></body></html>",
            encoding="utf-8",
        )
        manifest.append({"file": name, "title": title, "source": "e2e", "published_at": "2024-06-18T10:00:00Z"})
    (pages / "blank.html").write_text("   \n", encoding="utf-8")  # fetched fine, but nothing to publish
    manifest.append({"file": "blank.html", "title": "Blank", "source": "e2e", "published_at": "2024-06-18T10:00:00Z"})
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_feed_items_arrive_as_articles_and_the_bad_page_as_a_dead_letter(
    tmp_path: Path, isolated_env: dict[str, str], kafka_bootstrap: str
) -> None:
    write_sample(tmp_path / "sample")
    worker_port, reader_port = free_port(), free_port()
    env = {
        **isolated_env,
        "WIREFEED_METRICS_PORT": str(worker_port),
        "WIREFEED_READER_METRICS_PORT": str(reader_port),
        "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "WIREFEED_PER_HOST_DELAY_S": "0",
    }
    settings = settings_from(env)
    with SampleServer(tmp_path / "sample") as server:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - url: {server.feed_url}\n    name: e2e-wire\n", encoding="utf-8")
        worker = start_cli(["worker"], env, tmp_path / "worker.log")
        reader = start_cli(["read", "--feeds", str(feeds)], env, tmp_path / "reader.log")
        try:
            articles = [json.loads(v) for v in read_topic(settings, kafka_bootstrap, settings.topic_articles,
                                                          until=3, timeout_s=120)]
            letters = [json.loads(v) for v in read_topic(settings, kafka_bootstrap, settings.topic_dlq,
                                                         until=1, timeout_s=30)]
            expected = {article_id(canonical_url(server.base_url + "pages/" + n)) for n in STORIES}
            assert {a["id"] for a in articles} == expected, (tmp_path / "worker.log").read_text()[-3000:]
            by_title = {a["title"]: a for a in articles}
            assert set(by_title) == {title for title, _ in STORIES.values()}
            for title, paragraphs in STORIES.values():
                assert paragraphs[1] in by_title[title]["body"]
                assert "Home | World" not in by_title[title]["body"]
            [letter] = letters
            assert letter["url"].endswith("/pages/blank.html")
            assert letter["stage"] == "parse" and letter["reason"] == "empty_content"

            assert wait_for(lambda: metric_value(scrape(worker_port), "wirefeed_articles_published_total") >= 3)
            worker_metrics = scrape(worker_port)
            assert metric_value(worker_metrics, "wirefeed_dlq_total", reason="empty_content") == 1
            assert metric_value(worker_metrics, "wirefeed_stage_processed_total", stage="extract") == 3
            reader_metrics = scrape(reader_port)
            assert metric_value(reader_metrics, "wirefeed_pages_produced_total", feed="e2e-wire") == 4
            assert metric_value(reader_metrics, "wirefeed_feed_polls_total", feed="e2e-wire", outcome="ok") >= 1
            assert scrape(worker_port, "/healthz").strip() == "ok"
        finally:
            reader_code = stop(reader)
            worker_code = stop(worker)
    assert reader_code == 0
    assert worker_code == 0
