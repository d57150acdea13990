"""Topics, entities and language for an article."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.tagging.entities import EntityExtractor
from pipeline.tagging.language import detect_language
from pipeline.tagging.language import preload as preload_language_model
from pipeline.tagging.text import lower_pieces, lower_word_tokens_from_pieces, normalise, split_pieces
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
        preload_language_model()  # overlaps the model's decompression with the first pages' extraction
        self.topics = TopicClassifier()
        self.entities = EntityExtractor()

    def tag(self, title: str | None, body: str) -> Tags:
        title = title or None
        body = body or ""
        # Normalise and tokenise once for both passes: normalise(title + "\n" + body) is the two halves
        # joined, and so are their token/gap pieces (no token spans the newline).
        clean_body = normalise(body)
        pieces = split_pieces(clean_body)
        lower = lower_pieces(pieces)
        body_tokens = lower_word_tokens_from_pieces(pieces, clean_body, lower)
        title_tokens = None
        if title:
            clean_title = normalise(title)
            title_pieces = split_pieces(clean_title)
            title_lower = lower_pieces(title_pieces)
            title_tokens = lower_word_tokens_from_pieces(title_pieces, clean_title, title_lower)
            pieces = [*title_pieces[:-1], f"{title_pieces[-1]}\n{pieces[0]}", *pieces[1:]]
            lower = title_lower + lower
        scored = self.topics.classify_tokens(title_tokens, body_tokens)
        topics = [Topic(code=c, label=label, score=s) for c, label, s in scored]
        entities = [Entity(**found) for found in self.entities.extract_pieces(pieces, lower)]
        return Tags(topics=topics, entities=entities, lang=detect_language(f"{title}\n{body}" if title else body))
