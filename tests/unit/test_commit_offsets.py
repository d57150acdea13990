"""The worker commits an input offset only once every record before it was acked (issue 15).

The cases are the ones measured in the rebalance-kill fault test: Faust's stock consumer
committed past records that were never processed. No broker is needed: the consumer's offset
bookkeeping is exercised directly, as Faust's commit timer would call it.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import faust
import pytest
from faust.types import TP

from agents.offsets import ContiguousCommitConsumer, commit_run, install

RAW = TP("wire.raw", 2)


def consumer(contiguous: bool) -> faust.types.ConsumerT:
    """A consumer as the worker's app builds it (never started: no broker is contacted)."""
    app = faust.App(f"offsets-{uuid.uuid4().hex[:8]}", broker="kafka://127.0.0.1:9", store="memory://")
    if contiguous:
        install(app)
    return app.consumer


def ack(c: faust.types.ConsumerT, *offsets: int) -> None:
    for offset in offsets:  # what Consumer.ack records once a stream acked a record
        c._acked[RAW].append(offset)
        c._acked_index[RAW].add(offset)


def commit_all(c: faust.types.ConsumerT) -> int | None:
    """Commit as Faust's commit timer does, over and over, until nothing more may be committed."""
    while (offset := c._new_offset(RAW)) is not None:
        c._committed_offset[RAW] = offset
    return c._committed_offset[RAW]


def test_the_worker_app_uses_the_contiguous_consumer() -> None:
    from agents.app import create_app
    from pipeline.config import Settings

    app = create_app(Settings(), "127.0.0.1:9")
    assert isinstance(app.consumer, ContiguousCommitConsumer)


def test_commit_run_starts_exactly_at_the_head() -> None:
    assert commit_run([125, 126, 127], 125) == (128, [125, 126, 127])
    assert commit_run([127, 125, 126, 130], 125) == (128, [125, 126, 127])
    assert commit_run([126, 127], 125) == (None, [])  # the record at the head is not acked
    assert commit_run([0, 1], None) == (None, [])  # unknown head: nothing is known to be first
    assert commit_run([], 3) == (None, [])


@pytest.mark.parametrize("contiguous", [False, True], ids=["faust", "wirefeed"])
def test_a_record_at_the_committed_offset_that_is_not_acked_holds_the_commit(contiguous: bool) -> None:
    # measured: wire.raw[2] committed at 125, record 125 never acked, 126.. acked; Faust committed 270
    c = consumer(contiguous)
    c._committed_offset[RAW] = 125
    ack(c, *range(126, 140))
    offset = c._new_offset(RAW)
    if contiguous:
        assert offset is None
        ack(c, 125)  # once it is processed, everything up to the last acked one goes
        assert c._new_offset(RAW) == 140
    else:
        assert offset == 140  # Faust's off-by-one: 125 committed without being processed


@pytest.mark.parametrize("contiguous", [False, True], ids=["faust", "wirefeed"])
def test_a_jump_in_the_fetched_offsets_does_not_count_as_processed(contiguous: bool) -> None:
    # measured: after a rebalance, the second seek to the committed offset (150) came while records
    # fetched before it were still being delivered; the drain loop saw 150 -> 169 and recorded a gap
    # 151..169; records 155..168 never reached the agent, and Faust's next commit was 170
    c = consumer(contiguous)
    c._committed_offset[RAW] = 150
    asyncio.run(c._add_gap(RAW, 151, 169))  # as Consumer._drain_messages calls it
    ack(c, *range(150, 155), *range(169, 173))
    if contiguous:
        assert commit_all(c) == 155  # 155..168 were not processed: no commit past them
    else:
        assert commit_all(c) == 173  # 155..168 committed, never processed


def test_a_partition_never_committed_commits_from_where_reading_started() -> None:
    # a later batch acked before an earlier one: Faust committed the later run (no committed offset)
    stock, ours = consumer(False), consumer(True)
    for c in (stock, ours):
        ack(c, *range(32, 64))
    assert stock._new_offset(RAW) == 64  # records 0..31 committed, not processed
    ours._start_offsets[RAW] = 0  # perform_seek records the position the consumer was reset to
    assert ours._new_offset(RAW) is None
    ack(ours, *range(32))
    assert ours._new_offset(RAW) == 64


def test_acks_below_the_committed_offset_are_dropped_not_committed_again() -> None:
    c = consumer(True)
    c._committed_offset[RAW] = 10
    ack(c, 4, 5, 10, 11)  # 4 and 5: records read again after a seek back
    assert c._new_offset(RAW) == 12
    assert list(c._acked[RAW]) == [] and not c._acked_index[RAW]


def test_a_head_record_no_stream_holds_is_read_again_after_a_while() -> None:
    # measured: after the rebalance, records 178..185 of wire.raw[1] were delivered before Faust's
    # seek and never reached the agent; the refetched copies were dropped as already read, so with
    # contiguous commits the partition's commit would have waited for ever
    from agents import offsets

    async def scenario() -> list[tuple[TP, int]]:
        c = consumer(True)
        seeks: list[tuple[TP, int]] = []

        async def seek_wait(partitions: dict[TP, int]) -> None:  # seeks in the consumer's thread
            seeks.extend(partitions.items())

        c.seek_wait = seek_wait
        c.assignment = lambda: {RAW}
        c._committed_offset[RAW] = 180
        ack(c, *range(186, 191))
        assert c._new_offset(RAW) is None  # starts the clock
        assert not c._check_dropped(RAW, 180, now=time.monotonic() + offsets.DROPPED_AFTER_S / 2)
        assert c._check_dropped(RAW, 180, now=time.monotonic() + offsets.DROPPED_AFTER_S + 1)
        await asyncio.sleep(0)
        assert c.refetches == 1
        return seeks

    assert asyncio.run(scenario()) == [(RAW, 180)]


def test_a_head_record_a_stream_is_processing_is_waited_for() -> None:
    from agents import offsets

    class Taken:  # a message a stream took and has not acked (in Consumer._unacked_messages)
        tp, offset = RAW, 180

    c = consumer(True)
    c._committed_offset[RAW] = 180
    ack(c, 181)
    taken = Taken()
    c._unacked_messages = {taken}
    assert c._new_offset(RAW) is None
    assert not c._check_dropped(RAW, 180, now=time.monotonic() + 10 * offsets.DROPPED_AFTER_S)
    assert c.refetches == 0


def test_a_dropped_record_at_the_end_of_the_input_is_read_again_though_nothing_later_is_acked() -> None:
    # the last records of a partition dropped after a rebalance, no input after them: nothing of the
    # partition is ever acked again, so only the drain loop's read offset shows they were passed
    from agents import offsets

    c = consumer(True)
    c.assignment = lambda: {RAW}
    c._committed_offset[RAW] = 180
    c._read_offset[RAW] = 185  # delivered up to 185; none acked, no stream holds them
    assert RAW in set(c._filter_tps_with_pending_acks())  # so the commit timer looks at it
    assert c._new_offset(RAW) is None  # starts the clock
    assert c._held[RAW][0] == 180
    assert not c._check_dropped(RAW, 180, now=time.monotonic() + offsets.DROPPED_AFTER_S / 2)


def test_an_idle_partition_after_a_seek_is_not_taken_for_dropped_records() -> None:
    c = consumer(True)
    c._committed_offset[RAW] = 180
    c._read_offset[RAW] = 180  # Faust sets the read offset to the offset it sought to
    assert c._new_offset(RAW) is None
    assert RAW not in c._held  # no clock started: nothing was passed
    c._read_offset[RAW] = 179  # all delivered records committed: the normal idle state
    assert c._new_offset(RAW) is None
    assert RAW not in c._held
