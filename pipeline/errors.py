"""Errors that turn a record into a dead letter instead of crashing the run."""

from __future__ import annotations


class RecordError(Exception):
    """A record cannot go on; ``reason`` is a short machine-readable code."""

    def __init__(self, stage: str, reason: str, detail: str, url: str | None = None) -> None:
        super().__init__(f"{stage}/{reason}: {detail}")
        self.stage = stage
        self.reason = reason
        self.detail = detail
        self.url = url

    def __reduce__(self) -> tuple:
        # picklable with its fields, so it can cross a process boundary (the worker's stage process)
        return (type(self), (self.stage, self.reason, self.detail, self.url))
