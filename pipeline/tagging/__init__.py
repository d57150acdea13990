"""Topics, entities and language for an article."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Entity, Topic


@dataclass
class Tags:
    topics: list[Topic] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    lang: str | None = None


class Tagger:
    """Tags an article's text. Stateless; safe to share."""

    def tag(self, title: str | None, body: str) -> Tags:
        return Tags()
