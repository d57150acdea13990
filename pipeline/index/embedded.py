"""The embedded index: one SQLite file with an FTS5 table, BM25 ranking (stdlib ``sqlite3``).

The default backend (``make demo``, laptops): nothing to run. A ``docs`` table holds one row
per article id with its version, filter columns and the document; deleted articles keep a row
(``deleted = 1``) with the tombstone's version, so a late older copy cannot bring them back.
``docs_fts`` holds title and body (unicode61 tokens, diacritics folded, Porter stemming: the
embedded index has one analyzer for every language, OpenSearch has one per language).

One bulk request is one transaction: all its items are durable (``synchronous=FULL``) before
``bulk`` returns, which is what lets the sink commit its offsets then.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.index.backend import (
    OK,
    STALE,
    ItemResult,
    ItemStatus,
    SearchHit,
    SearchQuery,
    TransientIndexError,
    query_terms,
)
from pipeline.index.documents import IndexAction, iso, oversized_keyword

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    story_id TEXT,
    duplicate_of TEXT,
    source TEXT,
    lang TEXT,
    date TEXT,
    topics TEXT,
    title TEXT,
    url TEXT,
    doc TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    title, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
HIGHLIGHT = ("<em>", "</em>")  # the same tags as OpenSearch's highlighter
SNIPPET_TOKENS = 24


def _topics_column(doc: dict[str, Any]) -> str:
    # "|medtop:11000000|politics|...|": a topic filter is one LIKE '%|x|%' on codes and labels alike
    values = [v.lower() for v in doc.get("topics", []) + doc.get("topic_labels", [])]
    return "|" + "|".join(values) + "|" if values else ""


def _text(doc: dict[str, Any], field: str) -> str:
    for key, value in doc.items():
        if key.startswith(field + "_") and isinstance(value, str):
            return value
    return ""


class EmbeddedIndex:
    """The SQLite FTS5 index in ``path`` (created on first use)."""

    name = "embedded"

    def __init__(self, path: Path, timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE .. COMMIT) around each bulk
        # check_same_thread off: the sink hands the index to its bulk thread (one user at a time)
        self.db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")  # searches read while the sink writes
        self.db.execute("PRAGMA synchronous=FULL")

    def ensure(self) -> None:
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def refresh(self) -> None:
        """Nothing to do: a committed transaction is searchable at once."""

    # writing ------------------------------------------------------------------------------

    def bulk(self, actions: Sequence[IndexAction]) -> list[ItemResult]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # locked by another writer: try again later
            raise TransientIndexError("sqlite_locked", str(exc)) from exc
        try:
            results = [self._apply(action) for action in actions]
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # e.g. disk full, locked: nothing of this bulk was applied
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise TransientIndexError("sqlite_error", str(exc)) from exc
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return results

    def _apply(self, action: IndexAction) -> ItemResult:
        row = self.db.execute("SELECT rowid, version FROM docs WHERE id = ?", (action.doc_id,)).fetchone()
        if row is not None and row[1] > action.version:
            return STALE
        if action.op == "delete":
            if row is None:
                self.db.execute("INSERT INTO docs (id, version, deleted) VALUES (?, ?, 1)",
                                (action.doc_id, action.version))
            else:
                self.db.execute(
                    "UPDATE docs SET version = ?, deleted = 1, doc = NULL, title = NULL WHERE rowid = ?",
                    (action.version, row[0]),
                )
                self.db.execute("DELETE FROM docs_fts WHERE rowid = ?", (row[0],))
            return OK
        doc = action.document or {}
        too_long = oversized_keyword(doc)
        if too_long is not None:
            return ItemResult(ItemStatus.REJECTED, "immense_term",
                              f"a keyword value is longer than 32766 bytes: {too_long!r}…")
        values = (
            action.version, doc.get("story_id"), doc.get("duplicate_of"), doc.get("source"), doc.get("lang"),
            doc.get("date"), _topics_column(doc), doc.get("title"), doc.get("url"),
            action.body.decode("utf-8") if action.body else json.dumps(doc, ensure_ascii=False),
        )
        if row is None:
            cur = self.db.execute(
                "INSERT INTO docs (version, story_id, duplicate_of, source, lang, date, topics, title, url, doc, id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, action.doc_id),
            )
            rowid = cur.lastrowid
        else:
            rowid = row[0]
            self.db.execute(
                "UPDATE docs SET version = ?, story_id = ?, duplicate_of = ?, source = ?, lang = ?, date = ?,"
                " topics = ?, title = ?, url = ?, doc = ?, deleted = 0 WHERE rowid = ?",
                (*values, rowid),
            )
            self.db.execute("DELETE FROM docs_fts WHERE rowid = ?", (rowid,))
        self.db.execute("INSERT INTO docs_fts (rowid, title, body) VALUES (?, ?, ?)",
                        (rowid, _text(doc, "title") or doc.get("title") or "", _text(doc, "body")))
        return OK

    # reading ------------------------------------------------------------------------------

    def get(self, doc_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT doc FROM docs WHERE id = ? AND deleted = 0", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs WHERE deleted = 0").fetchone()[0]

    def ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM docs WHERE deleted = 0 ORDER BY id")]

    def search(self, query: SearchQuery) -> list[SearchHit]:
        terms = query_terms(query.text)
        if not terms:
            return []
        # any term may match (OR); BM25 ranks documents matching more and rarer terms first, title x2
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        where = ["docs_fts MATCH ?", "d.deleted = 0"]
        params: list[Any] = [match]
        if query.lang:
            where.append("d.lang = ?")
            params.append(query.lang)
        if query.since:
            where.append("d.date >= ?")
            params.append(iso(query.since))
        if query.until:
            where.append("d.date <= ?")
            params.append(iso(query.until))
        if query.topic:
            where.append("d.topics LIKE ? ESCAPE '\\'")
            params.append("%|" + query.topic.lower().replace("%", "").replace("_", "\\_") + "|%")
        if not query.include_duplicates:
            where.append("d.duplicate_of IS NULL")
        sql = (
            "SELECT d.id, bm25(docs_fts, 2.0, 1.0) AS rank, "
            f"snippet(docs_fts, 1, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', '…', {SNIPPET_TOKENS}), "
            "d.title, d.source, d.date, d.story_id, d.duplicate_of, d.lang, d.url "
            "FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid "
            f"WHERE {' AND '.join(where)} ORDER BY rank LIMIT ?"
        )
        params.append(max(query.limit, 1) * 5)  # room for several hits per story
        rows = self.db.execute(sql, params).fetchall()
        return [
            SearchHit(id=r[0], score=-r[1], snippet=r[2], title=r[3], source=r[4], date=r[5],
                      story_id=r[6] or r[0], duplicate_of=r[7], lang=r[8], url=r[9])
            for r in rows
        ]

