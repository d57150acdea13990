"""Logs are JSON lines; warnings carry the article URL and the stage."""

from __future__ import annotations

import json
import logging

from pipeline.logs import JsonFormatter


def test_a_warning_is_one_json_object_with_its_extra_fields() -> None:
    record = logging.LogRecord("wirefeed.worker", logging.WARNING, __file__, 1, "dead letter", None, None)
    record.url = "https://wire.example/a"
    record.stage = "extract"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "warning" and entry["event"] == "dead letter"
    assert entry["url"] == "https://wire.example/a" and entry["stage"] == "extract"
    assert entry["logger"] == "wirefeed.worker" and entry["ts"].endswith("+00:00")
