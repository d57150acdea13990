"""Record contracts of wirefeed: RawPage in, Article out, DeadLetter on failure."""

from schemas.models import (
    ARTICLE_SCHEMA_VERSION,
    Article,
    DeadLetter,
    Entity,
    RawPage,
    Removed,
    Topic,
)

__all__ = [
    "ARTICLE_SCHEMA_VERSION",
    "Article",
    "DeadLetter",
    "Entity",
    "RawPage",
    "Removed",
    "Topic",
]
