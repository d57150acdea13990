"""``wirefeed process`` fails a run that is mostly garbage, says where bad lines are, starts at once on nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.process import ProcessStats
from tests.bad_input_cases import good_page_line
from tests.conftest import REPO_ROOT


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREFEED_")}
    env.update(PYTHONPATH=str(REPO_ROOT), COLUMNS="300")
    return subprocess.run([sys.executable, "-m", "agents.cli", "process", *args],
                          capture_output=True, text=True, timeout=180, cwd=cwd, env=env, stdin=subprocess.DEVNULL)


@pytest.fixture
def garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 8 + b"\n\x00\xff binary\n{not json\n")
    return path


def test_pure_garbage_fails_the_run_and_every_dead_letter_has_its_line_number(tmp_path: Path, garbage: Path) -> None:
    dlq = tmp_path / "dlq.jsonl"
    result = run(["--input", str(garbage), "--output", str(tmp_path / "out.jsonl"), "--dlq", str(dlq)], tmp_path)
    assert result.returncode == 1, result.stderr
    letters = [json.loads(line) for line in dlq.read_text().splitlines()]
    lines = garbage.read_bytes().count(b"\n") + (not garbage.read_bytes().endswith(b"\n"))
    assert [letter["line"] for letter in letters] == list(range(1, lines + 1))
    assert f"every line ({lines}) was dead-lettered" in result.stderr


def test_limits_on_dead_letters_fail_a_mixed_run(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(good_page_line() + b"\nnot json\n" + good_page_line().replace(b"https://", b"ftp://") + b"\n")
    assert run(["-i", str(mixed), "-o", os.devnull], tmp_path).returncode == 0  # 2 of 3 bad: no limit given
    failed = run(["-i", str(mixed), "-o", os.devnull, "--max-errors", "1"], tmp_path)
    assert failed.returncode == 1 and "2 dead letters, more than --max-errors 1" in failed.stderr
    assert run(["-i", str(mixed), "-o", os.devnull, "--max-errors", "2"], tmp_path).returncode == 0
    ratio = run(["-i", str(mixed), "-o", os.devnull, "--max-error-ratio", "0.5"], tmp_path)
    assert ratio.returncode == 1 and "66.7% of lines dead-lettered" in ratio.stderr
    dlq = tmp_path / "dlq.jsonl"
    run(["-i", str(mixed), "-o", os.devnull, "--dlq", str(dlq)], tmp_path)
    assert [json.loads(x)["line"] for x in dlq.read_text().splitlines()] == [2, 3]


def test_limits_as_rules() -> None:
    assert ProcessStats(lines=10, articles=10).too_many_errors() is None
    assert ProcessStats(lines=10, dead_letters=10).too_many_errors() is not None
    assert ProcessStats(lines=10, dead_letters=10).too_many_errors(max_errors=10) is None
    assert ProcessStats(lines=10, dead_letters=3, articles=7).too_many_errors(max_ratio=0.2) is not None
    assert ProcessStats().too_many_errors() is None  # empty input is not a failure


def test_an_empty_input_does_not_load_the_pipeline(tmp_path: Path) -> None:
    """Starting on nothing must be instant: no extractor, tagger or language model is loaded."""
    code = (
        "import sys\nfrom agents.cli import app\n"
        "try:\n    app(['process', '-i', '/dev/null', '-q'])\nexcept SystemExit as e:\n    assert not e.code, e\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pipeline.stages', 'pipeline.tagging', "
        "'pipeline.extract', 'trafilatura'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_progress_is_shown_on_stderr_when_asked(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(good_page_line() + b"\n")
    quiet = run(["-i", str(source), "-o", os.devnull], tmp_path)
    shown = run(["-i", str(source), "-o", os.devnull, "--progress"], tmp_path)
    size = f"{source.stat().st_size / 1000:.1f}/{source.stat().st_size / 1000:.1f} kB"  # the bar: bytes read
    assert size not in quiet.stderr  # not a terminal: no bar unless asked
    assert size in shown.stderr and " 1 lines " in shown.stderr
