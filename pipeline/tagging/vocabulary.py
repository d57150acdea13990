"""The curated IPTC Media Topics vocabulary shipped in ``data/mediatopics.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class MediaTopic:
    code: str
    label: str
    parent: str | None

    @property
    def top_level(self) -> str:
        return self.parent or self.code


@lru_cache(maxsize=1)
def media_topics() -> dict[str, MediaTopic]:
    """Code -> MediaTopic, for all 17 top-level topics and the curated second level."""
    raw = json.loads(resources.files(__package__).joinpath("data/mediatopics.json").read_text("utf-8"))
    return {t["code"]: MediaTopic(t["code"], t["label"], t["parent"]) for t in raw["topics"]}


def top_level_codes() -> list[str]:
    return [code for code, topic in media_topics().items() if topic.parent is None]
