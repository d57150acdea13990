"""``wirefeed replay``: push local pages or RawPage JSONL onto wire.raw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
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


def replay_paths(settings: Settings, bootstrap: str, paths: list[Path], url_prefix: str, source: str) -> int:
    ensure_topics(settings, bootstrap)
    producer = make_producer(settings, bootstrap)
    sent = 0
    try:
        for key, value in records(paths, url_prefix, source):
            producer.send(settings.topic_raw, key=key, value=value)
            sent += 1
        producer.flush(60)
    finally:
        producer.close(30)
    return sent
