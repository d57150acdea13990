"""``wirefeed tail``: print records of wire.articles (or another topic) as they arrive."""

from __future__ import annotations

import json
import time

from rich.console import Console
from rich.text import Text

from agents.kafka import make_consumer
from pipeline.config import Settings


def article_line(record: dict) -> Text:
    """``title  — source  (dup of …)`` as plain text: a title is data, never Rich markup."""
    title = record.get("title") or record.get("reason") or "?"
    line = Text(str(title), style="bold")
    if record.get("source"):
        line.append("  — ").append(str(record["source"]), style="cyan")
    if record.get("duplicate_of"):
        line.append(f"  (dup of {record['duplicate_of']})", style="dim")
    return line


def tail_topic(
    settings: Settings,
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool,
    max_records: int,
    idle_timeout: float,
    json_lines: bool,
) -> int:
    console = Console()
    consumer = make_consumer(
        settings, bootstrap, topic,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
    )
    seen = 0
    last = time.monotonic()
    try:
        while True:
            for message in consumer:
                last = time.monotonic()
                seen += 1
                if json_lines:
                    print(message.value.decode("utf-8", errors="replace"), flush=True)
                else:
                    console.print(article_line(json.loads(message.value)), soft_wrap=True)
                if max_records and seen >= max_records:
                    return seen
            if idle_timeout and time.monotonic() - last > idle_timeout:
                return seen
    except KeyboardInterrupt:
        return seen
    finally:
        consumer.close()
