"""Topics, entities and language for an article."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Entity, Topic

from pipeline.tagging.language import detect_language
from pipeline.tagging.topics import TopicClassifier


@dataclass
class Tags:
    topics: list[Topic] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    lang: str | None = None


class Tagger:
    """Tags an article's text. Stateless; safe to share."""

    def __init__(self) -> None:
        self.topics = TopicClassifier()

    def tag(self, title: str | None, body: str) -> Tags:
        title = title or None
        body = body or ""
        text = f"{title}\n{body}" if title else body
        topics = [Topic(code=c, label=label, score=s) for c, label, s in self.topics.classify(title, body)]
        return Tags(topics=topics, entities=[], lang=detect_language(text))
