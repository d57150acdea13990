"""Extraction benchmark: wirefeed's extract stage against its peers, same pages, one run.

Page sets (each skipped when absent under ``--data``):

* ``page-signal``, ``dragnet``, ``cleanportal``, ``readability``: the development halves in
  ``<data>/extract-dev`` (README there has the gold conventions). ``pooled`` is the first
  three as one set; readability's gold is Readability.js output and is reported apart;
* ``aeb``: ``<data>/aeb-dev`` (the article-extraction benchmark's development half);
* ``seeds``, ``sample``, ``fixtures``: the seed dumps as text/plain, the demo's sample pages,
  and tests/fixtures/wire; these also report the share of labelled boilerplate lines that
  survive as a whole output line.

Systems: ``wirefeed`` (parse + extract, the CPU-heavy half of ``wirefeed process``, on the
code in this tree), ``trafilatura`` (``trafilatura.extract`` defaults), ``traf_precision``
(``favor_precision=True``), ``readability`` (readability-lxml's ``summary()`` as text) and
``rs_trafilatura`` (the Rust port's ``extract``) when those are installed.

Metric (the design brief's): per page, 4-gram shingles of ``\\w+`` tokens in truth and
prediction; TP/FP/FN normalised per page; precision is the mean over pages with output,
recall the mean over all pages (empty output: recall 0); F1 from the two means.

Cost: each system runs over the same pages in a fresh child interpreter, every run; its CPU
seconds (user + system, imports and start-up included) are divided by its page count and
printed beside its F1 with the ratio to trafilatura default's on the same set (``xtraf``).
On a shared machine one run's ratios move with the load: ``--speed N`` alternates wirefeed
and trafilatura default N times and prints the median ratio. Peers' outputs are also kept
under ``--cache`` (keyed by package version); ``--cached`` reuses them to iterate on the
cleaner quickly, and then prints no CPU for the peers it did not run. ``--limit N`` scores a
fixed subset of each set (by hash of the page id) while iterating; ``--by-rule`` prints each
cleaner rule's net F1 effect per set (the F1 with that rule's cuts put back, against the F1
with everything on).

    .venv/bin/python bench/extraction.py                    # every set, every system, timed
    .venv/bin/python bench/extraction.py --cached --by-rule # peers' outputs from earlier runs
    .venv/bin/python bench/extraction.py --sets aeb --by-rule
    .venv/bin/python bench/extraction.py --limit 60 --worst 15
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"  # a worktree's ../shared, as HELPERS.md lays it out
SEEDS = ROOT / "tests" / "fixtures" / "dedupe" / "seeds"  # the repo's copy of ../shared/seeds
WIRE = ROOT / "tests" / "fixtures" / "wire"
SAMPLE = ROOT / "sample"
CACHE = Path(tempfile.gettempdir()) / "wt-extract-cache"
_TOKEN = re.compile(r"\w+")
EXTRACT_DEV = {  # short name -> directory in extract-dev
    "page-signal": "page-signal-master",
    "dragnet": "dragnet_data",
    "cleanportal": "CleanPortalEval-master",
    "readability": "readability",
}
POOLED = ("page-signal", "dragnet", "cleanportal")
ALL_SETS = (*EXTRACT_DEV, "aeb", "seeds", "sample", "fixtures")
PEERS = {  # system -> the distribution whose version keys its cache
    "trafilatura": "trafilatura",
    "traf_precision": "trafilatura",
    "readability": "readability-lxml",
    "rs_trafilatura": "rs-trafilatura",
}
_CANONICAL = re.compile(
    r"<link[^>]+rel=[\"']?canonical[\"']?[^>]*href=[\"']?(https?://[^\"' >]+)"
    r"|<meta[^>]+property=[\"']og:url[\"'][^>]*content=[\"'](https?://[^\"' >]+)",
    re.IGNORECASE,
)


# --- the metric ------------------------------------------------------------------------------
def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(truth: str, pred: str) -> tuple[float | None, float]:
    """(precision, recall) of one page; precision is None when the prediction is empty."""
    t, p = shingles(truth), shingles(pred)
    if not p:
        return None, (1.0 if not t else 0.0)
    tp = sum((t & p).values())
    fp, fn = sum(p.values()) - tp, sum(t.values()) - tp
    return tp / (tp + fp), (tp / (tp + fn) if tp + fn else 1.0)


def page_f1(truth: str, pred: str) -> float:
    p, r = page_scores(truth, pred)
    return 2 * p * r / (p + r) if p and r else 0.0


def score(truths: dict[str, str], preds: dict[str, str]) -> tuple[float, float, float]:
    """(F1, precision, recall) over the pages of ``truths``, as in the design brief."""
    pairs = [page_scores(truth, preds.get(key, "")) for key, truth in truths.items()]
    if not pairs:
        return 0.0, 0.0, 0.0
    precisions = [p for p, _ in pairs if p is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(r for _, r in pairs) / len(pairs)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


# --- page sets -----------------------------------------------------------------------------
@dataclass
class PageSet:
    name: str
    pages: dict[str, dict] = field(default_factory=dict)  # page id -> RawPage dict
    truths: dict[str, str] = field(default_factory=dict)
    junk: list[str] = field(default_factory=list)  # labelled boilerplate lines, when known


def _page_url(set_name: str, key: str, html: str) -> str:
    """The page's own canonical URL when it states one (so a site's pages share a source, as in
    the stream), else a URL of its own."""
    match = _CANONICAL.search(html[:100_000])
    if match:
        return match.group(1) or match.group(2)
    return f"https://{set_name}.invalid/{key}"


def _gold_set(name: str, folder: Path) -> PageSet:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    out = PageSet(name)
    for key, item in sorted(truth.items()):
        with gzip.open(folder / "html" / f"{key}.html.gz") as handle:
            html = handle.read().decode("utf-8", errors="replace")
        url = item.get("url") or _page_url(name, key, html)
        out.pages[key] = {"url": url, "content": html, "content_type": "text/html"}
        out.truths[key] = item["articleBody"]
    return out


def _seed_truth(labels: dict) -> str:
    return "\n".join(line["text"] for line in labels["lines"] if line["label"] in ("body", "subheading"))


def _seeds() -> PageSet:
    labels = json.loads((WIRE / "seed_labels.json").read_text(encoding="utf-8"))
    out = PageSet("seeds")
    for seed, lab in labels.items():
        content = (SEEDS / f"{seed}.txt").read_text(encoding="utf-8")
        out.pages[seed] = {
            "url": f"https://seeds.invalid/{seed}",
            "content": content,
            "content_type": "text/plain",
            "source": "seeds-" + seed,
        }
        out.truths[seed] = _seed_truth(lab)
        out.junk += [line["text"] for line in lab["lines"] if line["label"] == "boilerplate"]
    return out


def _sample() -> PageSet:
    labels = json.loads((WIRE / "seed_labels.json").read_text(encoding="utf-8"))
    manifest = json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))
    out = PageSet("sample")
    for entry in manifest:
        key = entry["file"]
        out.pages[key] = {
            "url": f"https://sample.invalid/{key}",
            "content": (SAMPLE / "pages" / key).read_text(encoding="utf-8"),
            "content_type": "text/html",
            "source": entry["source"],
        }
        out.truths[key] = _seed_truth(labels[entry["seed"]])
        out.junk += [line["text"] for line in labels[entry["seed"]]["lines"] if line["label"] == "boilerplate"]
    return out


def _fixtures() -> PageSet:
    out = PageSet("fixtures")
    for item in json.loads((WIRE / "labels.json").read_text(encoding="utf-8")):
        key = item["file"]
        out.pages[key] = {
            "url": item["url"],
            "content": (WIRE / "pages" / key).read_text(encoding="utf-8"),
            "content_type": item["content_type"],
            "source": item["source"],
        }
        out.truths[key] = item["body"]
        out.junk += item["boilerplate"]
    return out


def load_set(name: str, data: Path) -> PageSet | None:
    try:
        if name in EXTRACT_DEV:
            folder = data / "extract-dev" / EXTRACT_DEV[name]
            return _gold_set(name, folder) if folder.exists() else None
        if name == "aeb":
            return _gold_set("aeb", data / "aeb-dev") if (data / "aeb-dev").exists() else None
        return {"seeds": _seeds, "sample": _sample, "fixtures": _fixtures}[name]()
    except FileNotFoundError:
        return None


def subset(pages: PageSet, limit: int | None) -> PageSet:
    """A fixed part of the set (the ``limit`` ids with the smallest hash): same pages every run."""
    if not limit or limit >= len(pages.pages):
        return pages
    keep = sorted(pages.pages, key=lambda k: hashlib.sha1(k.encode()).hexdigest())[:limit]
    return PageSet(
        pages.name,
        {k: pages.pages[k] for k in sorted(keep)},
        {k: pages.truths[k] for k in sorted(keep)},
        pages.junk,
    )


# --- children: one fresh interpreter per system and set -------------------------------------------
def _html_text(fragment: str) -> str:
    """HTML turned into text as the extract-dev gold was: a line break at block boundaries."""
    from lxml.html import fromstring

    blocks = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
        "table", "blockquote", "pre", "section", "article", "dd", "dt", "dl", "figure", "figcaption",
    }  # fmt: skip
    skip = {"script", "style", "noscript", "iframe", "head", "template"}
    try:
        root = fromstring(fragment)
    except Exception:
        return ""
    parts: list[str] = []

    def walk(el) -> None:  # noqa: ANN001 - lxml element
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in skip:
            if el.tail:
                parts.append(el.tail)
            return
        if tag in blocks:
            parts.append("\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if tag in blocks:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _child_wirefeed(pages: list[dict]) -> dict[str, dict]:
    from pipeline.extract import Extractor
    from pipeline.parse import parse_raw_page

    extractor = Extractor()
    out: dict[str, dict] = {}
    for page in pages:
        key = page.pop("_key")
        try:
            result = extractor.extract(parse_raw_page(json.dumps(page), 50_000_000))
        except Exception as exc:  # a dead letter: empty output
            out[key] = {"body": "", "blocks": [], "error": str(exc)[:200]}
            continue
        out[key] = {
            "body": result.body,
            "blocks": [[b.text, b.rule] for b in result.blocks],
            "base": result.base,
        }
    return out


def _child_peer(system: str, pages: list[dict]) -> dict[str, dict]:
    if system in ("trafilatura", "traf_precision"):
        import trafilatura

        kwargs = {"favor_precision": True} if system == "traf_precision" else {}

        def run(html: str) -> str:
            return trafilatura.extract(html, **kwargs) or ""
    elif system == "readability":
        from readability import Document

        def run(html: str) -> str:
            return _html_text(Document(html).summary(html_partial=True))
    elif system == "rs_trafilatura":
        import rs_trafilatura

        def run(html: str) -> str:
            return rs_trafilatura.extract(html).main_content or ""
    else:
        raise SystemExit(f"unknown system {system}")
    out = {}
    for page in pages:
        try:
            text = run(page["content"]) if page["content_type"] == "text/html" else page["content"]
        except Exception:  # a peer that crashes on a page scores it empty
            text = ""
        out[page["_key"]] = {"body": text}
    return out


def child_main(system: str, src: str, dst: str) -> None:
    pages = [json.loads(line) for line in Path(src).read_text(encoding="utf-8").splitlines()]
    out = _child_wirefeed(pages) if system == "wirefeed" else _child_peer(system, pages)
    Path(dst).write_text(json.dumps(out), encoding="utf-8")


def run_child(system: str, pages: dict[str, dict]) -> tuple[dict[str, dict], float]:
    """Outputs by page id and the child's CPU seconds (user + system, start-up included)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.json"
        src.write_text("".join(json.dumps({**p, "_key": k}) + "\n" for k, p in pages.items()), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-P", __file__, "--child", system, str(src), str(dst)],
            check=True,
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"},
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return json.loads(dst.read_text(encoding="utf-8")), cpu


def installed(system: str) -> str | None:
    """The version of the package behind a peer, or None when it is not installed."""
    try:
        return metadata.version(PEERS[system])
    except metadata.PackageNotFoundError:
        return None


def peer_outputs(system: str, pages: PageSet, cache: Path, reuse: bool) -> tuple[dict[str, str], float | None]:
    """A peer's texts and its CPU seconds per page, both from a fresh run over the set's pages.

    With ``reuse``, texts kept from earlier runs are taken instead and only the pages missing
    from the cache are run; the CPU is then None (a part of the set, or nothing, was timed).
    """
    version = installed(system)
    path = cache / f"{system}-{version}-{pages.name}.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    stored = {"texts": {}, "cpu": 0.0, "pages": 0, **stored}  # cpu/pages: the pages' summed CPU, kept
    todo = {k: p for k, p in pages.pages.items() if k not in stored["texts"]} if reuse else pages.pages
    seconds = None
    if todo:
        out, cpu = run_child(system, todo)
        if not reuse:  # every page run again: the stored CPU becomes this run's
            stored["cpu"], stored["pages"] = 0.0, 0
        stored["texts"].update({k: v["body"] for k, v in out.items()})
        stored["cpu"] += cpu
        stored["pages"] += len(todo)
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored))
        if len(todo) == len(pages.pages):
            seconds = cpu / len(todo)
    return {k: stored["texts"][k] for k in pages.pages}, seconds


# --- reporting -----------------------------------------------------------------------------
def surviving(junk: list[str], preds: dict[str, str]) -> float:
    """Share of boilerplate strings still found as a whole line in some output body."""
    lines = {" ".join(_TOKEN.findall(line)).casefold() for body in preds.values() for line in body.split("\n")}
    flat = [j for j in (" ".join(_TOKEN.findall(j)).casefold() for j in junk) if j]
    return sum(j in lines for j in flat) / len(flat) if flat else 0.0


def body_without(blocks: list[list], rules: set[str]) -> str:
    """The body with the cuts of ``rules`` put back (the rule switched off, all else equal)."""
    return "\n".join(text for text, rule in blocks if rule is None or rule in rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding extract-dev/ and aeb-dev/")
    parser.add_argument("--sets", default=",".join(ALL_SETS))
    parser.add_argument("--systems", default="wirefeed," + ",".join(PEERS))
    parser.add_argument("--limit", type=int, default=None, help="score a fixed subset of N pages per set")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where peers' outputs are kept")
    parser.add_argument("--cached", action="store_true",
                        help="reuse peers' outputs from --cache (fast; no CPU figures for peers not run)")
    parser.add_argument("--by-rule", action="store_true", help="net F1 effect of each cleaner rule, per set")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where wirefeed trails most")
    parser.add_argument("--dump", type=Path, default=None, help="write every output and page F1 as JSON here")
    parser.add_argument("--speed", type=int, default=0, metavar="N",
                        help="N alternating runs of wirefeed and trafilatura default over the same HTML pages "
                             "(every set, fresh, not cached): median CPU ratio, robust to a shared machine's load")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
    systems = [s for s in args.systems.split(",") if s]
    for s in [s for s in systems if s in PEERS and installed(s) is None]:
        print(f"{s}: not installed ({PEERS[s]}), skipped")
        systems.remove(s)
    sets = [s for s in ALL_SETS if s in args.sets.split(",")]
    truths: dict[str, dict[str, str]] = {}
    preds: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)  # system -> set -> id -> text
    cpu: dict[str, dict[str, float | None]] = defaultdict(dict)  # system -> set -> seconds per page
    blocks: dict[str, dict[str, list]] = {}
    bases: dict[str, dict[str, str]] = {}
    junk: dict[str, list[str]] = {}
    for name in sets:
        loaded = load_set(name, args.data)
        if loaded is None:
            print(f"{name}: not found under {args.data}, skipped")
            continue
        pages = subset(loaded, args.limit)
        truths[name], junk[name] = pages.truths, pages.junk
        for system in systems:
            if system == "wirefeed":
                out, seconds = run_child("wirefeed", pages.pages)
                preds[system][name] = {k: v["body"] for k, v in out.items()}
                blocks[name] = {k: v["blocks"] for k, v in out.items()}
                bases[name] = {k: v.get("base", "") for k, v in out.items()}
                cpu[system][name] = seconds / len(pages.pages)
            elif name in ("seeds",):
                continue  # text dumps: peers extract HTML
            else:
                preds[system][name], cpu[system][name] = peer_outputs(system, pages, args.cache, args.cached)
    groups = [s for s in sets if s in truths]
    if all(s in truths for s in POOLED):
        groups.insert(groups.index("cleanportal") + 1, "pooled")

    def group(system: str, name: str) -> tuple[dict[str, str], dict[str, str], float | None]:
        """(truths, predictions, CPU per page) of a set or of the pooled three, keys made unique."""
        members = POOLED if name == "pooled" else (name,)
        t = {f"{m}/{k}": v for m in members for k, v in truths[m].items()}
        p = {f"{m}/{k}": v for m in members for k, v in preds[system].get(m, {}).items()}
        n = sum(len(truths[m]) for m in members)
        seconds = [cpu[system].get(m) for m in members]
        c = None if None in seconds else sum(s * len(truths[m]) for s, m in zip(seconds, members, strict=True)) / n
        return t, p, c

    width = 33
    print(f"\n{'set':<13}{'pages':>6}  " + "  ".join(f"{s:>{width}}" for s in systems))
    print(f"{'':<13}{'':>6}  " + "  ".join(f"{'F1    P     R    cpu s/pg xtraf':>{width}}" for s in systems))
    for name in groups:
        n = len(group(systems[0], name)[0])
        cells = []
        for system in systems:
            if name not in preds[system] and name != "pooled":
                cells.append(f"{'-':>{width}}")
                continue
            t, p, c = group(system, name)
            f1, prec, rec = score(t, p)
            base = group("trafilatura", name)[2]  # None where trafilatura default was not run (timed)
            ratio = f"{c / base:5.2f}x" if c and base else f"{'-':>6}"
            seconds = f"{c:7.4f}" if c is not None else f"{'-':>7}"
            cells.append(f"{f1:.3f} {prec:.3f} {rec:.3f} {seconds} {ratio}")
        print(f"{name:<13}{n:>6}  " + "  ".join(f"{c:>{width}}" for c in cells))
    if "wirefeed" in systems:
        for name in groups:
            if junk.get(name):
                print(f"{name}: boilerplate lines surviving in wirefeed's output "
                      f"{surviving(junk[name], preds['wirefeed'][name]):.1%}")
        _empty_report(systems, groups, truths, preds)
        if args.by_rule:
            _by_rule(groups, truths, blocks)
        _base_report(groups, truths, preds, bases)
        if args.worst:
            _worst(args.worst, systems, groups, truths, preds, bases)
    if args.speed:
        _speed(args.speed, sets, args.data, args.limit)
    if args.dump:
        args.dump.write_text(json.dumps({"truths": truths, "preds": preds, "blocks": blocks, "bases": bases}))


def _speed(repeat: int, sets: list[str], data: Path, limit: int | None) -> None:
    """CPU per page of wirefeed and of trafilatura default, measured in alternation."""
    pages: dict[str, dict] = {}
    for name in sets:
        loaded = load_set(name, data)
        if loaded is not None:
            part = subset(loaded, limit)
            pages.update({f"{name}/{k}": p for k, p in part.pages.items() if p["content_type"] == "text/html"})
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(run_child("wirefeed", pages)[1] / len(pages))
        theirs.append(run_child("trafilatura", pages)[1] / len(pages))
    ratios = sorted(a / b for a, b in zip(ours, theirs, strict=True))
    print(f"\nspeed ({len(pages)} HTML pages, {repeat} alternating runs): wirefeed "
          f"{statistics.median(ours):.4f} s/page, trafilatura default {statistics.median(theirs):.4f} s/page, "
          f"ratio median {statistics.median(ratios):.2f}x (runs: {', '.join(f'{r:.2f}' for r in ratios)})")


def _empty_report(systems: list[str], groups: list[str], truths: dict, preds: dict) -> None:
    """Pages where wirefeed gave nothing although a peer scored at least 0.8 on them."""
    bad = []
    for name in groups:
        if name == "pooled":
            continue
        for key, truth in truths[name].items():
            if preds["wirefeed"][name].get(key):
                continue
            best = max((page_f1(truth, preds[s][name].get(key, "")) for s in systems
                        if s != "wirefeed" and name in preds[s]), default=0.0)
            if best >= 0.8:
                bad.append(f"{name}/{key} (best peer {best:.2f})")
    print(f"empty output where a peer scores >= 0.8: {len(bad)}" + (f": {', '.join(bad[:20])}" if bad else ""))


def _by_rule(groups: list[str], truths: dict, blocks: dict) -> None:
    """Each rule's net effect: F1 with everything on minus F1 with that rule's cuts put back."""
    rules = sorted({r for s in blocks.values() for bl in s.values() for _, r in bl if r and r != "empty"})
    names = [g for g in groups if g in blocks or g == "pooled"]
    print("\nnet F1 effect of each rule (positive: the rule pays; blocks cut in brackets)")
    print(f"{'rule':<16}" + "".join(f"{g:>20}" for g in names))
    # page scores with everything on, computed once; a rule changes only the pages it cut on
    base = {m: {k: page_scores(truths[m][k], body_without(b, set())) for k, b in blocks[m].items()} for m in blocks}

    def f1_with(name: str, rule: str) -> tuple[float, float, int]:
        members = POOLED if name == "pooled" else (name,)
        pairs_on, pairs_off, cut = [], [], 0
        for m in members:
            for k, b in blocks[m].items():
                n = sum(1 for _, r in b if r == rule)
                cut += n
                pairs_on.append(base[m][k])
                pairs_off.append(page_scores(truths[m][k], body_without(b, {rule})) if n else base[m][k])
        return _f1_of(pairs_on), _f1_of(pairs_off), cut

    for rule in rules:
        cells = []
        for g in names:
            on, off, cut = f1_with(g, rule)
            cells.append(f"{on - off:+.4f} ({cut})" if cut else "-")
        print(f"{rule:<16}" + "".join(f"{c:>20}" for c in cells))


def _f1_of(pairs: list[tuple[float | None, float]]) -> float:
    precisions = [p for p, _ in pairs if p is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(r for _, r in pairs) / len(pairs) if pairs else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _base_report(groups: list[str], truths: dict, preds: dict, bases: dict) -> None:
    counts: Counter[str] = Counter(b for s in bases.values() for b in s.values() if b)
    if counts:
        print("base extractor chosen: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))


def _worst(n: int, systems: list[str], groups: list[str], truths: dict, preds: dict, bases: dict) -> None:
    rows = []
    for name in groups:
        if name == "pooled":
            continue
        for key, truth in truths[name].items():
            ours = page_f1(truth, preds["wirefeed"][name].get(key, ""))
            peers = {s: page_f1(truth, preds[s][name].get(key, "")) for s in systems
                     if s != "wirefeed" and name in preds[s]}
            if peers:
                best = max(peers, key=peers.get)
                rows.append((peers[best] - ours, name, key, ours, best, peers[best], bases[name].get(key, "")))
    rows.sort(reverse=True)
    print(f"\npages where wirefeed trails the best peer most (of {len(rows)})")
    for gap, name, key, ours, best, theirs, base in rows[:n]:
        print(f"  {name}/{key}: wirefeed {ours:.2f} ({base}) vs {best} {theirs:.2f} (gap {gap:.2f})")


if __name__ == "__main__":
    main()
