"""`wirefeed process`: RawPage JSONL in, Article JSONL out, bad lines to the DLQ."""

from __future__ import annotations

import io
import json

from pipeline.config import Settings
from pipeline.process import process_lines
from pipeline.stages import Pipeline
from schemas import ARTICLE_SCHEMA_VERSION
from tests.helpers import SUMMIT_PAGE

PAGE = SUMMIT_PAGE  # a short plain-text wire page (tests/helpers.py)


def run(lines: list[str]) -> tuple[list[dict], list[dict]]:
    out, dlq = io.StringIO(), io.StringIO()
    process_lines(lines, Pipeline(Settings()), out, dlq)
    parse = lambda s: [json.loads(x) for x in s.getvalue().splitlines()]  # noqa: E731
    return parse(out), parse(dlq)


def test_a_good_page_becomes_one_article_with_a_stable_id() -> None:
    articles, letters = run([json.dumps(PAGE)])
    assert letters == []
    [article] = articles
    assert article["schema_version"] == ARTICLE_SCHEMA_VERSION
    assert article["url"] == PAGE["url"]
    assert "sign an agreement" in article["body"]
    again, _ = run([json.dumps(PAGE)])
    assert again[0]["id"] == article["id"]


def test_bad_lines_become_dead_letters_and_the_rest_goes_on() -> None:
    bad = ["not json", json.dumps({"url": "ftp://x/y", "content": "x"}), json.dumps({"content": "x"})]
    articles, letters = run([*bad, json.dumps(PAGE)])
    assert len(articles) == 1
    assert [letter["reason"] for letter in letters] == ["not_json", "bad_url", "missing_url"]
    assert all(letter["stage"] == "parse" for letter in letters)


def test_the_two_process_run_gives_the_same_records_in_the_same_order() -> None:
    from tests.bad_input_cases import CASES
    from tests.conftest import SEEDS

    seeds = sorted(SEEDS.glob("*.txt"))
    pages = [json.dumps({**PAGE, "url": f"https://wire.example/{p.stem}", "content": p.read_text()}) for p in seeds]
    copies = [json.dumps({**PAGE, "url": f"https://copy.example/{i}"}) for i in range(3)]  # duplicates
    bad = [case.build().decode("utf-8", "replace") for case in CASES[:12]]
    lines = [*pages, *bad, *copies, *pages]  # pages twice: same ids, remembered verdicts
    serial_out, serial_dlq = io.StringIO(), io.StringIO()
    serial = process_lines(lines, Pipeline(Settings()), serial_out, serial_dlq)
    parallel_out, parallel_dlq = io.StringIO(), io.StringIO()
    parallel = process_lines(lines, Pipeline(Settings()), parallel_out, parallel_dlq, parallel=True)

    assert parallel == serial and serial.duplicates >= 2
    assert parallel_out.getvalue() == serial_out.getvalue()
    strip = lambda s: [{k: v for k, v in json.loads(x).items() if k != "received_at"}  # noqa: E731
                       for x in s.getvalue().splitlines()]
    assert strip(parallel_dlq) == strip(serial_dlq)
