"""Which input offset the worker may commit: only past records whose own output was acknowledged.

Faust (faust-streaming 0.15) decides the offset to commit from the offsets its streams acked
(``Consumer._acked``) and from "gaps", offsets it assumes do not exist because the fetch
position jumped (``Consumer._add_gap``). Both can commit a record that was never processed,
which the cluster fault tests saw as pages missing for good after a rebalance (issue 15):

- **Gaps that are not gaps.** After a rebalance Faust's table recovery seeks the stream
  partitions to their committed offsets again (``perform_seek``) after the fetcher has already
  started delivering records of the new assignment. The drain loop's read offset goes back to
  the committed offset while it is still delivering the records fetched before, so the next one
  looks like a jump, and every offset in between is recorded as a gap: treated as acked. The
  records delivered before the second seek were dropped on the way to the agent (never acked),
  and the refetched copies are dropped as "already read"; the next commit jumped over them.
  Measured (single broker, worker killed 1 s after a second one joined): a gap 151..169 was
  recorded on ``wire.raw`` partition 2, records 155..168 never reached the agent, and the
  commit went from 155 to 170: 37 of 1,005 inputs lost.
- **Off by one.** Faust commits the first run of consecutive acked offsets unless it starts
  more than one past the committed offset, so when the record *at* the committed offset is the
  only one not acked (committed 125, acked 126...), it commits past it.
- **No known start.** A partition never committed has no committed offset, and Faust then
  commits the first run of acked offsets wherever it starts: a later batch acked before an
  earlier one commits past the earlier one.

Our topics are neither compacted nor written in transactions, so offsets are dense and no
offset is ever legitimately missing: :class:`ContiguousCommitConsumer` ignores gaps and
commits only the run of acked offsets that starts exactly at the committed offset (or, for a
partition never committed, at the position the worker started reading it from).

That alone turns the loss into a stall: the records Faust dropped after the rebalance are never
delivered again (the drain loop drops the refetched copies as already read), so the partition's
commit would wait for ever. So when the record at the committed offset is not acked, no stream
holds it, and later records of the partition are acked (or, at the end of a partition's input,
the drain loop has read past it), for :data:`DROPPED_AFTER_S`, the
consumer seeks the partition back to it: the records from there are read and processed again
(outputs are idempotent: re-delivered articles are byte-identical).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.types import TP

log = logging.getLogger("wirefeed.worker")
# How long the record at a partition's committed offset may stay unacked, and not being processed
# by any stream, while later records of the partition are acked, before it counts as dropped and
# the partition is read again from it. Far above the time a record waits in a queue (the check
# also requires that no stream holds it); a wrong guess costs identical re-deliveries, never loss.
DROPPED_AFTER_S = 10.0


def commit_run(acked: Sequence[int], head: int | None) -> tuple[int | None, list[int]]:
    """The offset to commit and the acked offsets it covers, given the offsets acked so far
    (any order) and ``head``, the next offset the group would read (committed offset, or where
    reading started): one past the run of consecutive acked offsets beginning at ``head``.

    ``(None, [])`` while the record at ``head`` is not acked, or ``head`` is unknown: nothing
    after an unprocessed record may be committed, and without a head we cannot know that
    the first acked offset is the first record.
    """
    if head is None:
        return None, []
    present = set(acked)
    if head not in present:
        return None, []
    end = head
    while end + 1 in present:
        end += 1
    return end + 1, list(range(head, end + 1))


class ContiguousCommitConsumer(AIOKafkaConsumer):
    """Faust's aiokafka consumer, committing an offset only once every record before it was acked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # where reading started, for partitions without a committed offset (see perform_seek)
        self._start_offsets: dict[TP, int] = {}
        # partition -> (its unacked head offset, since when later records were acked without it)
        self._held: dict[TP, tuple[int, float]] = {}
        self.refetches = 0  # partitions read again because their head record was dropped

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # A jump in the offsets the drain loop sees is a seek (see the module docstring), never a
        # hole in our dense topics: the records in between must be acked themselves.
        log.debug("fetch position jumped", extra={"topic": tp.topic, "partition": tp.partition,
                                                   "from": offset_from, "to": offset_to})

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[TP]:
        """Faust's partitions with acked records, and those read past their head with none acked:
        a dropped record at the end of a partition (no later input acked) is found too."""
        tps = set(self._acked) | {tp for tp, read in list(self._read_offset.items()) if read is not None}
        return (tp for tp in tps if topics is None or tp in topics or tp.topic in topics)

    def _head(self, tp: TP) -> int | None:
        head = self._committed_offset[tp]
        return self._start_offsets.get(tp) if head is None else head

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        head = self._head(tp)
        if head is None:
            return None
        if not acked:
            # nothing acked: the record at the head was dropped if the drain loop delivered a later
            # one (the read offset is the last delivered offset, or after a seek the offset sought
            # to, so only a read offset *past* the head says the head was passed)
            read = self._read_offset.get(tp)
            if read is not None and read > head:
                self._check_dropped(tp, head)
            else:
                self._held.pop(tp, None)
            return None
        stale = {o for o in acked if o < head}  # read again after a seek: already committed
        offset, covered = commit_run(acked, head)
        done = stale | set(covered)
        if done:
            acked[:] = sorted(o for o in acked if o not in done)
            self._acked_index[tp].difference_update(done)
        if offset is None and acked:
            self._check_dropped(tp, head)
        else:
            self._held.pop(tp, None)
        return offset

    def _check_dropped(self, tp: TP, head: int, now: float | None = None) -> bool:
        """Read ``tp`` again from ``head`` if its record has been dropped (see the module docstring)."""
        now = time.monotonic() if now is None else now
        held_head, since = self._held.get(tp, (None, now))
        if held_head != head:
            self._held[tp] = (head, now)
            return False
        if now - since < DROPPED_AFTER_S or self._in_a_stream(tp, head):
            return False
        self._held.pop(tp, None)
        self.refetches += 1
        log.warning("record never reached the agent: reading the partition again from it",
                    extra={"topic": tp.topic, "partition": tp.partition, "offset": head})
        asyncio.ensure_future(self._refetch(tp, head))
        return True

    def _in_a_stream(self, tp: TP, offset: int) -> bool:
        """Whether a stream took the record at ``offset`` and has not acked it yet (being processed)."""
        return any(m.tp == tp and m.offset == offset for m in list(self._unacked_messages))

    async def _refetch(self, tp: TP, offset: int) -> None:
        if tp in self.assignment():
            # in the consumer's own thread (``Consumer.seek`` calls aiokafka from this one, which
            # raced its fetcher: KeyError in ``fetched_records``); also resets the read offset
            await self.seek_wait({tp: offset})

    async def perform_seek(self) -> None:
        """Seek to the committed offsets, and remember where reading starts for partitions never
        committed (their first record is at the position the consumer was reset to)."""
        await super().perform_seek()
        for tp in self.assignment():
            if self._committed_offset[tp] is None and not self._is_changelog_tp(tp):
                position = await self.position(tp)
                if position is not None:
                    self._start_offsets[tp] = position


def install(app: Any) -> None:
    """Make ``app`` create :class:`ContiguousCommitConsumer` (before its consumer exists)."""
    app.transport.Consumer = ContiguousCommitConsumer
