"""``wirefeed search``: one query against whichever backend is configured, hits grouped by story."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.console import Group
from rich.markup import escape
from rich.text import Text

from pipeline.index.backend import IndexBackend, SearchQuery, StoryGroup, group_by_story

_EM = re.compile(r"<em>(.*?)</em>", re.S)


def search(backend: IndexBackend, query: SearchQuery) -> list[StoryGroup]:
    """Ranked hits of ``query``, grouped by story (at most ``query.limit`` stories)."""
    return group_by_story(backend.search(query), query.limit)


def parse_when(value: str | None) -> datetime | None:
    """``2024-06-18``, ``2024-06-18T10:00``, ``...Z`` or with an offset; naive means UTC."""
    if not value:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def highlight(snippet: str) -> Text:
    """The snippet with the index's ``<em>`` marks shown bold."""
    markup = _EM.sub(lambda m: f"[bold yellow]{escape(m.group(1))}[/]", escape_outside(snippet))
    return Text.from_markup(" ".join(markup.split()))


def escape_outside(snippet: str) -> str:
    """Escape rich markup everywhere except inside the ``<em>`` marks (escaped on substitution)."""
    parts, last = [], 0
    for m in _EM.finditer(snippet):
        parts.append(escape(snippet[last:m.start()]))
        parts.append(m.group(0))
        last = m.end()
    parts.append(escape(snippet[last:]))
    return "".join(parts)


def render(groups: list[StoryGroup]) -> Group:
    """The grouped hits as rich text: rank, title, source, date, snippet, other articles of the story."""
    lines = []
    for rank, group in enumerate(groups, 1):
        top = group.top
        date = (top.date or "")[:10]
        head = Text.assemble((f"{rank:>2}. ", "bold"), (top.title or "(no title)", "bold"),
                             (f"  {top.source or '-'}  {date}  score {top.score:.3g}", "dim"))
        lines.append(head)
        lines.append(Text("    ") + highlight(top.snippet))
        for other in group.others:
            flag = f"duplicate of {other.duplicate_of[:8]}" if other.duplicate_of else "same story"
            lines.append(Text(f"      + {other.title or '(no title)'} — {other.source or '-'} ({flag})", "dim"))
    return Group(*lines)


__all__ = ["SearchQuery", "parse_when", "render", "search"]
