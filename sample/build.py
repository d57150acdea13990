"""Build sample/pages/*.html: each seed as its outlet would serve it, boilerplate where sites put it.

The seed's lines come from tests/fixtures/wire/seed_labels.json (body, subheading, title,
boilerplate); ``PLACES`` says where each boilerplate line sits on the page (photo figure,
inline insert, aside, ad slot, comment prompt, UI string, masthead). Re-run after changing:

    .venv/bin/python sample/build.py
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE.parent / "tests" / "fixtures" / "wire" / "seed_labels.json"

SITES = {
    "sputnik": {
        "name": "Sputnik International",
        "host": "sputnikglobe.example",
        "menu": ["World", "Russia", "Asia", "Africa", "Military", "Economy", "Analysis", "Multimedia"],
    },
    "sputnik-africa": {
        "name": "Sputnik Africa",
        "host": "sputnik-africa.example",
        "menu": ["Africa", "World", "Russia", "Economy", "Analysis", "Podcasts"],
    },
    "wire-daily": {
        "name": "Wire Daily",
        "host": "wiredaily.example",
        "menu": ["Home", "World", "Asia Pacific", "Business", "Opinion", "Video"],
    },
    "kyiv-courier": {
        "name": "Kyiv Courier",
        "host": "kyivcourier.example",
        "menu": ["Ukraine", "War", "Politics", "Business", "Opinion", "Newsletters"],
    },
}

# seed -> site, date, and for each boilerplate line index: (place, group)
SEEDS = {
    "000_c8db705708935079": (
        "sputnik-africa",
        "2024-06-18T09:12:00+00:00",
        {1: "figure-credit", 2: "figure-caption", 8: "insert-caption", 9: "insert-headline"},
    ),
    "001_7df2c242344af025": (
        "sputnik",
        "2024-06-18T05:40:00+00:00",
        {
            0: "kicker",
            3: "figure-credit",
            9: "insert-label",
            10: "insert-headline",
            16: "insert-label",
            17: "insert-headline",
            21: "insert-label",
            22: "insert-headline",
            23: "comments",
        },
    ),
    "002_be44535125b5f74a": (
        "wire-daily",
        "2024-06-18T11:00:00+00:00",
        {9: "aside-label", 10: "aside-item", 11: "aside-item", 12: "aside-item"},
    ),
    "003_34e285ebacf1266d": (
        "kyiv-courier",
        "2024-06-18T14:30:00+00:00",
        {
            5: "ad",
            11: "insert-headline-top",
            12: "insert-label",
            13: "insert-headline",
            14: "insert-teaser",
            17: "ad",
            25: "ad",
            30: "correction",
            31: "correction",
        },
    ),
    "004_a138e627ff4b5b74": (
        "sputnik",
        "2024-06-19T10:05:00+00:00",
        {
            0: "masthead",
            1: "tagline",
            3: "figure-credit",
            4: "figure-caption",
            21: "comments",
            22: "comments",
            23: "ui-string",
        },
    ),
}


# Where each place's line goes on the page: (the part of the page it joins, its HTML; ``{t}`` the
# escaped text, ``{i}`` the line's number, ``{place}`` the place).
PLACED: dict[str, tuple[str, str]] = {
    "kicker": ("head", '<a class="article__kicker" href="/russia/">{t}</a>'),
    "masthead": ("head", '<div class="masthead__{place}">{t}</div>'),
    "tagline": ("head", '<div class="masthead__{place}">{t}</div>'),
    "figure-credit": ("figure", '<div class="photo__copyright">{t}</div>'),
    "figure-caption": ("figure", "<figcaption>{t}</figcaption>"),
    "insert-caption": ("insert", '<div class="inline-related__img"><img src="/img/2.jpg" alt="{t}">'
                                 '<span class="caption">{t}</span></div>'),
    "insert-label": ("insert", '<p class="inline-related__tag">{t}</p>'),
    "insert-headline": ("insert", '<p><a class="inline-related__title" href="/related/{i}.html">{t}</a></p>'),
    "insert-headline-top": ("insert", '<p><a class="inline-related__title" href="/related/{i}.html">{t}</a></p>'),
    "insert-teaser": ("insert", '<p class="inline-related__lead">{t}</p>'),
    "aside-label": ("after", '<aside class="related"><h3>{t}</h3><ul>'),
    "aside-item": ("after", '<li><a href="/news/{i}.html">{t}</a></li>'),
    "ad": ("out", '<p class="ad-label">{t}</p>'),
    "comments": ("after", '<div class="article__{place}">{t}</div>'),
    "correction": ("after", '<div class="article__{place}">{t}</div>'),
    "ui-string": ("after", '<div class="article__{place}">{t}</div>'),
}


def render(seed: str, lines: list[dict]) -> tuple[str, str]:
    site_key, date, places = SEEDS[seed]
    site = SITES[site_key]
    title = next((x["text"] for x in lines if x["label"] == "title"), None)
    if title is None:  # text dumps without a title line: the first sentence's opening words
        first = next(x["text"] for x in lines if x["label"] == "body")
        title = " ".join(first.split()[:9]).rstrip(",.:;")
    e = escape
    out: list[str] = []
    head_extra: list[str] = []
    figure: list[str] = []
    after: list[str] = []
    pending_insert: list[str] = []
    lists = {"head": head_extra, "figure": figure, "insert": pending_insert, "after": after, "out": out}

    def flush_insert() -> None:
        if pending_insert:
            out.append("".join(pending_insert))
            pending_insert.clear()

    for i, line in enumerate(lines):
        text, label = line["text"], line["label"]
        place = places.get(i)
        if label == "title":
            continue
        if label in ("body", "subheading"):
            flush_insert()
            if figure and not any("<figure" in x for x in out):
                out.append(
                    '<figure class="article__photo"><img src="/img/1.jpg" alt="">'
                    + "".join(figure)
                    + "</figure>"
                )
                figure.clear()
            out.append(f"<h2>{e(text)}</h2>" if label == "subheading" else f"<p>{e(text)}</p>")
            continue
        if place in PLACED:
            target, html = PLACED[place]
            if target == "out":  # an ad slot ends the inline insert before it
                flush_insert()
            lists[target].append(html.format(t=e(text), i=i, place=place))
    flush_insert()
    if any(x.startswith("<aside") for x in after):
        after.insert(next(k for k, x in enumerate(after) if x.startswith("<li")) + 0, "")
        last_li = max(k for k, x in enumerate(after) if x.startswith("<li"))
        after.insert(last_li + 1, "</ul></aside>")
    nav = "".join(f'<li><a href="/{m.lower().replace(" ", "-")}/">{e(m)}</a></li>' for m in site["menu"])
    share = (
        '<div class="share"><span>Share</span><a href="#">Facebook</a><a href="#">Telegram</a>'
        '<a href="#">X</a><a href="#">WhatsApp</a><a href="#">Copy link</a></div>'
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(title)} - {e(site["name"])}</title>
<meta property="og:title" content="{e(title)}">
<meta property="og:site_name" content="{e(site["name"])}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{date}">
<link rel="canonical" href="https://{site["host"]}/20240618/{seed}.html">
</head>
<body>
<header class="site-header"><a class="logo" href="/">{e(site["name"])}</a>
<nav><ul>{nav}</ul></nav>
<div class="header__login"><a href="/login">Log in</a> <a href="/register">Register</a></div></header>
<main>
<article class="article">
<div class="article__header">{"".join(head_extra)}<h1 class="article__title">{e(title)}</h1>
<div class="article__info"><time datetime="{date}">{date[:10]}</time></div>{share}</div>
<div class="article__body">
{chr(10).join(out)}
</div>
{share}
{chr(10).join(after)}
</article>
</main>
<footer class="site-footer"><p>&copy; 2024 {e(site["name"])}. All rights reserved.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy policy</a></li>
<li><a href="/contacts">Contacts</a></li></ul></footer>
</body>
</html>
"""
    return page, title


def main() -> None:
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    manifest = []
    for seed, lab in labels.items():
        page, title = render(seed, lab["lines"])
        name = f"{seed}.html"
        (HERE / "pages" / name).write_text(page, encoding="utf-8")
        site_key, date, _ = SEEDS[seed]
        manifest.append(
            {
                "file": name,
                "title": title,
                "source": SITES[site_key]["name"],
                "published_at": date,
                "seed": seed,
            }
        )
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
