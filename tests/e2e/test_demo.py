"""`wirefeed demo` (what `make demo` runs): five seed articles, clean, through the real broker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.broker, pytest.mark.slow]

LABELS = json.loads((REPO_ROOT / "tests/fixtures/wire/seed_labels.json").read_text(encoding="utf-8"))
CYRILLIC = re.compile("[\u0400-\u04ff]")
# what the sample pages' share widgets, related blocks and prompts say (sample/build.py)
WIDGET_WORDS = re.compile(
    r"you might also like|\blog in\b|\bregister\b|^share\b|facebook|whatsapp|copy link|"
    r"other topics of interest|mediabank",
    re.I | re.M,
)


def run_demo(tmp_path: Path, kafka_bootstrap: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    output = tmp_path / "demo-output.jsonl"
    env = {**os.environ, "WIREFEED_KAFKA_BOOTSTRAP": kafka_bootstrap, "WIREFEED_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run(
        [sys.executable, "-m", "agents.cli", "demo", "--output", str(output), "--timeout", "180"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    records = [json.loads(line) for line in output.read_text().splitlines()] if output.exists() else []
    return proc, records


def test_the_demo_publishes_one_clean_article_per_seed_and_runs_twice(tmp_path: Path, kafka_bootstrap: str) -> None:
    first, articles = run_demo(tmp_path, kafka_bootstrap)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(articles) == 5
    manifest = json.loads((REPO_ROOT / "sample/manifest.json").read_text())
    for entry, article in zip(manifest, articles, strict=True):
        body = article["body"]
        assert article["title"] and len(body.split()) > 150
        assert not CYRILLIC.search(body), "a stray Cyrillic UI string survived"
        assert not WIDGET_WORDS.search(body), WIDGET_WORDS.search(body)
        lines = body.split("\n")
        for label in LABELS[entry["seed"]]["lines"]:
            if label["label"] == "boilerplate":
                assert label["text"] not in lines, label["text"]
            elif label["label"] in ("body", "subheading"):
                assert label["text"] in lines, label["text"]
    assert "wirefeed demo" in first.stderr and "done" in first.stderr
    # the last hop: all five in the embedded index, and the demo's search printed hits
    assert "(5 of 5 sample articles searchable)" in " ".join(first.stderr.split())
    assert 'wirefeed search "partnership agreement Pyongyang"' in first.stderr
    assert re.search(r"^\s*1\. ", first.stderr, re.M), first.stderr[-2000:]

    second, again = run_demo(tmp_path, kafka_bootstrap)
    assert second.returncode == 0, second.stderr[-3000:]
    # the sample server gets a new port each run, so URLs and ids differ; the content does not
    assert [(a["title"], a["body"]) for a in again] == [(a["title"], a["body"]) for a in articles]
