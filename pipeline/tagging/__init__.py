"""Topics, entities and language for an article."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.tagging.entities import EntityExtractor
from pipeline.tagging.language import detect_language
from pipeline.tagging.topics import TopicClassifier
from schemas import Entity, Topic


@dataclass
class Tags:
    topics: list[Topic] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    lang: str | None = None


class Tagger:
    """Tags an article's text. Stateless; safe to share."""

    def __init__(self) -> None:
        self.topics = TopicClassifier()
        self.entities = EntityExtractor()

    def tag(self, title: str | None, body: str) -> Tags:
        title = title or None
        body = body or ""
        text = f"{title}\n{body}" if title else body
        topics = [Topic(code=c, label=label, score=s) for c, label, s in self.topics.classify(title, body)]
        entities = [Entity(**found) for found in self.entities.extract(text)]
        return Tags(topics=topics, entities=entities, lang=detect_language(text))
