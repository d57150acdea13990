"""bench/stories.py's error report: which gold stories a clustering merges and which it splits."""

from __future__ import annotations

from bench.stories import bcubed, errors


def test_a_story_holding_two_gold_stories_is_a_merge_and_a_gold_story_in_two_parts_a_split() -> None:
    gold = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C"}
    predicted = {"a1": "s1", "a2": "s1", "a3": "s1", "b1": "s1", "b2": "s2", "c1": "s3", "c2": "s3"}
    merges, splits = errors(gold, predicted)
    assert merges == [{"A": 3, "B": 1}]
    assert splits == {"B": [1, 1]}


def test_a_perfect_clustering_has_no_errors_and_a_missing_article_is_a_part_of_its_own() -> None:
    gold = {"a1": "A", "a2": "A", "b1": "B"}
    assert errors(gold, {"a1": "x", "a2": "x", "b1": "y"}) == ([], {})
    assert bcubed(gold, {"a1": "x", "a2": "x", "b1": "y"}) == (1.0, 1.0, 1.0)
    assert errors(gold, {"a1": "x", "b1": "y"}) == ([], {"A": [1, 1]})
