"""A MutableMapping view of a Faust table, so ``pipeline.dedupe`` runs on it unchanged."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_DELETED = object()  # a pending delete, and a key known to be absent
# Values kept in memory for reads: the deduper reads ~100 keys per article, and a Faust table read
# is a RocksDB lookup plus JSON both ways (twice for ``get``: a membership test, then the read).
READ_CACHE_KEYS = 200_000


class TableStore(MutableMapping[str, Any]):
    """Dict-like access to a Faust table (RocksDB-backed, changelogged), writing back in batches.

    Every table write is one changelog record, and the deduper writes about 50 keys per
    article, many of them (the clock, the eviction queue's tail, story records, busy
    postings) again for the next article. Writes are kept here until :meth:`flush`,
    which the dedupe agent calls once per batch, before it sends the batch's outputs: a
    key written by several articles of a batch reaches the changelog once (18 instead of
    50 records per article in batches of 32 generated wire pages). Reads see the pending
    writes, so the deduper cannot tell the difference.

    Reads are cached (the values, and which keys are absent): only this worker writes the
    partitions it owns, so the cache is exact until the assignment changes; the app calls
    :meth:`forget` on every rebalance, before the table is recovered from its changelog.
    """

    def __init__(self, table: Any, cache_keys: int = READ_CACHE_KEYS) -> None:
        self._table = table
        self._pending: dict[str, Any] = {}
        self._cache: dict[str, Any] = {}
        self._cache_keys = cache_keys

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _DELETED)
        if value is _DELETED:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._pending:
            value = self._pending[key]
        elif key in self._cache:
            value = self._cache[key]
        else:
            value = self._read(key)
        return default if value is _DELETED else value

    def _read(self, key: str) -> Any:
        """One store read (Mapping.get would test membership, then read again), remembered."""
        try:
            value = self._table[key]
        except KeyError:
            value = _DELETED
        if len(self._cache) >= self._cache_keys:
            self._cache.clear()  # crude but bounded; the working set refills it at once
        self._cache[key] = value
        return value

    def forget(self) -> None:
        """Drop the read cache (the partitions this worker owns have changed)."""
        self._cache.clear()

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
                if self._cache.get(key) is not _DELETED and key in self._table:  # no needless tombstone
                    del self._table[key]
            else:
                self._table[key] = value
            if len(self._cache) < self._cache_keys or key in self._cache:
                self._cache[key] = value
