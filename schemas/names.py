"""The names records and metrics carry: stages, dead-letter reasons, topic statuses, duplicate kinds, rules.

They are part of the record contract (``DeadLetter.stage``/``reason``, ``Article.removed[].rule``)
and of the operating contract (the ``stage``, ``reason``, ``kind`` and ``rule`` labels of the
metrics in ``pipeline/metrics.py`` that dashboards and alert rules query), so they are spelled
once, here. Each is a ``StrEnum``: a member *is* its string, so JSON, pydantic fields typed
``str`` and Prometheus labels carry exactly the value written here.

The record models keep these fields typed ``str`` (the JSON Schemas stay as they are): a reader
of an older or newer record meets a name it does not know as a string, not a validation error.
Dead letters of the index sink whose reason is the index's own error type (e.g.
``mapper_parsing_exception``) are the one open set: those reasons come from OpenSearch.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A stage of the pipeline: ``DeadLetter.stage`` and the ``stage`` label of the stage metrics."""

    PARSE = "parse"
    EXTRACT = "extract"
    DEDUPE = "dedupe"
    TAG = "tag"
    PUBLISH = "publish"  # writing the result (process output, the stream's producer)
    INDEX = "index"  # the search-index sink
    READ = "read"  # the reader (log lines; it writes no dead letters)


class DeadLetterReason(StrEnum):
    """``DeadLetter.reason`` and the ``reason`` label of ``wirefeed_dlq`` (see ``docs/operations.md``)."""

    # parse: the line itself
    NOT_UTF8 = "not_utf8"
    EMPTY_LINE = "empty_line"
    NOT_JSON = "not_json"
    TOO_DEEP = "too_deep"
    NOT_OBJECT = "not_object"
    BAD_URL = "bad_url"
    LONE_SURROGATE = "lone_surrogate"
    EMPTY_CONTENT = "empty_content"
    CONTENT_TOO_LARGE = "content_too_large"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    # parse: a RawPage field missing or of the wrong type (``missing_<field>``, ``invalid_<field>``)
    MISSING_URL = "missing_url"
    MISSING_CONTENT = "missing_content"
    INVALID_CONTENT = "invalid_content"
    INVALID_FETCHED_AT = "invalid_fetched_at"
    INVALID_TITLE = "invalid_title"
    INVALID_PUBLISHED_AT = "invalid_published_at"
    INVALID_SOURCE = "invalid_source"
    INVALID_FEED_URL = "invalid_feed_url"
    INVALID_LANG = "invalid_lang"
    INVALID_RECORD = "invalid_record"  # a model-level error with no field
    # extract
    NO_CONTENT = "no_content"
    # any stage reading a record from a topic
    NULL_VALUE = "null_value"  # a tombstone
    BAD_RECORD = "bad_record"  # not an Article
    # any stage: the stage runner's budgets and what no rule foresaw
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"
    STAGE_CRASHED = "stage_crashed"
    INTERNAL_ERROR = "internal_error"
    # publish
    PUBLISH_FAILED = "publish_failed"
    # index (besides the index's own error types)
    TOMBSTONE_WITHOUT_KEY = "tombstone_without_key"
    INVALID_ARTICLE = "invalid_article"
    REJECTED = "rejected"

    @classmethod
    def for_field(cls, problem: str, field: str) -> DeadLetterReason:
        """``missing_<field>`` or ``invalid_<field>`` of a RawPage field (a ValueError for a name not listed)."""
        return cls(f"{problem}_{field}")


class TopicStatus(StrEnum):
    """Why an article has the topics it has (``Tags.topic_status``); the untagged ones label
    ``wirefeed_untagged_topics``."""

    TAGGED = "tagged"
    NO_EVIDENCE = "no_evidence"  # a supported language, but no lexicon term in the text
    UNSUPPORTED_LANGUAGE = "unsupported_language"  # no lexicon for the detected language: no topics
    UNKNOWN_LANGUAGE = "unknown_language"  # too little text to tell the language: no topics


UNTAGGED_REASONS = (TopicStatus.NO_EVIDENCE, TopicStatus.UNSUPPORTED_LANGUAGE, TopicStatus.UNKNOWN_LANGUAGE)


class DuplicateKind(StrEnum):
    """What the deduper found an article to be a copy of: the ``kind`` label of ``wirefeed_duplicates``."""

    EXACT = "exact"  # the same normalised body (content hash)
    NEAR = "near"  # a trimmed, extended or re-edited copy (shingle containment)


class Rule(StrEnum):
    """The cleaner rule that cut a block: ``Article.removed[].rule``, the ``rule`` label of
    ``wirefeed_removed_blocks``. Block rules (``clean/rules.py``), the furniture file's rule
    column (``clean/furniture.tsv``), page-level and context rules."""

    # block rules
    EMPTY = "empty"
    FOOTER = "footer"
    PROMPT = "prompt"
    BYLINE = "byline"
    AD = "ad"
    SHARE = "share"
    CAPTION = "caption"
    CREDIT = "credit"
    MASTHEAD = "masthead"
    LINK = "link"
    LAYOUT = "layout"
    NAV = "nav"
    # furniture.tsv (besides footer, prompt, nav)
    BIO = "bio"
    COUNTER = "counter"
    PRINT = "print"
    TAGS = "tags"
    # page level
    FOREIGN_SCRIPT = "foreign_script"
    TITLE = "title"
    TEMPLATE = "template"
    # context rules
    RELATED = "related"
    DUPLICATE = "duplicate"
    SECTION_LABEL = "section_label"
    COMMENTS = "comments"  # a reader-comment thread after the article (the extract branch's context rule)
