"""The docs point at files that exist: a path named in README.md or docs/ is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

DOCS = sorted([REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md")])
# a repository path: a top-level folder, then a file with an extension or a folder ending in "/"
PATH = re.compile(r"(?<![\w./-])((?:pipeline|agents|schemas|tests|bench|deploy|docs|sample|\.ci)/[\w./*-]*?(?:\.\w+|/))"
                  r"(?![\w/-]|\.\w)")


def named_paths(text: str) -> list[str]:
    return [m.group(1) for m in PATH.finditer(text)]


def test_the_scan_finds_files_and_folders_but_not_rates() -> None:
    text = "see `pipeline/dedupe.py` and pipeline/dedupe/ (bench/x.py, 460 docs/s), schemas/a.schema.json."
    assert named_paths(text) == ["pipeline/dedupe.py", "pipeline/dedupe/", "bench/x.py", "schemas/a.schema.json"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    missing = sorted({
        path for path in named_paths(doc.read_text(encoding="utf-8"))
        if not (list(REPO_ROOT.glob(path)) if "*" in path else (REPO_ROOT / path).exists())
    })
    assert missing == []
