"""What a bulk import must remember across chunks, kept in a sqlite file instead of in RAM.

Why: `--bulk-import` writes into an empty database, so nothing can be asked of the graph while it
reads; before session 19 it held every key it had imported (with the duplicate check's
fingerprint) and every Account node in Python dicts, ~390 MB per million transfers
(docs/benchmarks.md, "Bulk import in bounded memory"). Here both live in one sqlite file in the
import's work folder; the reader keeps only the current chunk, so its memory is bounded by the
chunk size, not by the number of keys.

- `seen`: per table, every key written, with what `_TableLoad._check_duplicates` compares a
  repeat with (its fingerprint, file and row). A chunk fetches the entries of its own keys,
  checks, and saves what it added.
- `account`: every Account node as the Cypher writers would leave it: created by the accounts
  table (holder, `prov` entry, property cells) or by the first transfer naming it; claimed by the
  first transfer naming it; the names transfers gave it (file order, each once, at most 20).
  Rows are read back in creation order (`rowid`) to write the import file.
"""
from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

from .writers import MAX_NAMES

#: Parameters per `IN (...)` look-up (sqlite's limit is 32,766).
_IN = 5000


def _parts(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _IN):
        yield items[i:i + _IN]


def merge_names(stored: list[str] | None, new: Iterable[str]) -> list[str] | None:
    """`stored` with each of `new` appended in order unless already there or the list is full."""
    out = list(stored) if stored is not None else None
    for n in new:
        if out is None:
            out = []
        if n not in out and len(out) < MAX_NAMES:
            out.append(n)
    return out


class BulkStore:
    """The sqlite file of one bulk import (see the module docstring); closed (not deleted) by `close`."""

    def __init__(self, path: Path, cache_mb: int = 32) -> None:
        self.path = path
        # autocommit off through explicit transactions: one per chunk; the file is scratch, so no
        # journal and no fsync (a crash loses the import anyway)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")  # bounds sqlite's own memory
        self.db.execute("PRAGMA temp_store=FILE")
        self.db.execute("CREATE TABLE seen (tbl TEXT NOT NULL, key TEXT NOT NULL, fp BLOB, file TEXT, "
                        "row INTEGER, PRIMARY KEY (tbl, key)) WITHOUT ROWID")
        self.db.execute("CREATE TABLE account (key TEXT NOT NULL UNIQUE, load_id TEXT, src_file TEXT, "
                        "src_row INTEGER, holder_known INTEGER, holder_id TEXT, holder_load_id TEXT, prov TEXT, "
                        "names TEXT, claim TEXT, cells TEXT)")

    def close(self) -> None:
        self.db.close()

    # -- keys ------------------------------------------------------------------------
    def seen(self, table: str, keys: Iterable[str]) -> dict[str, tuple[Any, str, int]]:
        """The entries of `keys` an earlier chunk saved: key -> (fingerprint, file, row)."""
        out: dict[str, tuple[Any, str, int]] = {}
        for part in _parts(sorted(set(keys))):
            q = f"SELECT key, fp, file, row FROM seen WHERE tbl = ? AND key IN ({','.join('?' * len(part))})"
            for key, fp, file, row in self.db.execute(q, [table, *part]):
                out[key] = (pickle.loads(fp), file, row)
        return out

    def save_seen(self, table: str, entries: dict[str, tuple[Any, str, int]]) -> None:
        """Add (or replace: a merged fingerprint) the entries of one chunk."""
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                            ((table, k, pickle.dumps(fp, protocol=pickle.HIGHEST_PROTOCOL), f, r)
                             for k, (fp, f, r) in entries.items()))
        self.db.execute("COMMIT")

    def tables_of(self, tables: list[str], keys: Iterable[str]) -> dict[str, set[str]]:
        """For each of `keys` written to any of `tables`: the tables it was written to."""
        out: dict[str, set[str]] = {}
        marks = ",".join("?" * len(tables))
        for part in _parts(sorted(set(keys))):
            q = f"SELECT key, tbl FROM seen WHERE tbl IN ({marks}) AND key IN ({','.join('?' * len(part))})"
            for key, tbl in self.db.execute(q, [*tables, *part]):
                out.setdefault(key, set()).add(tbl)
        return out

    # -- accounts --------------------------------------------------------------------
    def add_accounts(self, rows: list[dict[str, Any]]) -> None:
        """Accounts of the accounts table (each new): key, load_id, src_file, src_row, holder_id,
        prov (list), cells (the rendered property cells)."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO account (key, load_id, src_file, src_row, holder_known, holder_id, holder_load_id, prov, "
            "names, claim, cells) VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL, NULL, ?)",
            ((a["key"], a["load_id"], a["src_file"], a["src_row"], a["holder_id"], a["load_id"],
              json.dumps(a["prov"], ensure_ascii=False), json.dumps(a["cells"], ensure_ascii=False))
             for a in rows))
        self.db.execute("COMMIT")

    def touch_accounts(self, accounts: list[dict[str, Any]], load_id: str) -> None:
        """What one chunk's transfers do to their accounts (`writers.transfer_accounts` of its
        written rows): an account not yet known is created by its first row, without holder or
        names; every one is claimed by the first row naming it (a claim stays) and given the names, in order."""
        stored: dict[str, str | None] = {}
        for part in _parts([a["key"] for a in accounts]):
            q = f"SELECT key, names FROM account WHERE key IN ({','.join('?' * len(part))})"
            stored.update(self.db.execute(q, part).fetchall())
        new, old = [], []
        for a in accounts:
            if a["key"] in stored:
                names = stored[a["key"]]
                merged = merge_names(json.loads(names) if names is not None else None, a["names"])
                old.append((a["pe"], None if merged is None else json.dumps(merged, ensure_ascii=False), a["key"]))
            else:
                merged = merge_names([], a["names"])
                new.append((a["key"], load_id, a["src_file"], a["src_row"], json.dumps(merged, ensure_ascii=False),
                            a["pe"]))
        self.db.execute("BEGIN")
        self.db.executemany("UPDATE account SET claim = COALESCE(claim, ?), names = ? WHERE key = ?", old)
        self.db.executemany("INSERT INTO account (key, load_id, src_file, src_row, holder_known, prov, names, claim, "
                            "cells) VALUES (?, ?, ?, ?, 0, '[]', ?, ?, NULL)", new)
        self.db.execute("COMMIT")

    def accounts(self) -> Iterator[dict[str, Any]]:
        """Every Account, in creation order, with `prov` and `names` decoded (streamed from the file)."""
        cur = self.db.execute("SELECT key, load_id, src_file, src_row, holder_known, holder_id, holder_load_id, "
                              "prov, names, claim, cells FROM account ORDER BY rowid")
        for (key, load_id, src_file, src_row, known, holder_id, holder_load_id, prov, names, claim,
             cells) in cur:
            yield {"key": key, "load_id": load_id, "src_file": src_file, "src_row": src_row,
                   "holder_known": bool(known), "holder_id": holder_id, "holder_load_id": holder_load_id,
                   "prov": json.loads(prov), "names": json.loads(names) if names is not None else None,
                   "claim": claim, "cells": json.loads(cells) if cells is not None else None}
