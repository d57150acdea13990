"""Topics, entities and language for an article."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.tagging.entities import EntityExtractor
from pipeline.tagging.language import detect_language
from pipeline.tagging.text import lower_word_tokens, normalise
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
        # Normalise once for both passes: normalise(title + "\n" + body) equals the two halves joined.
        clean_title = normalise(title) if title else None
        clean_body = normalise(body)
        title_tokens = lower_word_tokens(clean_title) if clean_title else None
        scored = self.topics.classify_tokens(title_tokens, lower_word_tokens(clean_body))
        topics = [Topic(code=c, label=label, score=s) for c, label, s in scored]
        clean_text = f"{clean_title}\n{clean_body}" if title else clean_body
        entities = [Entity(**found) for found in self.entities.extract_normalised(clean_text)]
        return Tags(topics=topics, entities=entities, lang=detect_language(f"{title}\n{body}" if title else body))
