"""Initial bulk load: the big tables of a folder into an EMPTY database through `neo4j-admin import`.

`python -m ingest load DIR --bulk-import`. Why: the offline importer writes the store files
directly, many times faster than transactions, but only into an empty database and only on the
database host with the server stopped. So:

1. refuse unless the database holds no node at all (not even a Load);
2. read and validate persons, companies, accounts and transfers exactly as a normal load does
   (the same `_TableLoad` checks, rejects and counts; references are resolved against this load's
   own rows, which is what the empty database would answer), and write their nodes and
   relationships as import CSVs with the same properties and `prov` entries the Cypher writers
   give them (writers.py). What must be remembered across chunks (every key written with its
   duplicate-check fingerprint, every Account node with its claims and names) is kept in a sqlite
   file in the import's work folder (`bulk_store.BulkStore`), so Python's memory is bounded by
   the chunk size, not by the number of keys (docs/benchmarks.md, "Bulk import in bounded memory");
3. stop the local server, `neo4j-admin database import full`, start it again, create the schema;
4. load every other table (and any bank returns) through the normal loader under the same load
   id: they are small, and their writers MERGE onto the imported nodes.

tests/test_bulk_import.py compares it with a normal load's graph: counts, money total, the `prov`
of every record and the leads of a scan. Known difference: a transfer's counterparty account that
no row named gets no `stmt_names` property instead of an empty list (the importer cannot store
one). An Account's `prov` claim by the transfers table names the first row in file order that
touched it, in both (writers.transfer_accounts).
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from graph import Graph

from . import writers
from .bulk_store import BulkStore
from .loader import LoadResult, RejectWriter, _TableLoad, load_dir
from .readers import InputError, Source, read_chunks
from .validate import Row, validate_rows

logger = logging.getLogger(__name__)

#: The tables written by the importer; the others go through the normal loader afterwards.
IMPORTED = ("persons", "companies", "accounts", "transfers")
_SEP = "\x1f"  # array delimiter (U+001F): never in a prov entry, a name or a memo


def _type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, dt.datetime):
        return "localdatetime"
    if isinstance(v, dt.date):
        return "date"
    if isinstance(v, list):
        return "string[]"
    return "string"


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return _SEP.join(str(x) for x in v)
    return str(v)


class ImportFile:
    """One import CSV: its data streamed to disk, its header (with the types seen) written at the end."""

    def __init__(self, folder: Path, name: str, fixed: list[str], props: list[str]) -> None:
        self.header_path = folder / f"{name}.header.csv"
        self.path = folder / f"{name}.csv"
        self.fixed = fixed
        self.props = props
        self.types: dict[str, str] = {}
        self.rows = 0
        self._file = open(self.path, "w", newline="", encoding="utf-8")
        self._out = csv.writer(self._file)

    def cells(self, props: dict[str, Any]) -> list[str]:
        """The property cells of one row (every column of `props`), each value's type checked."""
        unknown = set(props) - set(self.props)
        if unknown:
            raise ValueError(f"{self.path.name}: properties without a column: {sorted(unknown)}")
        for k, v in props.items():
            if v is not None:
                t = _type(v)
                if self.types.setdefault(k, t) != t:
                    raise InputError(f"{self.path.name}: property {k} has values of two types "
                                     f"({self.types[k]} and {t})")
        return [_text(props.get(k)) for k in self.props]

    def add(self, fixed: list[Any], props: dict[str, Any]) -> None:
        self.add_cells(fixed, self.cells(props))

    def add_cells(self, fixed: list[Any], cells: list[str]) -> None:
        """One row whose property cells were made by `cells` (perhaps earlier: accounts)."""
        self._out.writerow([_text(v) for v in fixed] + cells)
        self.rows += 1

    def close(self) -> list[Path]:
        self._file.close()
        with open(self.header_path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(self.fixed + [f"{k}:{self.types.get(k, 'string')}" for k in self.props])
        return [self.header_path, self.path]


_MODEL_PROPS = {
    "persons": ["name", "id_number", "id_number_valid", "gender", "birth_date", "phone", "address"],
    "companies": ["name", "registered_on"],
    "accounts": ["kind", "institution", "opened_on", "closed_on"],
    "transfers": ["amount_fen", "currency", "at_has_time", "channel", "memo", "from_name", "to_name", "kind",
                  "merchant"],
}
_PROV_COLS = ["load_id", "src_file", "src_row:long", "prov:string[]"]


#: Account properties set by the import itself, before the accounts table's own (`_open_files`).
_ACCOUNT_OWN = ["holder_known", "holder_id", "holder_load_id", "stmt_names"]


class _BulkTable(_TableLoad):
    """A table validated like a normal load's, its rows written to import files instead of Cypher.

    Nothing is in the graph yet, so what the checks would ask it (is this key already written? is
    this holder a person or a company?) is asked of the import's sqlite file (`BulkStore`): each
    chunk fetches the entries of its own keys and saves what it added, and no state grows in
    memory with the number of keys."""

    dupes_in_graph = False  # `seen` is filled per chunk from the store (`process`), never reset by the base

    def __init__(self, bulk: "BulkImport", table: str, rejects: RejectWriter) -> None:
        super().__init__(bulk.g, table, bulk.load_id, rejects)
        self.bulk = bulk
        self._before: set[str] = set()  # keys of this chunk an earlier chunk wrote

    def process(self, rows: list[Row], mapping: dict[str, str]) -> None:
        pairs = self.prepare(rows)
        store = self.bulk.store
        self.seen = store.seen(self.table, {p["key"] for r, p in pairs if r.ok})
        self._before = set(self.seen)
        # the reference caches hold one chunk's ids too (the store answers every chunk)
        self.party_cache, self.exists_cache = {}, {}
        self.process_prepared(pairs, mapping)
        # new keys, and merged fingerprints (a compatible repeat adds the fields it names)
        store.save_seen(self.table, {k: v for k, v in self.seen.items()
                                     if k not in self._before or isinstance(v[0], dict)})
        self.seen = {}

    def _party_kinds(self, ids: list[str]) -> dict[str, str | None]:
        found = self.bulk.store.tables_of(["persons", "companies"], ids)
        out: dict[str, str | None] = {}
        for i in ids:
            t = found.get(i, set())
            out[i] = ("ambiguous" if len(t) == 2 else "Person" if "persons" in t
                      else "Company" if "companies" in t else None)
        return out

    def _existing(self, kind: str, ids: list[str]) -> set[str]:
        table = {"person": "persons", "company": "companies", "account": "accounts"}[kind]
        return set(self.bulk.store.tables_of([table], ids))

    def _check_stored(self, rows: list[tuple[Row, dict]]) -> None:
        return  # the database is empty: nothing stored to contradict

    def _write(self, good: list[tuple[Row, dict]]) -> None:
        b, t, lid = self.bulk, self.table, self.load_id
        written: list[dict] = []
        keys: set[str] = set()
        for _, p in good:
            if p["key"] in self._before or p["key"] in keys:
                continue  # a compatible repeat: the first row is the record (MERGE makes it one)
            keys.add(p["key"])
            written.append(p)
        accounts = []
        for p in written:  # p["pj"], p["pe"]: the prov entries, made by _TableLoad.prepare (not for transfers)
            if t in ("persons", "companies"):
                b.files[t].add([p["key"], lid, p["src_file"], p["src_row"], [f"{lid}|{t}|{p['pj']}"]], p["props"])
            elif t == "accounts":
                accounts.append({"key": p["key"], "load_id": lid, "src_file": p["src_file"],
                                 "src_row": p["src_row"], "holder_id": p["holder_id"],
                                 "prov": [f"{lid}|accounts|{p['pj']}"],
                                 "cells": b.files["accounts"].cells(p["props"])[len(_ACCOUNT_OWN):]})
                holder = self.party_cache[p["holder_id"]]
                b.files["HOLDS_" + str(holder)].add(
                    [p["holder_id"], p["key"], lid, p["src_file"], p["src_row"], [f"{lid}|accounts|{p['pe']}"]], {})
            else:
                b.files["transfers"].add(
                    [p["from_account"], p["to_account"], p["key"], lid, p["src_file"], p["src_row"],
                     [f"{lid}|transfers|{writers.compact_entry(p)}"], p["at"], p["on"]], p["props"])
        if t == "accounts" and accounts:
            b.store.add_accounts(accounts)
        elif t == "transfers" and written:
            # what Q_TRANSFER_ACCOUNTS and Q_TRANSFER_CLAIMS do to each side: created if new, claimed by the first row, named
            b.store.touch_accounts(writers.transfer_accounts(written), lid)


class BulkImport:
    """Phase 1 and 2 of the module docstring: validate, write import files, run the importer."""

    def __init__(self, g: Graph, load_id: str, work: Path) -> None:
        self.g = g
        self.load_id = load_id
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.store = BulkStore(work / "bulk.sqlite")
        self.files: dict[str, ImportFile] = {}

    def _open_files(self, sources: list[Source]) -> None:
        extras: dict[str, list[str]] = {t: [] for t in IMPORTED}
        for s in sources:
            if s.table in extras:
                extras[s.table] += [v for v in s.columns.values() if v.startswith("x_") and v not in extras[s.table]]
        props = {t: _MODEL_PROPS[t] + extras[t] for t in IMPORTED}
        self.files["persons"] = ImportFile(self.work, "persons", ["person_id:ID(Person)"] + _PROV_COLS,
                                           props["persons"])
        self.files["companies"] = ImportFile(self.work, "companies", ["company_id:ID(Company)"] + _PROV_COLS,
                                             props["companies"])
        self.files["accounts"] = ImportFile(self.work, "accounts", ["account_id:ID(Account)"] + _PROV_COLS,
                                            _ACCOUNT_OWN + props["accounts"])
        for holder in ("Person", "Company"):
            self.files["HOLDS_" + holder] = ImportFile(self.work, "holds_" + holder.lower(),
                                                       [f":START_ID({holder})", ":END_ID(Account)"] + _PROV_COLS, [])
        self.files["transfers"] = ImportFile(
            self.work, "transfers", [":START_ID(Account)", ":END_ID(Account)", "transfer_id"] + _PROV_COLS
            + ["at:localdatetime", "on:date"], props["transfers"])

    def _write_accounts(self) -> None:
        """Every Account node, in creation order, from the store (streamed: none is held)."""
        f, lid = self.files["accounts"], self.load_id
        own = len(_ACCOUNT_OWN)
        for a in self.store.accounts():
            prov = a["prov"] + ([f"{lid}|transfers|{a['claim']}"] if a["claim"] is not None else [])
            cells = f.cells({"holder_known": a["holder_known"], "holder_id": a["holder_id"],
                             "holder_load_id": a["holder_load_id"], "stmt_names": a["names"] or None})[:own]
            f.add_cells([a["key"], a["load_id"], a["src_file"], a["src_row"], prov],
                        cells + (a["cells"] if a["cells"] is not None else [""] * (len(f.props) - own)))

    def _read(self, sources: list[Source], rejects_path: Path, counts: dict[str, dict[str, int]]) -> None:
        """Read, validate and write each IMPORTED table in turn, its rejects written out."""
        for name in IMPORTED:
            srcs = [s for s in sources if s.table == name]
            (rejects_path / f"{name}.csv").unlink(missing_ok=True)
            if not srcs:
                continue
            rejects = RejectWriter(rejects_path / f"{name}.csv", name, self.load_id)
            state = _BulkTable(self, name, rejects)
            try:
                for src in srcs:
                    for chunk in read_chunks(src):
                        rows = validate_rows(name, src.label, chunk, src.columns)
                        del chunk
                        state.process(rows, src.columns)
            finally:
                rejects.close()
            counts[name] = state.counts

    def run(self, sources: list[Source], rejects_path: Path) -> dict[str, dict[str, int]]:
        """Validate and import the IMPORTED tables of `sources`; per-table counts (read/loaded/rejected)."""
        counts, paths = self.write_files(sources, rejects_path)
        t1 = time.perf_counter()
        server = self.g.local_server()
        out = server.import_full(
            nodes=[("Person", paths["persons"]), ("Company", paths["companies"]), ("Account", paths["accounts"])],
            relationships=[("HOLDS", paths["HOLDS_Person"]), ("HOLDS", paths["HOLDS_Company"]),
                           ("TRANSFER", paths["transfers"])],
            report=self.work / "import.report")
        logger.info("bulk import: neo4j-admin import and restart in %.1f s\n%s", time.perf_counter() - t1,
                    out[-2000:])
        self.g.reconnect()
        return counts

    def write_files(self, sources: list[Source], rejects_path: Path
                    ) -> tuple[dict[str, dict[str, int]], dict[str, list[Path]]]:
        """Phase 2 (no database): validate the IMPORTED tables, write the rejects and the import files;
        per-table counts and each file's [header, data] paths."""
        self._open_files(sources)
        counts: dict[str, dict[str, int]] = {}
        t0 = time.perf_counter()
        try:
            self._read(sources, rejects_path, counts)
            self._write_accounts()
        finally:
            self.store.close()
            self.store.path.unlink(missing_ok=True)
        paths = {k: f.close() for k, f in self.files.items()}
        t1 = time.perf_counter()
        logger.info("bulk import: validated and wrote import files in %.1f s (Python peak RSS so far %d MB)",
                    t1 - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        return counts, paths


def assert_empty(g: Graph) -> None:
    """Refuse a bulk import into a database that holds anything: the importer would replace it."""
    row = g.read_one(writers.Q_COUNT_NODES)
    if row and row["n"]:
        raise InputError(f"--bulk-import needs an EMPTY database, and this one holds {row['n']} node(s): "
                         "load without --bulk-import (or empty the database first)")


def load_dir_bulk(g: Graph, path: str | Path, rejects_dir: str | Path | None = None, **kw: Any) -> LoadResult:
    """`load_dir` for an EMPTY database on the local server: IMPORTED tables through neo4j-admin import
    (see the module docstring), the rest through the loader; refused if the database holds anything."""
    def run(sources: list[Source], rejects_path: Path, load_id: str) -> dict[str, dict[str, int]]:
        assert_empty(g)  # after every header was checked, before anything is written
        with tempfile.TemporaryDirectory(prefix="bulk-import-") as work:
            return BulkImport(g, load_id, Path(work)).run(sources, rejects_path)

    return load_dir(g, path, rejects_dir, pre_import=run, **kw)
