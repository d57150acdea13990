"""The tests need nothing beside the repository: a fresh clone runs them all.

Data a test needs lives in tests/fixtures (the seeds are copied there). A test that must read
the data sets in ../shared says so with ``@pytest.mark.needs_shared_data``, and then skips,
with the reason, where they are absent (tests/conftest.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import REPO_ROOT, SEEDS, SHARED

TESTS = REPO_ROOT / "tests"
BUILDERS = {TESTS / "conftest.py", TESTS / "unit" / "test_self_contained.py"}


def _reads_shared(path: Path) -> bool:
    """Whether a module names ../shared: the SHARED path, or a string that is or holds a ``shared`` folder."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id == "SHARED":
            return True
        if isinstance(node, ast.alias) and node.name == "SHARED":
            return True
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
        if text == "shared" or "../shared" in text or text.startswith("shared/"):
            return True
    return False


def test_only_tests_marked_as_needing_shared_data_read_it() -> None:
    modules = [p for p in TESTS.rglob("test_*.py") if p not in BUILDERS and "fixtures" not in p.parts]
    unmarked = [
        str(p.relative_to(REPO_ROOT)) for p in modules
        if _reads_shared(p) and "needs_shared_data" not in p.read_text(encoding="utf-8")
    ]
    assert modules and unmarked == []


def test_the_scan_sees_a_shared_path_when_there_is_one(tmp_path: Path) -> None:
    for source in ('DATA = ROOT.parent / "shared" / "seeds"', "from tests.conftest import SHARED",
                   'AEB = Path("../shared/data/aeb-dev")'):
        module = tmp_path / "test_x.py"
        module.write_text(source + "\n", encoding="utf-8")
        assert _reads_shared(module), source


def test_the_seed_copies_are_in_the_repository() -> None:
    assert len(sorted(SEEDS.glob("*.txt"))) == 5
    assert SEEDS.is_relative_to(REPO_ROOT) and not SEEDS.is_relative_to(SHARED)


class _Item:
    """Just what the collection hook looks at in a collected test."""

    def __init__(self, *markers: str) -> None:
        self.markers = {name: getattr(pytest.mark, name).mark for name in markers}
        self.added: list[pytest.MarkDecorator] = []

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return self.markers.get(name)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.added.append(marker)


def test_a_test_needing_shared_data_skips_with_the_reason_where_it_is_absent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marked, plain = _Item("needs_shared_data"), _Item()
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "no-shared")
    conftest.pytest_collection_modifyitems(None, [marked, plain])  # type: ignore[arg-type, list-item]
    assert [m.name for m in marked.added] == ["skip"] and plain.added == []
    assert "needs the shared data sets" in marked.added[0].kwargs["reason"]

    monkeypatch.setattr(conftest, "SHARED", tmp_path)  # present: the test runs
    again = _Item("needs_shared_data")
    conftest.pytest_collection_modifyitems(None, [again])  # type: ignore[arg-type, list-item]
    assert again.added == []
