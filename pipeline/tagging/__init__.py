"""Topics, entities and language for an article."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.tagging.entities import EntityExtractor
from pipeline.tagging.language import detect_language
from pipeline.tagging.language import preload as preload_language_model
from pipeline.tagging.topics import LANGUAGES, TopicClassifier, language_lexicon, strip_dateline
from pipeline.text import (
    lower_pieces,
    lower_word_tokens,
    lower_word_tokens_from_pieces,
    match_normalise,
    split_pieces,
)
from schemas import Entity, Topic
from schemas.names import TopicStatus

# Why an article has the topics it has (``Tags.topic_status``): the names are schemas.names.TopicStatus.
TAGGED = TopicStatus.TAGGED
NO_EVIDENCE = TopicStatus.NO_EVIDENCE
UNSUPPORTED_LANGUAGE = TopicStatus.UNSUPPORTED_LANGUAGE
UNKNOWN_LANGUAGE = TopicStatus.UNKNOWN_LANGUAGE


def untagged_reason(has_topics: bool, lang: str | None) -> TopicStatus | None:
    """Why an article has no topics (None when it has some), from what the tagged Article shows.

    The tag stage reports it (``Observed.untagged``) to the process that serves the metrics.
    """
    if has_topics:
        return None
    if lang is None:
        return UNKNOWN_LANGUAGE
    return NO_EVIDENCE if lang in LANGUAGES else UNSUPPORTED_LANGUAGE


@dataclass
class Tags:
    topics: list[Topic] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    lang: str | None = None
    topic_status: TopicStatus = TAGGED


class Tagger:
    """Tags an article's text with the resources of its language. Stateless; safe to share."""

    def __init__(self) -> None:
        preload_language_model()  # overlaps the model's decompression with the first pages' extraction
        self.classifiers: dict[str, TopicClassifier] = {}
        self.entities = EntityExtractor()

    def topics_for(self, lang: str | None) -> TopicClassifier | None:
        """The topic classifier of ``lang``, built on first use; None for a language without a lexicon."""
        if lang is None or lang not in LANGUAGES:
            return None
        classifier = self.classifiers.get(lang)
        if classifier is None:
            classifier = self.classifiers[lang] = TopicClassifier(language_lexicon(lang))
        return classifier

    @property
    def topics(self) -> TopicClassifier:
        """The English classifier (kept for callers that predate language-aware tagging)."""
        classifier = self.topics_for("en")
        assert classifier is not None
        return classifier

    def tag(self, title: str | None, body: str) -> Tags:
        title = title or None
        body = body or ""
        lang = detect_language(f"{title}\n{body}" if title else body)
        # Normalise and tokenise once for both passes: match_normalise(title + "\n" + body) is the two halves
        # joined, and so are their token/gap pieces (no token spans the newline).
        clean_body = match_normalise(body)
        pieces = split_pieces(clean_body)
        lower = lower_pieces(pieces)
        topic_body = strip_dateline(clean_body)
        if topic_body is clean_body:
            tokens = lower_word_tokens_from_pieces(pieces, clean_body, lower)
        else:
            tokens = lower_word_tokens(topic_body)
        title_words = 0
        if title:
            clean_title = match_normalise(title)
            title_pieces = split_pieces(clean_title)
            title_lower = lower_pieces(title_pieces)
            title_tokens = lower_word_tokens_from_pieces(title_pieces, clean_title, title_lower)
            title_words = len(title_tokens)
            tokens = title_tokens + tokens
            pieces = [*title_pieces[:-1], f"{title_pieces[-1]}\n{pieces[0]}", *pieces[1:]]
            lower = title_lower + lower
        classifier = self.topics_for(lang)
        topics: list[Topic] = []
        if classifier is not None:
            # case-preserving tokens, for the lexicon's exact-case terms ("=Apple", "=UN")
            spelled = set(pieces[1::2]) if classifier.lexicon.exact else None
            scored = classifier.classify_tokens(tokens, spelled, title_words)
            topics = [Topic(code=c, label=label, score=s) for c, label, s in scored]
        status = untagged_reason(bool(topics), lang) or TAGGED
        entities = [Entity(**found) for found in self.entities.extract_pieces(pieces, lower, lang)]
        return Tags(topics=topics, entities=entities, lang=lang, topic_status=status)
