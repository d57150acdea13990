"""The stage runner: the CPU-heavy stages in a child process that no record can take down.

Every test uses the real stages in a real child process (forked, so it starts fast).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pipeline import runner as runner_module
from pipeline.config import Settings
from pipeline.runner import StageRunner
from pipeline.stages import Pipeline
from schemas import Article
from tests.helpers import SUMMIT_PAGE
from tests.integration.faultkit import page

PAGE = SUMMIT_PAGE  # a short plain-text wire page (tests/helpers.py)


def good(i: int) -> bytes:
    return json.dumps({**PAGE, "url": f"{PAGE['url']}-{i}"}).encode()


def tiny_elements(n: int) -> bytes:
    """A page of ``n`` tiny elements: 8 bytes each, costly to clean (a 4.8 MB one took 52 s and 610 MB)."""
    html = "<html><body><article>" + "<b>x</b>" * n + "</article></body></html>"
    return json.dumps({"url": "https://wire.example/tiny", "content": html, "content_type": "text/html"}).encode()


def many_paragraphs(n: int) -> bytes:
    """A text page of ``n`` three-character paragraphs: 800k of them took 16 s and 690 MB, and published."""
    content = "Lead paragraph of the page.\n\n" + "\n\n".join(["a b"] * n)
    return json.dumps({"url": "https://wire.example/lines", "content": content, "content_type": "text/plain"}).encode()


def runner(**limits: object) -> StageRunner:
    return StageRunner(Settings(**limits), steps=("front", "tag"), start_method="fork")


def test_outcomes_are_the_in_process_stages_results_in_order_with_what_they_measured() -> None:
    lines = [good(0), b"not json", None, good(1)]
    with runner() as stages:
        outcomes = stages.run("front", lines, encode=True)
    local = Pipeline(Settings())
    assert [o.article_id for o in outcomes] == [
        local.run_front(good(0)).id, None, None, local.run_front(good(1)).id]
    assert [(o.error.stage, o.error.reason) for o in outcomes if o.error] == [("parse", "not_json"),
                                                                              ("parse", "null_value")]
    assert outcomes[0].value == local.run_front(good(0)).model_dump_json().encode()
    assert outcomes[0].article is None  # JSON was asked for: the object does not cross back
    # timings come back as data, for the process that serves the metrics
    assert set(outcomes[0].observed.seconds) == {"parse", "extract"}
    assert outcomes[1].observed.seconds == {}


def test_the_tag_step_turns_anything_but_an_article_into_a_tag_dead_letter() -> None:
    article = Pipeline(Settings()).run_front(good(0))
    poison = [None, b"", b"\xff\xfe not utf-8", b"[1, 2]", b'{"id": "x"}', b"{" * 100_000]
    with runner() as stages:
        outcomes = stages.run("tag", [*poison, article.model_dump_json().encode()], encode=True)
    assert [(o.error.stage, o.error.reason) for o in outcomes[:-1]] == (
        [("tag", "null_value")] + [("tag", "bad_record")] * (len(poison) - 1))
    tagged = Article.model_validate_json(outcomes[-1].value)
    assert tagged.id == article.id and tagged.topics


def test_a_killed_stage_process_is_replaced_and_its_batch_comes_through(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The child holds the middle record until it is killed from outside (a timer raced a fast
    # machine once: the whole batch was done before it fired, and nothing was killed).
    apply, holding = runner_module._apply, tmp_path / "holding"

    def hold_once(pipeline: Pipeline, step: str, value: object) -> Article:
        if value == b"hold" and not holding.exists():
            holding.touch()
            time.sleep(120)  # killed long before this ends
        return apply(pipeline, step, good(99) if value == b"hold" else value)

    monkeypatch.setattr(runner_module, "_apply", hold_once)  # forked children inherit it
    with runner() as stages:
        stages.run("front", [good(0)])  # the child is up
        [pid] = stages.child_pids()

        def kill_when_holding() -> None:
            deadline = time.monotonic() + 60
            while not holding.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_holding)
        killer.start()
        lines = [json.dumps(page(i, "kill")).encode() for i in range(20)]
        outcomes = stages.run("front", [*lines[:10], b"hold", *lines[10:]])
        killer.join()
        assert stages.restarts == 1
        assert stages.child_pids() and stages.child_pids() != [pid]
    assert all(o.article_id is not None for o in outcomes), [o.error for o in outcomes if o.error]
    assert len(outcomes) == 21


def test_a_record_that_kills_the_process_every_time_is_one_dead_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    apply = runner_module._apply

    def deadly(pipeline: Pipeline, step: str, value: object) -> Article:  # the OOM killer's pick, say
        if value == b"deadly":
            os.kill(os.getpid(), signal.SIGKILL)
        return apply(pipeline, step, value)

    monkeypatch.setattr(runner_module, "_apply", deadly)  # forked children inherit it
    with runner() as stages:
        outcomes = stages.run("front", [good(0), b"deadly", good(1)])
    assert [o.article is not None for o in outcomes] == [True, False, True]
    assert (outcomes[1].error.stage, outcomes[1].error.reason) == ("extract", "stage_crashed")


def test_a_record_over_its_cpu_budget_is_too_slow_and_the_next_one_comes_through() -> None:
    with runner(record_cpu_seconds=0.5, record_memory_mb=0) as stages:
        start = time.process_time()
        outcomes = stages.run("front", [tiny_elements(300_000), good(0)])
    assert (outcomes[0].error.stage, outcomes[0].error.reason) == ("extract", "too_slow")
    assert outcomes[1].article is not None
    assert stages.restarts == 0  # the child interrupted itself: nothing to replace
    assert time.process_time() - start < 5


def test_a_record_over_its_memory_budget_is_too_large_and_the_next_one_comes_through() -> None:
    # a generous CPU budget (the watchdog allows 4x it in wall time): with none, the watchdog's 30 s
    # margin alone was all a ~4 s case had on a loaded machine, and it came out too_slow
    with runner(record_cpu_seconds=60, record_memory_mb=64) as stages:
        outcomes = stages.run("front", [many_paragraphs(800_000), good(0)])
    assert (outcomes[0].error.stage, outcomes[0].error.reason) == ("extract", "too_large")
    assert outcomes[1].article is not None


def test_a_child_that_stops_answering_is_replaced_and_the_record_is_too_slow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply = runner_module._apply

    def hangs(pipeline: Pipeline, step: str, value: object) -> Article:  # stuck where no signal gets in
        if value == b"hangs":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
            time.sleep(3600)
        return apply(pipeline, step, value)

    monkeypatch.setattr(runner_module, "_apply", hangs)
    monkeypatch.setattr(runner_module, "_WALL_MARGIN_S", 2.0)
    with runner(record_cpu_seconds=0.5) as stages:
        outcomes = stages.run("front", [good(0), b"hangs", good(1)])
        assert stages.restarts >= 1
    assert [o.article is not None for o in outcomes] == [True, False, True]
    assert (outcomes[1].error.stage, outcomes[1].error.reason) == ("extract", "too_slow")


def test_a_process_that_only_dedupes_builds_no_extractor_and_loads_no_language_model() -> None:
    import subprocess
    import sys

    code = ("from pipeline.config import Settings; from pipeline.stages import Pipeline; "
            "from pipeline.tagging import language; p = Pipeline(Settings(), build=('dedupe',)); "
            "print(p._extractor is None, p._tagger is None, language._LOADER._thread is None)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split() == ["True", "True", "True"]
