"""Extraction benchmark: `wirefeed process` against plain trafilatura, same pages, same run.

Sets scored (each skipped when absent):

* ``aeb-dev``: ../shared/data/aeb-dev (88 HTML pages and their true article bodies);
* ``seeds``: the five seed text dumps as text/plain, truth = lines labelled body/subheading
  in tests/fixtures/wire/seed_labels.json;
* ``sample``: sample/pages/*.html (the seeds as an outlet would serve them), same truth;
* ``fixtures``: tests/fixtures/wire/pages (HTML and text, several site templates), truth in
  tests/fixtures/wire/labels.json, with the share of injected boilerplate strings that survive.

Metric (the design brief's): per page, 4-gram shingles of ``\\w+`` tokens in truth and
prediction; TP/FP/FN normalised per page to sum 1; precision and recall are means over
pages; F1 from the two means.

Speed: wall time of a whole ``wirefeed process`` run over the aeb pages (start-up
included) against a fresh interpreter that imports trafilatura and runs
``trafilatura.extract`` with default settings on the same pages.

    PYTHONPATH=$PWD /work/main/.venv/bin/python bench/extraction.py [--sets aeb,seeds,sample,fixtures]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AEB = ROOT.parent.parent / "shared" / "data" / "aeb-dev"
if not AEB.exists():
    AEB = Path("/work/shared/data/aeb-dev")
SEEDS = Path("/work/shared/seeds")
WIRE = ROOT / "tests" / "fixtures" / "wire"
SAMPLE = ROOT / "sample"
_TOKEN = re.compile(r"\w+")

TRAFILATURA_LOOP = """
import json, sys, time
import trafilatura
kwargs = json.loads(sys.argv[2])
out = {}
for line in open(sys.argv[1], encoding="utf-8"):
    page = json.loads(line)
    out[page["url"]] = trafilatura.extract(page["content"], **kwargs) or ""
json.dump(out, open(sys.argv[3], "w"))
"""


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(truth: str, pred: str) -> tuple[float, float]:
    """(precision, recall) of one page."""
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp, fn = sum(p.values()) - tp, sum(t.values()) - tp
    if tp + fp + fn == 0:
        return 1.0, 1.0
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def score(truths: dict[str, str], preds: dict[str, str]) -> tuple[float, float, float]:
    """(F1, precision, recall) over pages, as in the design brief."""
    pairs = [page_scores(truth, preds.get(key, "")) for key, truth in truths.items()]
    precision = sum(p for p, _ in pairs) / len(pairs)
    recall = sum(r for _, r in pairs) / len(pairs)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def run_process(pages: list[dict], workdir: Path) -> tuple[dict[str, str], float]:
    """Bodies by URL from one whole `wirefeed process` run, and its wall time."""
    src, out, dlq = workdir / "in.jsonl", workdir / "out.jsonl", workdir / "dlq.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
    cmd = [sys.executable, "-m", "pipeline.cli", "process", "-q", "--input", str(src), "--output", str(out)]
    start = time.perf_counter()
    # same environment as the reference run
    subprocess.run([*cmd, "--dlq", str(dlq)], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    elapsed = time.perf_counter() - start
    bodies = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        bodies[article["url"]] = article["body"]
    return bodies, elapsed


def run_trafilatura(pages: list[dict], workdir: Path, **kwargs: object) -> tuple[dict[str, str], float]:
    """trafilatura.extract over the HTML pages in a fresh interpreter, and its wall time."""
    src, out = workdir / "traf_in.jsonl", workdir / "traf_out.json"
    src.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", TRAFILATURA_LOOP, str(src), json.dumps(kwargs), str(out)], check=True
    )
    elapsed = time.perf_counter() - start
    return json.loads(out.read_text()), elapsed


# --- page sets -----------------------------------------------------------------------------
def aeb_set() -> tuple[list[dict], dict[str, str]]:
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    pages, truths = [], {}
    for key, item in sorted(truth.items()):
        with gzip.open(AEB / "html" / f"{key}.html.gz") as handle:
            raw = handle.read()
        url = item.get("url") or f"https://aeb.invalid/{key}"
        pages.append(
            {"url": url, "content": raw.decode("utf-8", errors="replace"), "content_type": "text/html"}
        )
        truths[url] = item["articleBody"]
    return pages, truths


def _seed_truth(labels: dict) -> str:
    return "\n".join(line["text"] for line in labels["lines"] if line["label"] in ("body", "subheading"))


def seed_set() -> tuple[list[dict], dict[str, str], list[str]]:
    labels = json.loads((WIRE / "seed_labels.json").read_text(encoding="utf-8"))
    pages, truths, junk = [], {}, []
    for seed, lab in labels.items():
        url = f"https://seeds.invalid/{seed}"
        content = (SEEDS / f"{seed}.txt").read_text(encoding="utf-8")
        pages.append(
            {"url": url, "content": content, "content_type": "text/plain", "source": "seeds-" + seed}
        )
        truths[url] = _seed_truth(lab)
        junk += [line["text"] for line in lab["lines"] if line["label"] == "boilerplate"]
    return pages, truths, junk


def sample_set() -> tuple[list[dict], dict[str, str], list[str]]:
    labels = json.loads((WIRE / "seed_labels.json").read_text(encoding="utf-8"))
    manifest = json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))
    pages, truths, junk = [], {}, []
    for entry in manifest:
        url = f"https://sample.invalid/{entry['file']}"
        content = (SAMPLE / "pages" / entry["file"]).read_text(encoding="utf-8")
        pages.append({"url": url, "content": content, "content_type": "text/html", "source": entry["source"]})
        truths[url] = _seed_truth(labels[entry["seed"]])
        junk += [line["text"] for line in labels[entry["seed"]]["lines"] if line["label"] == "boilerplate"]
    return pages, truths, junk


def fixture_set() -> tuple[list[dict], dict[str, str], list[str]]:
    labels = json.loads((WIRE / "labels.json").read_text(encoding="utf-8"))
    pages, truths, junk = [], {}, []
    for item in labels:
        content = (WIRE / "pages" / item["file"]).read_text(encoding="utf-8")
        pages.append(
            {
                "url": item["url"],
                "content": content,
                "content_type": item["content_type"],
                "source": item["source"],
            }
        )
        truths[item["url"]] = item["body"]
        junk += item["boilerplate"]
    return pages, truths, junk


def surviving(junk: list[str], preds: dict[str, str]) -> float:
    """Share of boilerplate strings still found as a whole line in some output body."""
    lines = {
        " ".join(_TOKEN.findall(line)).casefold() for body in preds.values() for line in body.split("\n")
    }
    flat = [" ".join(_TOKEN.findall(j)).casefold() for j in junk]
    flat = [j for j in flat if j]
    return sum(j in lines for j in flat) / len(flat) if flat else 0.0


def _row(name: str, figures: tuple[float, float, float], extra: str = "") -> str:
    f1, p, r = figures
    return f"  {name:<28} F1 {f1:.4f}  P {p:.4f}  R {r:.4f}  {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="aeb,seeds,sample,fixtures")
    parser.add_argument("--repeat", type=int, default=3,
                        help="whole runs of each, alternating, for the speed ratio (median)")
    args = parser.parse_args()
    wanted = set(args.sets.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "aeb" in wanted and AEB.exists():
            pages, truths = aeb_set()
            # alternate whole runs and take medians: one run each swings by +-30% on a shared machine
            t_ours_runs, t_base_runs = [], []
            for _ in range(max(1, args.repeat)):
                ours, t = run_process(pages, workdir)
                t_ours_runs.append(t)
                base, t = run_trafilatura(pages, workdir)
                t_base_runs.append(t)
            t_ours, t_base = statistics.median(t_ours_runs), statistics.median(t_base_runs)
            prec, _ = run_trafilatura(pages, workdir, favor_precision=True)
            print(f"aeb-dev ({len(pages)} HTML pages; speed: median of {len(t_ours_runs)} alternating whole runs)")
            print(
                _row(
                    "wirefeed process", score(truths, ours), f"{len(pages) / t_ours:6.1f} pages/s (whole run)"
                )
            )
            print(
                _row(
                    "trafilatura default",
                    score(truths, base),
                    f"{len(pages) / t_base:6.1f} pages/s (whole run)",
                )
            )
            print(_row("trafilatura favor_precision", score(truths, prec)))
            print(f"  speed ratio process/trafilatura: {t_base / t_ours:.2f}x")
        sets: dict[str, Callable[[], tuple[list[dict], dict[str, str], list[str]]]] = {
            "seeds": seed_set,
            "sample": sample_set,
            "fixtures": fixture_set,
        }
        for name, load in sets.items():
            if name not in wanted:
                continue
            try:
                pages, truths, junk = load()
            except FileNotFoundError as exc:
                print(f"{name}: skipped ({exc})")
                continue
            ours, t_ours = run_process(pages, workdir)
            print(f"{name} ({len(pages)} pages)")
            print(
                _row(
                    "wirefeed process",
                    score(truths, ours),
                    f"boilerplate surviving {surviving(junk, ours):.1%}",
                )
            )
            html = [p for p in pages if p["content_type"] == "text/html"]
            if html:
                base, _ = run_trafilatura(html, workdir)
                keys = {p["url"] for p in html}
                print(_row(f"  html only ({len(html)})", score({k: truths[k] for k in keys}, ours)))
                print(
                    _row(
                        "  trafilatura default, html",
                        score({k: truths[k] for k in keys}, base),
                        f"boilerplate surviving {surviving(junk, base):.1%}",
                    )
                )


if __name__ == "__main__":
    main()
