"""A MutableMapping view of a Faust table, so ``pipeline.dedupe`` runs on it unchanged."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any


class TableStore(MutableMapping[str, Any]):
    """Dict-like access to a Faust table (RocksDB-backed, changelogged)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getitem__(self, key: str) -> Any:
        if key not in self._table:
            raise KeyError(key)
        return self._table[key]

    def get(self, key: str, default: Any = None) -> Any:
        # one store read (Mapping.get would test membership, then read again)
        return self._table.get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._table[key] = value

    def __delitem__(self, key: str) -> None:
        del self._table[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.keys())

    def __len__(self) -> int:
        return len(self._table)
