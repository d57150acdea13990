"""Does ``wirefeed process`` give the same bytes at two revisions?

    python bench/process_identity.py [--base main] [--data ../shared/data] [--keep DIR]

Builds RawPage JSONL inputs (aeb-dev HTML pages when ``--data`` has them, the seeds
from their copies in ``tests/fixtures/dedupe/seeds``, the wire fixtures under
``tests/fixtures/wire/pages``, the whole bad-input corpus), runs ``process`` on each,
both the default two-process run and ``--serial``,
with this working tree and with ``--base`` checked out in a temporary git worktree,
and compares: articles byte for byte, dead letters byte for byte except ``received_at``
(the time the letter was written). Prints one line per input and mode; exits 1 when
anything differs. It is how refactors of the stage runner are shown not to change
any record (issue 10).

``--ignore-field NAME`` (repeatable) drops that key from both sides' articles before the
comparison, for a change that deliberately adds or changes a field (Article version 2:
``--ignore-field author --ignore-field site_name --ignore-field schema_version``); the rest of
each article is still compared key by key, in order.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FETCHED = datetime(2024, 6, 18, 10, 0, tzinfo=UTC).isoformat()


def _record(url: str, content: str, content_type: str, source: str) -> str:
    return json.dumps({"url": url, "content": content, "content_type": content_type,
                       "fetched_at": FETCHED, "source": source})


def build_inputs(data: Path, out: Path) -> list[Path]:
    """The input files (only those whose data is at hand)."""
    sets: dict[str, list[bytes]] = {}
    aeb = sorted((data / "aeb-dev" / "html").glob("*.html.gz"))
    if aeb:
        sets["aeb-dev"] = [_record(f"https://aeb.example/{p.name[:16]}", gzip.decompress(p.read_bytes()).decode(
            "utf-8", "replace"), "text/html", "aeb").encode() for p in aeb]
    # the seeds: the copies in tests/fixtures (the same five files as ../shared/seeds)
    seeds = sorted((ROOT / "tests" / "fixtures" / "dedupe" / "seeds").glob("*.txt"))
    if seeds:
        sets["seeds"] = [_record(f"https://seeds.example/{p.stem}", p.read_text(encoding="utf-8"), "text/plain",
                                 "seeds").encode() for p in seeds]
    wire = sorted((ROOT / "tests" / "fixtures" / "wire" / "pages").iterdir())
    sets["fixtures"] = [_record(f"https://fixtures.example/{p.name}", p.read_text(encoding="utf-8"),
                                "text/html" if p.suffix == ".html" else "text/plain", p.stem.split("_", 1)[-1]
                                ).encode() for p in wire]
    sys.path.insert(0, str(ROOT))
    from tests.bad_input_cases import CASES

    sets["bad-input"] = [case.build() for case in CASES]
    paths = []
    for name, lines in sets.items():
        path = out / f"{name}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        paths.append(path)
    return paths


# The CLI moved from pipeline/cli.py to agents/cli.py (issue 10): run whichever the revision has.
_CLI_MAIN = ("import sys\ntry:\n    from agents.cli import main\n"
             "except ImportError:\n    from pipeline.cli import main\nsys.exit(main())")


def run_process(tree: Path, source: Path, out: Path, serial: bool) -> tuple[bytes, list[dict]]:
    """``process`` from ``tree``'s sources (first on sys.path), in a clean environment."""
    articles, dlq = out.parent / f"{out.name}.articles", out.parent / f"{out.name}.dlq"
    command = [sys.executable, "-c", _CLI_MAIN, "process",
               "--input", str(source), "--output", str(articles), "--dlq", str(dlq), "--quiet"]
    if serial:
        command.append("--serial")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree), "HOME": str(Path.home())}
    subprocess.run(command, cwd=tree, env=env, check=True)
    letters = []
    for line in dlq.read_text(encoding="utf-8").splitlines():
        letter = json.loads(line)
        letter.pop("received_at", None)
        letters.append(letter)
    return articles.read_bytes(), letters


def without_fields(articles: bytes, fields: list[str]) -> bytes:
    """The articles (JSON lines) with ``fields`` removed, everything else as it was, in order."""
    if not fields:
        return articles
    lines = []
    for line in articles.splitlines():
        record = json.loads(line)
        for name in fields:
            record.pop(name, None)
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
    return b"\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this directory")
    parser.add_argument("--ignore-field", action="append", default=[], metavar="NAME",
                        help="an article field left out of the comparison (a deliberate change)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wirefeed-identity-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.base],
                       check=True)
        differ = 0
        try:
            for source in build_inputs(args.data, work):
                for serial in (False, True):
                    mode = "serial" if serial else "parallel"
                    before = run_process(base, source, work / f"{source.stem}.{mode}.base", serial)
                    after = run_process(ROOT, source, work / f"{source.stem}.{mode}.head", serial)
                    ignored = args.ignore_field
                    same = (without_fields(before[0], ignored), before[1]) == (without_fields(after[0], ignored),
                                                                                after[1])
                    differ += not same
                    print(f"{source.stem:10} {mode:8} lines={len(source.read_bytes().splitlines()):4} "
                          f"articles={len(after[0].splitlines()):4} dead_letters={len(after[1]):3} "
                          f"{'identical' if same else 'DIFFERENT'}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    but = f" but for {', '.join(args.ignore_field)}" if args.ignore_field else ""
    print(f"all identical{but}" if not differ else f"{differ} outputs differ from {args.base}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
