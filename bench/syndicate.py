"""Build a labelled syndication stream from real article bodies (the dedupe dev loop's input).

Every group is one original and its copies, as outlets republish wire copy: trimmed to
two thirds, re-wrapped (quotes, dashes, whitespace, line breaks), edited (~3% of words),
paragraphs merged, a dateline added, an editor's note or a local paragraph appended,
or a mix of two. Decoys are other articles that quote two paragraphs of an original:
they are their own group. When the stream needs more originals than there are bodies,
new ones are made by replacing half the words of a real body (shape kept, text new).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipeline.ids import content_hash
from schemas import Article

DATELINES = ["WASHINGTON (AP) — ", "LONDON (Reuters) - ", "PARIS, June 3 (AFP) – ", "SEOUL, South Korea: ",
             "NEW YORK — ", "MOSCOW (Sputnik) - ", "BERLIN (dpa) — "]  # fmt: skip
NOTES = [
    "Editor's note: This story has been updated with additional reporting.",
    "This article was originally published by a partner agency and is republished with permission.",
    "Correction: An earlier version of this story misstated a figure. It has been corrected.",
    "Staff writers contributed to this report from the regional desk.",
]


@dataclass
class Item:
    article: Article
    group: int  # the truth: copies share the group of their original
    kind: str  # "original", "decoy" or the transformations of a copy, joined by "+"


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.split("\n") if p.strip()]


def trim(paras: list[str], rng: random.Random) -> list[str]:
    """Keep the first two thirds of the words, cut at a word boundary."""
    words = " ".join(paras).split(" ")
    keep = max(1, round(len(words) * 2 / 3))
    out, count = [], 0
    for para in paras:
        tokens = para.split(" ")
        if count + len(tokens) > keep:
            if keep - count > 0:
                out.append(" ".join(tokens[: keep - count]))
            break
        out.append(para)
        count += len(tokens)
    return out


def rewrap(paras: list[str], rng: random.Random) -> list[str]:
    """Typography and layout only: quotes, dashes, spacing, line breaks."""
    swaps = [("\u201c", '"'), ("\u201d", '"'), ("\u2019", "'"), ('"', "\u201c"), (" - ", " \u2014 "),
             ("\u2014", "--"), ("'", "\u2019")]  # fmt: skip
    out = []
    for para in paras:
        for old, new in rng.sample(swaps, 3):
            para = para.replace(old, new)
        para = re.sub(r" ", lambda m: "  " if rng.random() < 0.05 else " ", para)
        if rng.random() < 0.3 and len(para) > 80:  # a hard line break in the middle
            cut = para.find(" ", len(para) // 2)
            if cut > 0:
                out.extend([para[:cut], para[cut + 1 :]])
                continue
        out.append(para)
    return out


def edit(paras: list[str], rng: random.Random, vocabulary: list[str]) -> list[str]:
    """~3% of words replaced, dropped or inserted."""
    out = []
    for para in paras:
        words = []
        for word in para.split(" "):
            roll = rng.random()
            if roll < 0.01:
                continue
            if roll < 0.02:
                words.append(rng.choice(vocabulary))
            elif roll < 0.03:
                words.extend([word, rng.choice(vocabulary)])
                continue
            else:
                words.append(word)
        out.append(" ".join(words))
    return out


def merge(paras: list[str], rng: random.Random) -> list[str]:
    out, index = [], 0
    while index < len(paras):
        if index + 1 < len(paras) and rng.random() < 0.6:
            out.append(paras[index] + " " + paras[index + 1])
            index += 2
        else:
            out.append(paras[index])
            index += 1
    return out


def dateline(paras: list[str], rng: random.Random) -> list[str]:
    return [rng.choice(DATELINES) + paras[0], *paras[1:]] if paras else paras


def extend(paras: list[str], rng: random.Random, local: list[str]) -> list[str]:
    extra = rng.choice(NOTES) if rng.random() < 0.5 else rng.choice(local)
    return [*paras, extra] if rng.random() < 0.7 else [extra, *paras]


def remix(paras: list[str], rng: random.Random, vocabulary: list[str]) -> list[str]:
    """A new original with the shape of a real one: half its words replaced."""
    return [
        " ".join(w if rng.random() < 0.5 else rng.choice(vocabulary) for w in p.split(" ")) for p in paras
    ]


def syndicate(
    bodies: list[str],
    count: int,
    seed: int = 7,
    copies: tuple[int, int] = (0, 4),
    decoy_rate: float = 0.3,
    start: datetime = datetime(2024, 6, 1, tzinfo=UTC),
    span_days: float = 20.0,
) -> list[Item]:
    """A stream of about ``count`` articles in arrival order, with the truth attached."""
    rng = random.Random(seed)
    pool = [paragraphs(b) for b in bodies if len(b.split()) >= 12]
    vocabulary = sorted({w for p in pool for para in p for w in para.split(" ") if w.isalpha()})
    # remixing swaps space-separated words, so only texts written with spaces can be remixed
    spaced = [p for p in pool if len(" ".join(p)) < 15 * len(" ".join(p).split())]
    local = [para for p in pool for para in p if 15 <= len(para.split()) <= 60]
    transforms: dict[str, Callable[[list[str]], list[str]]] = {
        "trim": lambda p: trim(p, rng),
        "rewrap": lambda p: rewrap(p, rng),
        "edit": lambda p: edit(p, rng, vocabulary),
        "merge": lambda p: merge(p, rng),
        "dateline": lambda p: dateline(p, rng),
        "extend": lambda p: extend(p, rng, local),
    }
    names = sorted(transforms)
    timed: list[tuple[float, int, list[str], int, str]] = []
    serial, group = 0, 0
    used = 0
    while serial < count:
        if used < len(pool):
            base = pool[used]
            used += 1
        else:
            base = remix(rng.choice(spaced), rng, vocabulary)
        t0 = rng.random() * span_days * 86_400
        timed.append((t0, serial, base, group, "original"))
        serial += 1
        for _ in range(rng.randint(*copies)):
            kinds = rng.sample(names, rng.choice((1, 1, 2)))
            paras = base
            for kind in kinds:
                paras = transforms[kind](paras)
            # most copies follow within hours; some run ahead of the original
            delay = rng.expovariate(1 / 10_800) * (1 if rng.random() < 0.9 else -0.2)
            timed.append((t0 + delay, serial, paras, group, "+".join(sorted(kinds))))
            serial += 1
        group += 1
        if rng.random() < decoy_rate and len(base) >= 3:
            at = rng.randrange(len(base) - 1)
            own = remix(rng.choice(spaced), rng, vocabulary)
            quoted = [f"\u201c{base[at]}\u201d", f"\u201c{base[at + 1]}\u201d"]
            cut = rng.randrange(len(own) + 1)
            timed.append(
                (t0 + rng.random() * 86_400, serial, [*own[:cut], *quoted, *own[cut:]], group, "decoy")
            )
            serial += 1
            group += 1
    timed.sort(key=lambda x: (x[0], x[1]))
    items = []
    for seconds, number, paras, truth, kind in timed[:count]:
        body = "\n".join(paras)
        url = f"https://outlet{number % 97}.example/news/{number}"
        items.append(
            Item(
                Article(
                    id=f"{number:016x}",
                    url=url,
                    canonical_url=url,
                    title=None,
                    body=body,
                    fetched_at=start + timedelta(seconds=seconds),
                    content_hash=content_hash(body),
                ),
                truth,
                kind,
            )
        )
    return items


def pairs(groups: dict[str, object]) -> Iterator[tuple[str, str]]:
    """All unordered pairs of ids sharing a group label."""
    members: dict[object, list[str]] = {}
    for article_id, label in groups.items():
        members.setdefault(label, []).append(article_id)
    for ids in members.values():
        ids.sort()
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                yield a, b
