"""``wirefeed replay``: push local pages or RawPage JSONL onto wire.raw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agents.kafka import ensure_topics, make_producer
from pipeline.config import Settings
from pipeline.ids import canonical_url
from schemas import RawPage

PAGE_SUFFIXES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain"}


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.exists():
            yield path
        else:
            raise FileNotFoundError(2, "not found", str(path))


def records(paths: list[Path], url_prefix: str, source: str) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) for each page: JSONL lines pass as they are (bad ones reach the DLQ downstream)."""
    for path in _files(paths):
        if path.suffix == ".jsonl":
            with open(path, "rb") as lines:
                for line in lines:
                    line = line.rstrip(b"\r\n")
                    if not line.strip():
                        continue
                    try:
                        url = json.loads(line).get("url")
                        key = canonical_url(url).encode() if isinstance(url, str) else None
                    except (ValueError, AttributeError, RecursionError):  # deeply nested JSON: passes, unkeyed
                        key = None
                    yield key, line
        elif path.suffix.lower() in PAGE_SUFFIXES:
            url = url_prefix.rstrip("/") + "/" + quote(path.name)
            page = RawPage(
                url=url,
                content=path.read_text(encoding="utf-8", errors="replace"),
                content_type=PAGE_SUFFIXES[path.suffix.lower()],  # type: ignore[arg-type]
                fetched_at=datetime.now(UTC),
                source=source,
            )
            yield canonical_url(url).encode(), page.model_dump_json().encode()


@dataclass
class ReplayResult:
    """What the broker acknowledged, and every record it did not (with why)."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)


def replay_paths(
    settings: Settings, bootstrap: str, paths: list[Path], url_prefix: str, source: str
) -> ReplayResult:
    """Send every record and wait for each delivery result: a record is counted as sent only once
    the broker acknowledged it; one that could not be sent (too large, broker gone, timeout) is
    listed in ``failed``, never passed over."""
    ensure_topics(settings, bootstrap)
    producer = make_producer(settings, bootstrap)
    result = ReplayResult()
    pending: list[tuple[str, Any]] = []

    def settle() -> None:
        producer.flush(60)
        for label, future in pending:
            try:
                future.get(0)  # raises the delivery error (a future still pending after flush: timeout)
                result.sent += 1
            except Exception as exc:  # noqa: BLE001 - every kind of failed delivery is reported
                result.failed.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
        pending.clear()

    try:
        for number, (key, value) in enumerate(records(paths, url_prefix, source), start=1):
            label = f"record {number} ({(key or b'no key').decode(errors='replace')[:120]}, {len(value)} bytes)"
            try:
                pending.append((label, producer.send(settings.topic_raw, key=key, value=value)))
            except Exception as exc:  # noqa: BLE001 - refused before sending (size, serialisation)
                result.failed.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            if len(pending) >= 1000:  # bounded memory on long replays
                settle()
        settle()
    finally:
        producer.close(30)
    return result
