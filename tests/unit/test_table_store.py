"""The dedupe table adapter: the deduper sees a dict, the changelog gets each key once per batch."""

from __future__ import annotations

import json

from agents.tables import TableStore
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.stages import Pipeline
from tests.helpers import CountingStore
from tests.integration.faultkit import page


def test_reads_see_pending_writes_and_deletes_until_they_are_flushed() -> None:
    table = CountingStore(old=1, gone=2)
    store = TableStore(table)
    store["new"] = 3
    store["new"] = 4
    del store["gone"]
    assert store["new"] == 4 and store.get("gone") is None and "gone" not in store and "old" in store
    assert sorted(store) == ["new", "old"] and len(store) == 2
    assert table == {"old": 1, "gone": 2} and table.writes == 0
    store.flush()
    assert table == {"old": 1, "new": 4} and table.writes == 2  # "new" once, "gone" deleted once


def test_the_deduper_gives_the_same_verdicts_on_the_batched_store_with_fewer_changelog_records() -> None:
    settings = Settings()
    articles = [Pipeline(settings).run_front(json.dumps(page(i, "store"))) for i in range(96)]
    articles += articles[:8]  # re-deliveries get their first verdicts
    plain = Deduper(store=CountingStore(), settings=settings)
    table = CountingStore()
    store = TableStore(table)
    batched = Deduper(store=store, settings=settings)
    for start in range(0, len(articles), 32):
        for article in articles[start:start + 32]:
            assert batched.check(article) == plain.check(article)
        store.flush()
    assert table == plain.store
    assert table.writes < plain.store.writes * 0.8


class ReadCountingStore(CountingStore):
    """A table that counts its reads (a Faust table read is a RocksDB lookup and JSON decoding)."""

    reads = 0

    def __getitem__(self, key: str) -> object:
        self.reads += 1
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.reads += 1
        return super().__contains__(key)


def test_each_key_is_read_from_the_table_once_until_the_assignment_changes() -> None:
    table = ReadCountingStore(old=1)
    store = TableStore(table)
    assert [store.get("old"), store.get("old"), store.get("missing"), store.get("missing")] == [1, 1, None, None]
    assert "missing" not in store and store["old"] == 1
    assert table.reads == 2  # one for each key: present, and known absent
    store["missing"] = 5
    store.flush()
    assert store["missing"] == 5 and table.reads == 2
    table["old"] = 7  # another worker owned the partition meanwhile (its changelog was recovered)
    store.forget()
    assert store["old"] == 7


def test_the_read_cache_is_bounded() -> None:
    table = ReadCountingStore({f"k{i}": i for i in range(50)})
    store = TableStore(table, cache_keys=10)
    for _ in range(3):
        assert [store[f"k{i}"] for i in range(50)] == list(range(50))
    assert len(store._cache) <= 10  # noqa: SLF001
