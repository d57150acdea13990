"""The dedupe table adapter: the deduper sees a dict, the changelog gets each key once per batch."""

from __future__ import annotations

import json

from agents.tables import TableStore
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.stages import Pipeline
from tests.integration.faultkit import page


class CountingTable(dict):
    """Stands in for a Faust table: every write or delete is one changelog record."""

    records = 0

    def __setitem__(self, key: str, value: object) -> None:
        self.records += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.records += 1
        super().__delitem__(key)


def test_reads_see_pending_writes_and_deletes_until_they_are_flushed() -> None:
    table = CountingTable(old=1, gone=2)
    store = TableStore(table)
    store["new"] = 3
    store["new"] = 4
    del store["gone"]
    assert store["new"] == 4 and store.get("gone") is None and "gone" not in store and "old" in store
    assert sorted(store) == ["new", "old"] and len(store) == 2
    assert table == {"old": 1, "gone": 2} and table.records == 0
    store.flush()
    assert table == {"old": 1, "new": 4} and table.records == 2  # "new" once, "gone" deleted once


def test_the_deduper_gives_the_same_verdicts_on_the_batched_store_with_fewer_changelog_records() -> None:
    settings = Settings()
    articles = [Pipeline(settings).run_front(json.dumps(page(i, "store"))) for i in range(96)]
    articles += articles[:8]  # re-deliveries get their first verdicts
    plain = Deduper(store=CountingTable(), settings=settings)
    table = CountingTable()
    store = TableStore(table)
    batched = Deduper(store=store, settings=settings)
    for start in range(0, len(articles), 32):
        for article in articles[start:start + 32]:
            assert batched.check(article) == plain.check(article)
        store.flush()
    assert table == plain.store
    assert table.records < plain.store.records * 0.8
