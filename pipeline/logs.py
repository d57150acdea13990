"""Structured JSON logs: one object per line, with ``url`` and ``stage`` on warnings.

Repeated warnings and errors are rate-limited (:class:`RepeatFilter`): while the
broker is down, Kafka clients report the same failure many times a second, and an
operator needs one line per condition per interval, with how often it happened.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

# Seconds between two lines about the same condition (the default of WIREFEED_LOG_REPEAT_S).
REPEAT_INTERVAL_S = 30.0
# Extra fields that make two records different conditions (a different stage or reason is news).
_CONDITION_FIELDS = ("stage", "reason", "kind")

_STD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record and its ``extra=`` fields as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RepeatFilter(logging.Filter):
    """At most one warning/error per condition per ``interval_s``; the next one says how many were held back.

    A condition is the logger, the level, the message template (before ``%`` arguments, so
    "connect to node 1 failed" and "... node 2 failed" are one condition), the exception type
    and the ``stage``/``reason``/``kind`` fields. The first record of a condition always passes.
    A record let through after suppressed ones carries ``repeated`` (how many were dropped)
    and ``repeat_window_s``. INFO and DEBUG records are never held back.
    """

    def __init__(
        self, interval_s: float = REPEAT_INTERVAL_S, clock: Callable[[], float] = time.monotonic,
        max_conditions: int = 4096,
    ) -> None:
        super().__init__()
        self.interval_s = float(interval_s)
        self.clock = clock
        self.max_conditions = max_conditions
        self._last: OrderedDict[tuple, tuple[float, int]] = OrderedDict()  # condition -> (last shown, held)
        self._lock = threading.Lock()

    def condition(self, record: logging.LogRecord) -> tuple:
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        fields = tuple(str(getattr(record, name, "")) for name in _CONDITION_FIELDS)
        return (record.name, record.levelno, str(record.msg), exc_type, fields)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or self.interval_s <= 0:
            return True
        key = self.condition(record)
        now = self.clock()
        with self._lock:
            shown, held = self._last.get(key, (None, 0))
            if shown is not None and now - shown < self.interval_s:
                self._last[key] = (shown, held + 1)
                return False
            self._last[key] = (now, 0)
            self._last.move_to_end(key)
            while len(self._last) > self.max_conditions:
                self._last.popitem(last=False)
        if held:
            record.repeated = held
            record.repeat_window_s = round(now - shown, 1)
        return True


def configure_logging(level: str = "INFO", repeat_s: float = REPEAT_INTERVAL_S) -> None:
    """Route every logger (ours, Faust's, kafka-python's) through the JSON formatter on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RepeatFilter(repeat_s))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kafka", "aiokafka", "faust", "mode", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def logging_config(level: str = "INFO", repeat_s: float = REPEAT_INTERVAL_S) -> dict:
    """The same setup as a ``logging.config.dictConfig`` dict, for frameworks that take one (Faust)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "pipeline.logs.JsonFormatter"}},
        "filters": {"repeats": {"()": "pipeline.logs.RepeatFilter", "interval_s": repeat_s}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr",
                                "filters": ["repeats"]}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            name: {"level": "WARNING"} for name in ("kafka", "aiokafka", "faust", "mode", "httpx", "httpcore")
        },
    }
