"""Errors that turn a record into a dead letter instead of crashing the run."""

from __future__ import annotations

from schemas.names import DeadLetterReason


class RecordError(Exception):
    """A record cannot go on; ``reason`` is a short machine-readable code."""

    def __init__(self, stage: str, reason: str, detail: str, url: str | None = None) -> None:
        super().__init__(f"{stage}/{reason}: {detail}")
        self.stage = stage
        self.reason = reason
        self.detail = detail
        self.url = url

    def __reduce__(self) -> tuple:
        # picklable with its fields, so it can cross a process boundary (the stage runner's child)
        return (type(self), (self.stage, self.reason, self.detail, self.url))


class TooSlow(BaseException):  # noqa: N818 - a signal, not an error of the code it interrupts
    """Raised into a stage when its record used up its CPU time; a BaseException so that no
    ``except Exception`` inside a stage can swallow it."""


def as_record_error(exc: BaseException, stage: str) -> RecordError:
    """The one mapping of whatever a stage raised to the RecordError its dead letter is made of."""
    if isinstance(exc, RecordError):
        return exc
    if isinstance(exc, TooSlow):
        return RecordError(stage, DeadLetterReason.TOO_SLOW, f"the record used more than its CPU time ({exc})")
    if isinstance(exc, MemoryError):
        return RecordError(stage, DeadLetterReason.TOO_LARGE, "the record needed more memory than a record may use")
    if isinstance(exc, RecursionError):
        return RecordError(stage, DeadLetterReason.TOO_LARGE, "the record is nested too deeply")
    return RecordError(stage, DeadLetterReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
