"""``wirefeed replay``: every line of a RawPage JSONL file is sent, whatever a line holds."""

from __future__ import annotations

import json
from pathlib import Path

from agents.replay import records
from pipeline.ids import canonical_url


def test_a_deeply_nested_json_line_is_sent_unkeyed_and_the_lines_after_it_still_go(tmp_path: Path) -> None:
    good = [json.dumps({"url": f"https://wire.example/{n}", "content": "<p>x</p>"}) for n in ("a", "b")]
    nested = '{"url": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join([good[0], nested, good[1]]) + "\n")
    sent = list(records([path], "", "test"))
    assert [key for key, _ in sent] == [canonical_url("https://wire.example/a").encode(), None,
                                        canonical_url("https://wire.example/b").encode()]
    assert sent[1][1] == nested.encode()  # passed as it is: the parse stage dead-letters it with a reason


def test_a_line_whose_url_has_a_bad_port_is_still_sent(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps({"url": "https://wire.example:99999/a", "content": "x"}) + "\n")
    [(key, _)] = list(records([path], "", "test"))
    assert key is not None
