"""A MutableMapping view of a Faust table, so ``pipeline.dedupe`` runs on it unchanged."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_DELETED = object()


class TableStore(MutableMapping[str, Any]):
    """Dict-like access to a Faust table (RocksDB-backed, changelogged), writing back in batches.

    Every table write is one changelog record, and the deduper writes about 50 keys per
    article, many of them (the clock, the eviction queue's tail, story records, busy
    postings) again for the next article. Writes are kept here until :meth:`flush`,
    which the dedupe agent calls once per batch, before it sends the batch's outputs: a
    key written by several articles of a batch reaches the changelog once (18 instead of
    50 records per article in batches of 32 generated wire pages). Reads see the pending
    writes, so the deduper cannot tell the difference.
    """

    def __init__(self, table: Any) -> None:
        self._table = table
        self._pending: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _DELETED)
        if value is _DELETED:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._pending:
            value = self._pending[key]
            return default if value is _DELETED else value
        # one store read (Mapping.get would test membership, then read again)
        return self._table.get(key, default)

    def __contains__(self, key: object) -> bool:
        return self.get(key, _DELETED) is not _DELETED  # type: ignore[arg-type]

    def __setitem__(self, key: str, value: Any) -> None:
        self._pending[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        for key in self._table:
            if key not in self._pending:
                yield key
        for key, value in list(self._pending.items()):
            if value is not _DELETED:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def pending(self) -> int:
        """Writes not yet in the table."""
        return len(self._pending)

    def flush(self) -> None:
        """Write the pending writes to the table, each key once (from within the agent: Faust
        sends the changelog record to the partition of the event being processed)."""
        pending, self._pending = self._pending, {}
        for key, value in pending.items():
            if value is _DELETED:
                if key in self._table:
                    del self._table[key]
            else:
                self._table[key] = value
