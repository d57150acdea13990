"""bench/extraction_errors.py: lost 4-grams are put on the line they start in, counted like the metric."""

from __future__ import annotations

from bench.extraction_errors import lost_by_line, shape


def test_a_missed_gold_line_carries_the_shingles_that_start_in_it() -> None:
    gold = "Bridge closed to lorries\nThe council voted on Tuesday to close the old bridge."
    ours = "The council voted on Tuesday to close the old bridge."
    lines, total, lost = lost_by_line(gold, ours)
    assert lines[0] == "Bridge closed to lorries"
    assert lost[0] == total[0] == 4  # every 4-gram starting in the headline is missed
    assert lost[1] == 0  # the paragraph's own 4-grams are all found


def test_a_repeated_passage_is_lost_once_when_the_output_holds_it_once() -> None:
    para = "one two three four five six"
    _, total, lost = lost_by_line(f"{para}\n{para}", para)
    assert sum(lost.values()) == sum(total.values()) - 3  # the second showing (and the seam) is missed


def test_lines_are_classed_by_shape() -> None:
    assert shape("Bridge closed to lorries") == "short, no full stop (headline, label, date)"
    assert shape("It rained.") == "short sentence"
