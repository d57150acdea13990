"""Logs are JSON lines; warnings carry the article URL and the stage."""

from __future__ import annotations

import json
import logging

from pipeline.logs import JsonFormatter, RepeatFilter, configure_logging, logging_config


def test_a_warning_is_one_json_object_with_its_extra_fields() -> None:
    record = logging.LogRecord("wirefeed.worker", logging.WARNING, __file__, 1, "dead letter", None, None)
    record.url = "https://wire.example/a"
    record.stage = "extract"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "warning" and entry["event"] == "dead letter"
    assert entry["url"] == "https://wire.example/a" and entry["stage"] == "extract"
    assert entry["logger"] == "wirefeed.worker" and entry["ts"].endswith("+00:00")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *args: object, level: int = logging.WARNING, name: str = "aiokafka", **extra: object
           ) -> logging.LogRecord:
    rec = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_repeated_condition_is_logged_once_per_interval_with_a_count() -> None:
    clock = Clock()
    repeats = RepeatFilter(interval_s=30, clock=clock)
    passed = []
    for i in range(600):  # 10 a second for a minute: "Unable connect to node 1/2/3"
        clock.now = 1000.0 + i * 0.1
        rec = record("Unable connect to node with id %s: %s", i % 3, "Connect call failed", level=logging.ERROR)
        if repeats.filter(rec):
            passed.append(rec)
    assert len(passed) == 2  # at 0 s and at 30 s
    assert not hasattr(passed[0], "repeated")
    assert passed[1].repeated == 299 and passed[1].repeat_window_s == 30.0
    assert '"repeated": 299' in JsonFormatter().format(passed[1])


def test_different_conditions_are_not_held_back_by_each_other() -> None:
    repeats = RepeatFilter(interval_s=30, clock=Clock())
    assert repeats.filter(record("dead letter", stage="parse", reason="not_json", name="wirefeed.worker"))
    assert repeats.filter(record("dead letter", stage="extract", reason="no_content", name="wirefeed.worker"))
    assert repeats.filter(record("dead letter", stage="parse", reason="not_json", name="wirefeed.reader"))
    assert repeats.filter(record("dead letter", stage="parse", reason="not_json", level=logging.ERROR,
                                 name="wirefeed.worker"))
    assert not repeats.filter(record("dead letter", stage="parse", reason="not_json", name="wirefeed.worker"))


def test_info_lines_are_never_held_back() -> None:
    repeats = RepeatFilter(interval_s=30, clock=Clock())
    assert all(repeats.filter(record("poll done", level=logging.INFO)) for _ in range(10))


def test_zero_interval_logs_everything() -> None:
    repeats = RepeatFilter(interval_s=0, clock=Clock())
    assert all(repeats.filter(record("broker down")) for _ in range(10))


def test_the_logging_config_for_faust_installs_the_filter() -> None:
    import logging.config

    config = logging_config("INFO", repeat_s=12)
    logging.config.dictConfig(config)
    try:
        [handler] = logging.getLogger().handlers
        [repeats] = handler.filters
        assert isinstance(repeats, RepeatFilter) and repeats.interval_s == 12
    finally:
        configure_logging("WARNING")
