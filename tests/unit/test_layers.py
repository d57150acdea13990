"""The pure core never reaches up into the Kafka layer: nothing under pipeline/ imports agents."""

from __future__ import annotations

import ast
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # lazy imports inside functions too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_under_pipeline_imports_agents() -> None:
    offenders = {
        str(path.relative_to(PIPELINE.parent)):
            sorted(m for m in _imported_modules(path) if m.split(".")[0] == "agents")
        for path in PIPELINE.rglob("*.py")
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}
