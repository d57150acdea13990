"""Stage, reason, rule and duplicate-kind names are spelled once (schemas/names.py) and metrics use only those."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest

from pipeline import metrics
from pipeline.clean.rules import FURNITURE, load_furniture
from pipeline.config import Settings
from pipeline.process import process_lines
from pipeline.stages import Pipeline
from schemas import RawPage
from schemas.names import DeadLetterReason, DuplicateKind, Rule, Stage, TopicStatus
from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
# The metric families whose label values are names of schemas.names, and which enum each label is.
NAMED_LABELS = {
    "wirefeed_stage_processed": {"stage": Stage},
    "wirefeed_stage_failed": {"stage": Stage},
    "wirefeed_stage_seconds": {"stage": Stage},
    "wirefeed_dlq": {"stage": Stage, "reason": DeadLetterReason},
    "wirefeed_removed_blocks": {"rule": Rule},
    "wirefeed_duplicates": {"kind": DuplicateKind},
    "wirefeed_untagged_topics": {"reason": TopicStatus},
}


def _label_values() -> dict[tuple[str, str, str], float]:
    """(family, label, value) -> the family's total for that value, over the worker's registry."""
    totals: dict[tuple[str, str, str], float] = {}
    for family in metrics.WORKER_REGISTRY.collect():
        for sample in family.samples:
            if sample.name.endswith(("_created", "_bucket", "_sum")) or family.name not in NAMED_LABELS:
                continue
            for label, value in sample.labels.items():
                if label in NAMED_LABELS[family.name]:
                    key = (family.name, label, value)
                    totals[key] = totals.get(key, 0.0) + sample.value
    return totals


def _input_lines() -> list[str]:
    """The wire fixtures, the seeds (one is a duplicate of another's text at most) and the small bad inputs."""
    lines = []
    for path in sorted((FIXTURES / "wire" / "pages").iterdir()) + sorted(SEEDS.glob("*.txt")):
        kind = "text/html" if path.suffix == ".html" else "text/plain"
        lines.append(json.dumps({"url": f"https://names.example/{path.name}", "content": path.read_text("utf-8"),
                                 "content_type": kind, "source": path.stem}))
        lines.append(lines[-1])  # every page twice: the copy is an exact duplicate
    for path in sorted((FIXTURES / "bad_input").glob("*.jsonl")):
        lines.extend(path.read_bytes().decode("utf-8", "replace").splitlines() or [""])
    return lines


def test_every_stage_rule_reason_and_kind_label_the_pipeline_counts_is_a_member_of_its_enum() -> None:
    before = _label_values()
    process_lines(_input_lines(), Pipeline(Settings()), io.StringIO(), io.StringIO())
    counted = {key for key, total in _label_values().items() if total > before.get(key, 0.0)}
    outside = [(family, label, value) for family, label, value in counted
               if value not in NAMED_LABELS[family][label]._value2member_map_]
    assert outside == []
    # the run exercised every family, so the check above checked something
    assert {family for family, _, _ in counted} >= {"wirefeed_stage_processed", "wirefeed_dlq",
                                                    "wirefeed_removed_blocks", "wirefeed_duplicates"}


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == name]


def test_no_dead_letter_is_made_with_a_bare_string_stage_or_reason() -> None:
    bare = []
    for path in [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "agents").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls(tree, "RecordError"):
            bare += [f"{path.relative_to(ROOT)}:{call.lineno}" for arg in call.args[:2]
                     if isinstance(arg, ast.Constant | ast.JoinedStr)]
        for name in ("to_dead_letter", "letter_for", "dead_letter"):
            for call in _calls(tree, name):
                bare += [f"{path.relative_to(ROOT)}:{call.lineno}" for arg in call.args[:2]
                         if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    assert bare == []


def test_the_cleaner_names_every_rule_it_gives_with_the_rule_enum() -> None:
    assert all(isinstance(rule, Rule) for rule, _, _ in FURNITURE)  # the phrase file's names, checked at load
    bare: set[str] = set()  # rule names written as string literals where a rule is returned or assigned
    rule_functions = 0
    for path in (ROOT / "pipeline" / "clean").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_rule"):  # block_rule, furniture_rule
                rule_functions += 1
                bare |= {ret.value.value for ret in ast.walk(node) if isinstance(ret, ast.Return)
                         and isinstance(ret.value, ast.Constant) and isinstance(ret.value.value, str)}
            if (isinstance(node, ast.Assign) and any(getattr(t, "attr", None) == "rule" for t in node.targets)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                bare.add(node.value.value)
    assert rule_functions >= 2  # the scan found block_rule and furniture_rule
    assert sorted(bare) == [], "use schemas.names.Rule, not a string"


def test_a_phrase_file_line_with_an_unknown_rule_fails_at_load(tmp_path: Path) -> None:
    phrases = tmp_path / "furniture.tsv"
    phrases.write_text("footer\t12\tall rights reserved\nfooterz\t12\tcookie policy\n", encoding="utf-8")
    with pytest.raises(ValueError, match="footerz"):
        load_furniture(phrases)


def test_every_raw_page_field_has_its_missing_and_invalid_reason() -> None:
    for field in RawPage.model_fields.keys() - {"url", "content_type"}:  # those two: bad_url, unsupported_content_type
        assert DeadLetterReason.for_field("invalid", field) == f"invalid_{field}"
    for field, info in RawPage.model_fields.items():
        if info.is_required():
            assert DeadLetterReason.for_field("missing", field) == f"missing_{field}"


def test_names_are_their_strings_in_records_and_labels() -> None:
    # a member is its value: JSON, f-strings and Prometheus labels carry the same bytes as before
    assert json.dumps({"stage": Stage.PARSE, "reason": DeadLetterReason.NOT_JSON}) == \
        '{"stage": "parse", "reason": "not_json"}'
    assert f"{Stage.EXTRACT}/{DeadLetterReason.NO_CONTENT}" == "extract/no_content"
    assert str(DuplicateKind.NEAR) == "near" and Rule.SECTION_LABEL == "section_label"
