"""A bad setting is refused before any work starts: one line naming it, its value and what is allowed; exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_settings, misspelt_variables
from pipeline.ingest.feeds import FeedError, load_feeds_file
from tests.conftest import REPO_ROOT

BAD_SETTINGS = [
    ("WIREFEED_PARTITIONS", "abc", "must be a whole number"),
    ("WIREFEED_PARTITIONS", "0", "must be a number >= 1"),
    ("WIREFEED_LOG_LEVEL", "chatty", "must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("WIREFEED_KAFKA_SECURITY_PROTOCOL", "TLS", "must be one of PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
    ("WIREFEED_BROKER_PORT", "99999", "must be a number <= 65534"),
    ("WIREFEED_BROKER_PORT", "ninety", "must be a whole number"),
    ("WIREFEED_METRICS_PORT", "-1", "must be a number >= 0"),
    ("WIREFEED_DROP_DUPLICATES", "maybe", "must be true or false"),
    ("WIREFEED_POLL_INTERVAL_S", "-1", "must be a number >= 0"),
]


def wirefeed(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WIREFEED_")}
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", *args], env={**clean, **env, "COLUMNS": "300"},
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_SETTINGS, ids=lambda x: str(x)[:30])
def test_a_bad_setting_names_itself_its_value_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == f"{name}={value!r} is not allowed: {allowed}"


def test_levels_and_protocols_are_not_case_sensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREFEED_LOG_LEVEL", "debug")
    monkeypatch.setenv("WIREFEED_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    settings = load_settings()
    assert (settings.log_level, settings.kafka_security_protocol) == ("DEBUG", "SASL_SSL")


def test_broker_port_and_cache_dir_are_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from agents.broker import cache_dir, default_broker

    monkeypatch.setenv("WIREFEED_BROKER_PORT", "19092")
    monkeypatch.setenv("WIREFEED_CACHE_DIR", str(tmp_path))
    assert (default_broker().port, default_broker().controller_port) == (19092, 19093)
    assert cache_dir().parent == tmp_path


def test_every_setting_is_documented_in_the_readme() -> None:
    from pipeline.config import Settings

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    # rows may group settings as `WIREFEED_A` / `WIREFEED_B` or `WIREFEED_X_…_Y`
    missing = [name for name in Settings.model_fields
               if f"WIREFEED_{name.upper()}" not in readme and f"…_{name.upper().split('_', 1)[-1]}" not in readme]
    assert missing == []


def test_a_misspelt_variable_is_pointed_out() -> None:
    assert misspelt_variables({"WIREFEED_PARTITION": "3", "WIREFEED_FUZZ_SCALE": "2", "HOME": "/"}) == [
        "WIREFEED_PARTITION is not a setting and is ignored: did you mean WIREFEED_PARTITIONS?"
    ]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_SETTINGS[:3], ids=lambda x: str(x)[:30])
def test_the_cli_prints_one_line_and_exits_2(name: str, value: str, allowed: str) -> None:
    result = wirefeed(["process", "--input", os.devnull], {name: value})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {name}={value!r} is not allowed: {allowed}"]


def test_a_bad_feeds_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: https://wire.example/rss\n    interval: ten\n")
    result = wirefeed(["read", "--once", "--feeds", str(feeds)], {"WIREFEED_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {feeds}: feeds[0].interval='ten' is not allowed: must be a number of seconds > 0 (e.g. 600)"
    ]


@pytest.mark.parametrize(("entry", "message"), [
    ("    interval: ten\n", "feeds[0].interval='ten' is not allowed: must be a number of seconds > 0"),
    ("    interval: -5\n", "feeds[0].interval=-5 is not allowed"),
    ("    intervall: 60\n",
     "feeds[0] has unknown key 'intervall': allowed keys are 'interval', 'name', 'type', 'url', 'window_hours'"),
    ("    nmae: Wire\n", "feeds[0] has unknown key 'nmae'"),
])
def test_a_feeds_file_with_a_bad_or_misspelt_key_is_refused(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: https://wire.example/rss\n" + entry)
    with pytest.raises(FeedError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_feeds_file(path)


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feed:\n  - url: https://a.example/rss\nfeeds:\n  - url: https://wire.example/rss\n")
    with pytest.raises(FeedError, match="unknown key 'feed'"):
        load_feeds_file(path)


def test_a_rule_across_settings_is_reported_by_its_own_message() -> None:
    from pydantic import model_validator

    from pipeline.config import Settings, _describe

    class Checked(Settings):
        @model_validator(mode="after")
        def _ports_differ(self) -> Checked:
            if self.metrics_port == self.reader_metrics_port:
                raise ValueError("WIREFEED_METRICS_PORT and WIREFEED_READER_METRICS_PORT must differ")
            return self

    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        Checked(metrics_port=9000, reader_metrics_port=9000)
    assert [_describe(e) for e in info.value.errors()] == [
        "WIREFEED_METRICS_PORT and WIREFEED_READER_METRICS_PORT must differ"
    ]
