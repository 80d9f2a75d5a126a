"""Load a contract folder into the graph: read, validate, check references, write, reject.

The invariant every load keeps, per table: loaded + rejected = read. A rejected row is
written to `<rejects>/<table>.csv` with its original values, file, row number and
every reason. A load that cannot run at all (no such folder, a file in an unreadable
encoding, a missing required column) raises `InputError` before anything is written.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import itertools
import json
import logging
import os
import queue
import secrets
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from tqdm import tqdm

from graph import ConstraintViolation, Graph, GraphError
from graph.schema import label

from . import writers
from .contract import LOAD_ORDER, TABLES
from .clock import end_of_day_utc, utc_stamp
from .loads import decode_entry, unfinished_load, utc_now
from .readers import InputError, Source, count_rows, discover_all, open_source, read_chunks
from .statements import TOLERANCE_SECONDS, is_return_file, load_statements, prepare
from .validate import Row, validate_rows

logger = logging.getLogger(__name__)

BATCH = 5000
#: Rows per write transaction of new transfers (writers.Q_TRANSFERS_CREATE), and how many such
#: transactions run at once; measured in docs/benchmarks.md, "Loader, session 21", section 2.
TRANSFER_TX_ROWS = 5000
WRITERS = 2
#: Validated chunks waiting for the writer: validation of the next chunk runs in a thread while
#: the current one is written, and at most this many wait, so memory stays flat (0: no thread).
AHEAD = 2
SYMMETRIC = {"spouse", "former_spouse", "sibling", "relative", "associate"}


@dataclass
class LoadResult:
    load_id: str
    source_dir: str
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    rejects_dir: str | None = None
    files: dict[str, list[str]] = field(default_factory=dict)
    #: Files and sheets not loaded, each with why (`{"source": "x.xlsx#说明", "reason": ...}`).
    refused: list[dict[str, str]] = field(default_factory=list)
    statements: dict[str, Any] | None = None  # ingest.statements.StatementResult.summary()

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"load_id": self.load_id, "tables": self.tables, "refused": self.refused}
        if self.statements is not None:
            out["statements"] = self.statements
        return out

    @property
    def rejected(self) -> int:
        return sum(t["rejected"] for t in self.tables.values())


@dataclass
class _Plan:
    """A chunk of transfers made ready to write in the validation thread, while the writers are busy
    with the chunk before (`_TableLoad.plan`): its duplicate check done, its accounts and the
    parameters of each part built. Before, the writer thread did this between two chunks, and no
    write was in flight for 16 % of a 1M load (session 23, docs/benchmarks.md)."""
    before: list[list[str]]  # each row's reasons before the duplicate check (to undo it)
    payloads: list[dict[str, Any]]  # what is written: the good rows, each key once
    accounts: dict[str, Any]  # writers.transfer_accounts_params
    parts: list[dict[str, Any]]  # writers.transfer_rows_params of each part


def new_load_id() -> str:
    """`L<UTC date-time>-<random>`: sorts by start time."""
    return dt.datetime.now(dt.timezone.utc).strftime("L%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def begin_load(g: Graph, source: str, load_id: str | None = None,
               known_on: dt.date | None = None) -> tuple[str, str]:
    """Record a load of `source` (a resolved folder or file) as running and return (load_id, known_at).

    One home for how every load starts (load_dir, ingest.ftm.load_ftm), so a resume behaves the same
    whatever the input: without `load_id`, a load of `source` left failed or killed is completed under
    its own id, and one still running is refused. `known_at` is the UTC stamp of what the load says was
    known (end of `known_on`, Beijing time; default the start; a resumed load keeps its own).
    """
    if load_id is None:
        earlier = unfinished_load(g, source)
        if earlier and earlier["status"] == "running":
            raise InputError(f"load {earlier['load_id']} of {source} is still running "
                             f"(process {earlier.get('pid')} on {earlier.get('host')})")
        if earlier:  # failed or killed: this run completes it, under its id
            load_id = earlier["load_id"]
            logger.warning("resuming load %s of %s (it %s: %s)", load_id, source, earlier["status"],
                           earlier.get("error"))
    load_id = load_id or new_load_id()
    if "|" in load_id:
        raise InputError(f"a load id may not contain '|': {load_id!r}")
    now = utc_now()
    rec = g.write(writers.Q_LOAD_START,
                  {"id": load_id, "now": now, "dir": source, "pid": os.getpid(), "host": socket.gethostname(),
                   "known": end_of_day_utc(known_on) if known_on else now})
    return load_id, utc_stamp(rec[0]["known"] if rec and rec[0]["known"] else now)


class RejectWriter:
    """Rejected rows of one table, with original values, file, row and reasons."""

    def __init__(self, path: Path, table: str, load_id: str) -> None:
        self.path = path
        self.table = table
        self.load_id = load_id
        self._file = None
        self._writer: Any = None

    def write(self, row: Row, mapping: dict[str, str]) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", newline="", encoding="utf-8-sig")
            cols = [c.name for c in TABLES[self.table].columns]
            self._writer = csv.writer(self._file)
            self._writer.writerow(["load_id", "file", "row", "reasons", *cols, "extra_columns"])
        by_col: dict[str, str] = {}
        extra: dict[str, str] = {}
        for header, text in row.original.items():
            name = mapping.get(header, "x_" + str(header))
            if name.startswith("x_"):
                extra[str(header)] = text
            else:
                by_col[name] = text
        cols = [c.name for c in TABLES[self.table].columns]
        self._writer.writerow([self.load_id, row.src_file, row.src_row, "; ".join(row.reasons),
                               *[by_col.get(c, "") for c in cols],
                               json.dumps(extra, ensure_ascii=False) if extra else ""])

    def close(self) -> None:
        if self._file:
            self._file.close()


def _props(values: dict[str, Any], fields: dict[str, str], extras: dict[str, str]) -> dict[str, Any]:
    """Model properties (renamed per `fields`) plus kept extra columns; nulls dropped."""
    out = {prop: x for col, prop in fields.items() if (x := values.get(col)) is not None}
    out.update(extras)  # `x_` names, never a model property's; a kept extra is never blank
    return out


def _payload(row: Row) -> dict[str, Any]:
    """The map one row sends to its writer (see writers.py for what each table reads)."""
    v, x = row.values, row.extras
    base = {"src_file": row.src_file, "src_row": row.src_row}
    t = row.table
    if t == "persons":
        return {**base, "key": v["person_id"], "props": _props(v, {
            "name": "name", "id_number": "id_number", "id_number_valid": "id_number_valid", "gender": "gender",
            "birth_date": "birth_date", "phone": "phone", "address": "address"}, x)}
    if t == "companies":
        return {**base, "key": v["company_id"],
                "props": _props(v, {"name": "name", "registered_on": "registered_on"}, x)}
    if t == "inmates":
        return {**base, "key": v["inmate_no"], "person_id": v["person_id"], "props": _props(v, {
            "inmate_no": "inmate_no", "prison": "prison", "admitted_on": "admitted_on", "release_on": "release_on",
            "treatment_level": "treatment_level"}, x)}
    if t == "relations":
        rel, a, b = v["relation"], v["person_id"], v["other_person_id"]
        ended = rel == "former_spouse" or (rel == "spouse" and v.get("until") is not None)
        if rel in SYMMETRIC:
            a, b = sorted((a, b))
            rel = "spouse" if rel == "former_spouse" else rel
        elif rel == "child":  # "other is the child of person": stored child -> parent
            a, b, rel = b, a, "parent"
        props = _props(v, {"since": "since", "until": "until"}, x)
        return {**base, "key": f"{a}|{b}|{rel}", "a": a, "b": b, "relation": rel, "ended": ended, "props": props}
    if t == "company_roles":
        return {**base, "key": f"{v['person_id']}|{v['company_id']}|{v['role']}", "person_id": v["person_id"],
                "company_id": v["company_id"], "role": v["role"],
                "props": _props(v, {"share_pct": "share_pct", "since": "since", "until": "until"}, x)}
    if t == "accounts":
        return {**base, "key": v["account_id"], "holder_id": v["holder_id"], "props": _props(v, {
            "kind": "kind", "institution": "institution", "opened_on": "opened_on", "closed_on": "closed_on"}, x)}
    if t == "balances":
        return {**base, "key": f"{v['account_id']}|{v['as_of'].isoformat()}", "account_id": v["account_id"],
                "as_of": v["as_of"], "props": _props(v, {"balance": "balance_fen"}, x)}
    if t == "transfers":
        # `at` and `on` travel as ISO text and become temporal values in Cypher: packing a
        # million Python datetimes is the slowest part of the driver. A cash row has no
        # counterparty: it is stored on the debtor's own account as a self-loop, so no
        # counterparty (or shared "cash") node is ever created (docs/graph-model.md).
        own = v["from_account"] or v["to_account"]
        return {**base, "key": v["transfer_id"], "from_account": v["from_account"] or own,
                "to_account": v["to_account"] or own,
                "from_name": v.get("from_name"), "to_name": v.get("to_name"),
                "at": v["at"].isoformat(), "on": v["on"].isoformat(), "props": _props(v, {
                    "amount": "amount_fen", "currency": "currency", "at_has_time": "at_has_time",
                    "channel": "channel", "memo": "memo", "from_name": "from_name", "to_name": "to_name",
                    "kind": "kind", "merchant": "merchant"}, x)}
    if t == "assets":
        return {**base, "key": v["asset_id"], "owner_id": v["owner_id"], "props": _props(v, {
            "kind": "kind", "owner_id": "owner_id", "acquired_on": "acquired_on", "description": "description",
            "appraised_value": "appraised_value_fen", "appraised_on": "appraised_on"}, x)}
    if t == "asset_transfers":
        return {**base, "key": v["transfer_id"], "asset_id": v["asset_id"], "from_id": v["from_id"],
                "to_id": v["to_id"], "props": _props(v, {
                    "asset_id": "asset_id", "from_id": "from_id", "to_id": "to_id", "on": "on", "price": "price_fen",
                    "price_given": "price_given", "registry_ref": "registry_ref"}, x)}
    if t == "cases":
        props = _props(v, {
            "debtor_id": "debtor_id", "kind": "kind", "court": "court", "filed_on": "filed_on",
            "served_on": "served_on", "litigation_start": "litigation_start", "judged_on": "judged_on",
            "effective_on": "effective_on", "enforcement_filed_on": "enforcement_filed_on",
            "amount_due": "amount_due_fen", "amount_paid": "amount_paid_fen", "creditor": "creditor"}, x)
        props["unpaid_fen"] = v["amount_due"] - v["amount_paid"]
        return {**base, "key": v["case_no"], "debtor_id": v["debtor_id"], "props": props}
    if t == "restrictions":
        key = "|".join([v["subject_id"], v["kind"], v["ordered_on"].isoformat(), v["target"]])
        return {**base, "key": key, "subject_id": v["subject_id"], "case_no": v.get("case_no"),
                "target": v["target"], "props": _props(v, {
                    "subject_id": "subject_id", "kind": "kind", "ordered_on": "ordered_on", "lifted_on": "lifted_on",
                    "case_no": "case_no", "target": "target"}, x)}
    if t == "encumbrances":
        return {**base, "key": v["encumbrance_id"], "asset_id": v["asset_id"], "holder_id": v["holder_id"],
                "props": _props(v, {"asset_id": "asset_id", "kind": "kind", "holder_id": "holder_id",
                                    "registered_on": "registered_on", "amount": "amount_fen",
                                    "released_on": "released_on"}, x)}
    raise ValueError(t)


# Fields of a payload whose stored value must match an earlier load's (else the row contradicts it).
_STORED_FIELDS = {
    "accounts": ("holder_id",), "transfers": ("from_account", "to_account"), "assets": ("owner_id",),
    "asset_transfers": ("asset_id", "from_id", "to_id"), "cases": ("debtor_id",),
    "encumbrances": ("asset_id", "holder_id"),
}
_PARTY_FIELDS = {"accounts": ("holder_id",), "assets": ("owner_id",), "asset_transfers": ("from_id", "to_id"),
                 "cases": ("debtor_id",), "restrictions": ("subject_id",), "encumbrances": ("holder_id",)}
_ZH = {(tname, c.name): c.zh for tname, t in TABLES.items() for c in t.columns}


def _col(name: str, table: str) -> str:
    """A column as rejects name it: `holder_id (户主编号)`, the Chinese header of THIS table's column
    (tables share column names with different headers)."""
    return f"{name} ({_ZH.get((table, name), '')})"


class _TableLoad:
    """State of one table across its files: duplicate keys seen in this load, reference caches."""

    #: Transfers repeated across chunks are found through the stored-key look-up, not in memory.
    dupes_in_graph = True

    def __init__(self, g: Graph, table: str, load_id: str, rejects: RejectWriter, known_at: str = "",
                 unchecked_first: bool = True) -> None:
        self.g = g
        self.known_at = known_at
        self.table = table
        self.load_id = load_id
        self.rejects = rejects
        #: Keys seen in this load with their fingerprint and first row. For transfers only the current
        #: chunk's: a key of an earlier chunk is stored by then, and the stored-key look-up returns
        #: what its first row wrote (`_stored_mine`), so memory does not grow with the keys.
        self.seen: dict[str, tuple[Any, str, int]] = {}
        self._stored_mine: dict[str, dict] = {}
        self.party_cache: dict[str, str | None] = {}
        self.exists_cache: dict[tuple[str, str], bool] = {}
        #: Keys of the current chunk an earlier load (or chunk) already stored (`_check_stored`).
        self.stored_keys: set[str] = set()
        #: Transfers: what the look-up found for them (`prov`, properties), for Q_TRANSFERS_UPDATE.
        self._stored_rows: dict[str, dict] = {}
        #: Transfers: write each chunk without looking its keys up first, until one is found stored
        #: (`_write_transfers`; session 19, docs/benchmarks.md).
        self.unchecked = unchecked_first
        #: Transfers: the accounts this run has merged and claimed, with the names it sent them
        #: (`writers.unsent_claims`; bounded by the accounts, at most MAX_NAMES names each).
        self._claimed: dict[str, set[str]] = {}
        self.counts = {"read": 0, "loaded": 0, "rejected": 0}

    # -- checks ------------------------------------------------------------------
    def _party_kinds(self, ids: list[str]) -> dict[str, str | None]:
        return writers.party_kinds(self.g, ids)

    def _existing(self, kind: str, ids: list[str]) -> set[str]:
        return writers.existing(self.g, kind, ids)

    def _check_refs(self, rows: list[tuple[Row, dict]]) -> None:
        refs = TABLES[self.table].refs
        for col, kind in refs.items():
            ids = sorted({r.values[col] for r, _ in rows if r.ok and r.values.get(col)})
            if kind == "party":
                todo = [i for i in ids if i not in self.party_cache]
                if todo:
                    self.party_cache.update(self._party_kinds(todo))
            else:
                todo = [i for i in ids if (kind, i) not in self.exists_cache]
                if todo:
                    found = self._existing(kind, todo)
                    self.exists_cache.update({(kind, i): i in found for i in todo})
            for r, _ in rows:
                value = r.values.get(col)
                if not r.ok or not value:
                    continue
                if kind == "party":
                    k = self.party_cache.get(value)
                    if k == "ambiguous":
                        r.reject(_col(col, self.table), f"{value!r} is both a person_id and a company_id (ambiguous)")
                    elif k is None:
                        r.reject(_col(col, self.table), f"{value!r} is neither a known person nor a known company (dangling)")
                elif not self.exists_cache.get((kind, value)):
                    r.reject(_col(col, self.table), f"{value!r} is not a known {kind} (dangling reference)")

    def _check_stored(self, rows: list[tuple[Row, dict]]) -> None:
        ok = [(r, p) for r, p in rows if r.ok]
        if not ok:
            return
        if self.table == "inmates":
            by_key = {p["key"]: p["person_id"] for _, p in ok}
            found = writers.stored(self.g, "inmates", list(by_key), by_key=by_key)
            for r, p in ok:
                s = found.get(p["key"], {})
                if s.get("person_id") and s["person_id"] != p["person_id"]:
                    r.reject(_col("inmate_no", self.table), f"{p['key']!r} is already the inmate number of {s['person_id']!r}")
                elif s.get("other_inmate_no") and s["other_inmate_no"] != p["key"]:
                    r.reject(_col("person_id", self.table),
                             f"{p['person_id']!r} is already registered as inmate {s['other_inmate_no']!r}")
            return
        fields = _STORED_FIELDS.get(self.table)
        if not fields:
            return
        if self.table == "transfers":
            found = writers.stored(self.g, self.table, [p["key"] for _, p in ok], tag=self._tag)
            # stored by this load (an earlier chunk, or the killed run a resume completes): the
            # duplicate check compares with what that row wrote, as with a repeat inside a chunk
            self._stored_mine = {k: s for k, s in found.items() if s.get("mine")}
            found = {k: s for k, s in found.items() if not s.get("mine")}
        else:
            found = writers.stored(self.g, self.table, [p["key"] for _, p in ok])
        self.stored_keys = set(found) | set(self._stored_mine)
        if self.table == "transfers":
            self._stored_rows = {**found, **self._stored_mine}
        for r, p in ok:
            s = found.get(p["key"])
            if not s:
                continue
            for f in fields:
                if s.get(f) is not None and s[f] != p[f]:
                    r.reject(_col(f, self.table), f"{p[f]!r} contradicts {s[f]!r} stored for key {p['key']!r} "
                                      f"by load {s.get('load_id')}")

    def _fingerprint(self, p: dict) -> Any:
        """What a repeat of `p`'s key must equal: its fields, hashed for the big tables."""
        fields = {k: v for k, v in p.items()
                  if k not in ("src_file", "src_row", "props", "ended", "pj", "pe", "known_at")}
        fields.update(p["props"])
        if self.table in ("transfers", "balances"):
            return hash(tuple(sorted((k, str(v)) for k, v in fields.items())))
        return fields

    def _check_duplicates(self, rows: list[tuple[Row, dict]], seen: dict[str, tuple[Any, str, int]] | None = None,
                          stored_mine: dict[str, dict] | None = None) -> list[tuple[Row, dict]]:
        """Same key twice in this load: identical (or compatible) rows merge, contradicting ones are rejected.

        Transfers (`seen` per chunk) keep the first row's payload and fingerprint it only when its key
        comes again: almost no key does, and a fingerprint per row was a large share of the client CPU.
        `seen`, `stored_mine`: the state to check against, default this load's (`plan` passes its own)."""
        out = []
        lazy = self.table == "transfers" and self.dupes_in_graph
        seen = self.seen if seen is None else seen
        stored_mine = self._stored_mine if stored_mine is None else stored_mine
        for r, p in rows:
            if not r.ok:
                continue
            key = p["key"]
            prev = seen.get(key)
            if prev is None and key in stored_mine:  # written by an earlier chunk of this load
                stored = stored_mine[key]
                mine = decode_entry(stored["mine"], stored["props"])[2]
                now = self._stated(writers.prov_entry("transfers", p)[0])
                pf, pr = mine.pop("_f"), mine.pop("_r")
                del now["_f"], now["_r"]
                if mine != now or (stored["from_account"], stored["to_account"]) != (p["from_account"],
                                                                                     p["to_account"]):
                    r.reject(None, f"key {key!r} also in {pf} row {pr} with different values")
                    continue
                seen[key] = (self._fingerprint(p), pf, pr)
                out.append((r, p))
                continue
            if prev is None:
                seen[key] = (p if lazy else self._fingerprint(p), r.src_file, r.src_row)
                out.append((r, p))
                continue
            prev_fields, pf, pr = prev
            if lazy and isinstance(prev_fields, dict):  # the first row's payload: fingerprinted now
                prev_fields = self._fingerprint(prev_fields)
                seen[key] = (prev_fields, pf, pr)
            fields_cmp = self._fingerprint(p)
            if isinstance(fields_cmp, dict):
                clash = [k for k, v in fields_cmp.items() if k in prev_fields and prev_fields[k] != v]
                if clash:
                    r.reject(_col(clash[0], self.table), f"contradicts {pf} row {pr}, which has the same key {key!r}")
                    continue
                prev_fields.update(fields_cmp)
            elif prev_fields != fields_cmp:
                r.reject(None, f"key {key!r} also in {pf} row {pr} with different values")
                continue
            out.append((r, p))  # a compatible repeat: MERGE makes it one record
        return out

    # -- writing -------------------------------------------------------------------
    @property
    def _tag(self) -> str:
        return f"{self.load_id}|{self.table}|"

    def prepare(self, rows: list[Row]) -> list[tuple[Row, dict]]:
        """Each row with its payload and `prov` entries: pure Python, no database (runs ahead in a thread).

        A transfer's entries are made only if it turns out to be stored already (`_write`); a new
        one's are built by Q_TRANSFERS_CREATE (`writers.compact_entry`)."""
        pairs = [(r, _payload(r) if r.ok else {}) for r in rows]
        if self.table == "transfers":
            return pairs
        for r, p in pairs:
            if r.ok:
                if self.table == "cases":
                    p["known_at"] = self.known_at
                p["pj"], p["pe"] = writers.prov_entry(self.table, p)
        return pairs

    def plan(self, pairs: list[tuple[Row, dict]]) -> _Plan | None:
        """A chunk of transfers' checks and parameters, made ahead (in the validation thread) while
        this table writes without looking keys up (`unchecked`, a first load): then they depend on
        the chunk alone. None otherwise; `_write_transfers` undoes a plan that comes too late."""
        if self.table != "transfers" or not self.dupes_in_graph or not self.unchecked or TABLES[self.table].refs:
            return None
        before = [list(r.reasons) for r, _ in pairs]
        payloads = _unique(self._check_duplicates(pairs, seen={}, stored_mine={}))
        tag = self._tag
        return _Plan(before, payloads, writers.transfer_accounts_params(payloads, self.load_id, tag),
                     [writers.transfer_rows_params(part, self.load_id, tag)
                      for part in _batches(payloads, TRANSFER_TX_ROWS, WRITERS)])

    def process(self, rows: list[Row], mapping: dict[str, str]) -> None:
        self.process_prepared(self.prepare(rows), mapping)

    def process_prepared(self, pairs: list[tuple[Row, dict]], mapping: dict[str, str],
                         plan: _Plan | None = None) -> None:
        """Check references, stored keys and duplicates, write, count and write out the rejects."""
        if self.table == "transfers" and self.dupes_in_graph:
            self.seen = {}  # per chunk: earlier chunks are checked against the graph (`_stored_mine`)
        self._check_refs(pairs)
        if self.table == "transfers" and self.dupes_in_graph:
            self._write_transfers(pairs, plan=plan)
        else:
            self._check_stored(pairs)
            self._write(self._check_duplicates(pairs))
        for r, _ in pairs:
            self.counts["read"] += 1
            if r.ok:
                self.counts["loaded"] += 1
            else:
                self.counts["rejected"] += 1
                self.rejects.write(r, mapping)

    def _write_transfers(self, pairs: list[tuple[Row, dict]], tries: int = 3, plan: _Plan | None = None) -> None:
        """Write a chunk of transfers: while `unchecked`, as if none of its keys were stored (no look-up).

        That is right when no key of the chunk is stored, the usual case of a first load; otherwise the
        `transfer_key` uniqueness constraint fails a part of the write (nothing of that part is written;
        other parts may be, which the look-up then finds as this load's own): the rows get their
        reasons back as they were, this table goes on looking keys up first (a reload would fail every
        chunk), and the chunk is checked and written again. A write after the look-up fails on a key
        only when a part committed but the driver lost its answer (its retry meets the part's own
        keys) or another load wrote a key meanwhile: the next look-up finds them.

        `plan`: the chunk's checks and parameters made ahead (`plan`), used while still `unchecked`."""
        if plan is not None and not self.unchecked:  # an earlier chunk found a key stored meanwhile
            _restore_reasons(pairs, plan.before)
            plan = None
        for attempt in range(tries):
            before = plan.before if plan is not None else [list(r.reasons) for r, _ in pairs]
            if self.unchecked:
                self.stored_keys, self._stored_mine, self._stored_rows = set(), {}, {}
            else:
                self._check_stored(pairs)
            try:
                if plan is not None:
                    self._write_new(plan.payloads, self._tag, plan.accounts, plan.parts)
                    self._claim(plan.accounts)
                else:
                    self._write(self._check_duplicates(pairs))
                return
            except ConstraintViolation as exc:
                if attempt == tries - 1:
                    raise
                if self.unchecked:
                    logger.info("%s: a key of this chunk is stored already (%s); looking keys up from now on",
                                self.table, exc)
                    self.unchecked = False
                else:
                    logger.warning("%s: a key of this chunk was written meanwhile (%s); looking again",
                                   self.table, exc)
                _restore_reasons(pairs, before)
                self.seen = {}
                plan = None

    def _write(self, good: list[tuple[Row, dict]]) -> None:
        if not good:
            return
        payloads = _unique(good)
        t = self.table
        tag = self._tag
        if t == "transfers":  # only keys already stored are updated (a first load updates nothing)
            old = [self._update_row(p) for p in payloads if p["key"] in self.stored_keys]
            self.g.write_batches(writers.Q_TRANSFERS_UPDATE, old, BATCH, load_id=self.load_id, tag=tag)
            accounts = writers.transfer_accounts_params(payloads, self.load_id, tag)
            new = [p for p in payloads if p["key"] not in self.stored_keys]
            self._write_new(new, tag, accounts if len(new) == len(payloads) else None)
            self._claim(accounts)
            return
        simple = {"persons": writers.Q_PERSONS, "companies": writers.Q_COMPANIES, "inmates": writers.Q_INMATES,
                  "relations": writers.Q_RELATIONS, "company_roles": writers.Q_ROLES,
                  "balances": writers.Q_BALANCES}
        if t in simple:
            self.g.write_batches(simple[t], payloads, BATCH, load_id=self.load_id, tag=tag)
            return
        groups: dict[tuple[str, ...], list[dict]] = {}
        for p in payloads:
            labels = tuple(label(self.party_cache[p[f]]) for f in _PARTY_FIELDS[t])  # type: ignore[arg-type]
            groups.setdefault(labels, []).append(p)
        for labels, batch in sorted(groups.items()):
            query = {"accounts": writers.q_accounts, "assets": writers.q_assets,
                     "asset_transfers": writers.q_asset_transfers, "cases": writers.q_cases,
                     "restrictions": writers.q_restrictions, "encumbrances": writers.q_encumbrances}[t](*labels)
            self.g.write_batches(query, batch, BATCH, load_id=self.load_id, tag=tag)

    def _write_new(self, new: list[dict[str, Any]], tag: str, accounts: dict[str, Any] | None = None,
                   parts: list[dict[str, Any]] | None = None) -> None:
        """New transfers: their accounts merged in one transaction (`accounts`: their parameters, if
        built already), then the relationships in parts of TRANSFER_TX_ROWS rows, WRITERS
        transactions at once (writers.Q_TRANSFERS_CREATE; `parts`: their parameters, if built
        already, else each part builds its own in its thread, while another part runs on the server)."""
        if not new:
            return
        accounts = accounts or writers.transfer_accounts_params(new, self.load_id, tag)
        # an account this run claimed is stored (a claim keeps it through another load's unload)
        unmerged = [a for a in accounts["accounts"] if a["key"] not in self._claimed]
        if unmerged:
            self.g.write(writers.Q_TRANSFER_ACCOUNTS, {**accounts, "accounts": unmerged})
        if parts is not None:
            _concurrently(self._write_part, parts, WRITERS)
        else:
            _concurrently(lambda part: self._write_part(writers.transfer_rows_params(part, self.load_id, tag)),
                          list(_batches(new, TRANSFER_TX_ROWS, WRITERS)), WRITERS)

    def _claim(self, accounts: dict[str, Any]) -> None:
        """Every written row's accounts, claimed by the first row naming them and named in file
        order; what an earlier chunk of this run sent is not sent again (writers.unsent_claims)."""
        claims = writers.unsent_claims(accounts["accounts"], self._claimed)
        if claims:
            self.g.write(writers.Q_TRANSFER_CLAIMS, {**accounts, "accounts": claims})

    def _write_part(self, params: dict[str, Any]) -> None:
        """One part of new transfers (writers.transfer_rows_params); every row must have found its two
        accounts (a row whose account vanished, deleted by another load's unload after this chunk
        merged it, is not written)."""
        [r] = self.g.write(writers.Q_TRANSFERS_CREATE, params)
        rows = params["rows"]
        if r["created"] != len(rows):
            first, last = writers.transfer_row_number(rows[0]), writers.transfer_row_number(rows[-1])
            raise GraphError(f"{self.table}: {len(rows) - r['created']} of the {len(rows)} transfers of "
                             f"{params['src_file']} rows {first}-{last} found no "
                             "account to attach to (deleted while this load ran?); the others were written. "
                             "Load the folder again to resume this load.")

    def _stated(self, pj: str) -> dict[str, Any]:
        """What a row's full entry states, as values comparable with the stored ones (dates decoded)."""
        return decode_entry(self._tag + pj)[2]

    def _update_row(self, p: dict[str, Any]) -> dict[str, Any]:
        """A stored transfer's payload as Q_TRANSFERS_UPDATE takes it: its full entries, and the
        relationship's `prov` as read (`was`) with other loads' compact entries expanded (`full`)
        from the values read, when this row changes or adds any of them (writers.compact_entry)."""
        p["pj"] = writers.prov_entry("transfers", p)[0]
        s = self._stored_rows.get(p["key"])
        now = self._stated(p["pj"])
        changed = bool(s) and any(s["props"].get(k) != v for k, v in now.items() if k not in ("_f", "_r"))
        if s and s.get("mine") and not changed:  # this load's own row again: its entry stays as it is
            p["pj"] = s["mine"].split("|", 2)[2]
        if changed and s.get("prov"):
            full = [e if e.startswith(self._tag) else writers.expand_entry(e, s["props"]) for e in s["prov"]]
            if full != s["prov"]:
                p["was"], p["full"] = s["prov"], full
        return p


def _restore_reasons(pairs: list[tuple[Row, dict]], before: list[list[str]]) -> None:
    """Each row's reasons back to what they were before a check that is to be done again."""
    for (r, _), reasons in zip(pairs, before):
        r.reasons[:] = reasons


def _unique(good: list[tuple[Row, dict]]) -> list[dict]:
    """The payloads of checked rows, each key once: a compatible repeat of a key is written once."""
    unique: dict[str, dict] = {}
    for _, p in good:
        unique.setdefault(p["key"], p)
    return list(unique.values())


def _concurrently(fn: Callable[[Any], Any], items: list[Any], n: int) -> None:
    """`fn` over `items`, `n` at a time; every call has ended before the first error is raised."""
    if n <= 1 or len(items) <= 1:
        for x in items:
            fn(x)
        return
    with ThreadPoolExecutor(n) as pool:  # leaving the block waits for every call, also on an error
        list(pool.map(fn, items))


def _batches(payloads: list[dict], size: int, ways: int = 1) -> Iterator[list[dict]]:
    """`payloads` in runs of at most `size`, each from one source file (a write names its file once).

    With `ways` > 1 each file's rows that need more than one run are cut into a multiple of `ways`
    runs of (nearly) equal length, so `ways` concurrent writers finish together: 18,000 rows at
    5,000 made 5,000 x 3 + 3,000, and one writer wrote the last part alone while the other waited."""
    for _, run in itertools.groupby(payloads, key=lambda p: p["src_file"]):
        yield from _even(list(run), size, ways)


def _even(items: list[Any], size: int, ways: int = 1) -> Iterator[list[Any]]:
    """`items` in runs of at most `size`, their lengths differing by at most one; when more than one
    run is needed, a multiple of `ways` of them (items that fit one run stay one transaction)."""
    n = len(items)
    k = -(-n // size)
    if k > 1:
        k = min(-(-k // ways) * ways, n)
    for i in range(k):
        yield items[i * n // k:(i + 1) * n // k]


def _prepared(state: _TableLoad, srcs: list[Source]
              ) -> Iterator[tuple[Source, list[tuple[Row, dict]], _Plan | None]]:
    """Each chunk of the table's files read, validated and prepared, with its `_TableLoad.plan`
    (no database: safe in a thread)."""
    for src in srcs:
        for chunk in read_chunks(src):
            pairs = state.prepare(validate_rows(state.table, src.label, chunk, src.columns))
            yield src, pairs, state.plan(pairs)


_END = object()
_GC_LOCK = threading.Lock()
_GC_DEPTH = 0
_GC_SAVED: tuple[int, ...] = ()
#: Allocations between two young-generation collections while a load runs (Python's default: 700).
GC_YOUNG = 50000


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic collector run less often while tables load, then as it was.

    A chunk allocates about a million small objects (rows, payloads, parameters) and frees them
    together; at the default threshold the collector ran thousands of times per 100,000 rows, each
    time scanning what was still alive: ~1.2 s of a 5.6 s client (session 20, docs/benchmarks.md).
    Nothing is left uncollected: the thresholds come back when the last load running ends."""
    global _GC_DEPTH, _GC_SAVED
    with _GC_LOCK:
        if _GC_DEPTH == 0:
            _GC_SAVED = gc.get_threshold()
            gc.set_threshold(max(GC_YOUNG, _GC_SAVED[0]), *_GC_SAVED[1:])
        _GC_DEPTH += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_DEPTH -= 1
            if _GC_DEPTH == 0:
                gc.set_threshold(*_GC_SAVED)


def _ahead(items: Iterator[Any], depth: int) -> Iterator[Any]:
    """`items`, produced in a thread at most `depth` ahead of the consumer (the writer).

    Python validates the next chunk while the database writes this one (two cores: one each); the
    bounded queue keeps memory flat. An error in the producer is raised in the consumer; a consumer
    that stops (an error, an interrupt) stops the producer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put((_END, exc))

    worker = threading.Thread(target=run, name="ingest-validate", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = q.get()
            if item is _END:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def _load_tables(g: Graph, sources: list[Source], load_id: str, rejects_path: Path, result: LoadResult,
                 progress: bool, on_table: Callable[[str, dict[str, int]], None] | None, known_at: str,
                 done: frozenset[str] = frozenset(), unchecked_first: bool = True) -> None:
    """Every table of `sources` but those in `done` (already written by a bulk import)."""
    for name in LOAD_ORDER:
        if name not in done:
            (rejects_path / f"{name}.csv").unlink(missing_ok=True)
    by_table: dict[str, list[Source]] = {}
    for src in sources:
        by_table.setdefault(src.table, []).append(src)
    for name in LOAD_ORDER:
        srcs = by_table.get(name, [])
        if not srcs or name in done:
            continue
        result.files[name] = [s.label for s in srcs]
        rejects = RejectWriter(rejects_path / f"{name}.csv", name, load_id)
        state = _TableLoad(g, name, load_id, rejects, known_at, unchecked_first)
        total = sum(count_rows(s) for s in srcs)
        bar = tqdm(total=total or None, desc=name, unit="row", disable=not progress, file=sys.stderr, leave=False)
        try:
            chunks = _ahead(_prepared(state, srcs), AHEAD) if AHEAD else _prepared(state, srcs)
            for src, pairs, plan in chunks:
                state.process_prepared(pairs, src.columns, plan)
                bar.update(len(pairs))
        finally:
            bar.close()
            rejects.close()
        result.tables[name] = state.counts
        logger.info("%s: read %d, loaded %d, rejected %d", name, state.counts["read"], state.counts["loaded"],
                    state.counts["rejected"])
        if on_table:
            on_table(name, state.counts)


def load_dir(g: Graph, path: str | Path, rejects_dir: str | Path | None = None, progress: bool = False,
             load_id: str | None = None,
             on_table: Callable[[str, dict[str, int]], None] | None = None,
             known_on: dt.date | None = None, accounts: dict[str, str] | None = None,
             tolerance: int = TOLERANCE_SECONDS,
             on_progress: Callable[[str, int], None] | None = None,
             pre_import: Callable[[list[Source], Path, str], dict[str, dict[str, int]]] | None = None,
             unchecked_first: bool = True) -> LoadResult:
    """Load every contract table and every bank/payment return found in `path`; see the module
    docstring for the guarantees. Returns (files not named after a table) are recognised by their
    header row and loaded after the tables (ingest/statements); `accounts` maps a file name ("" for
    any) to its own account where the file cannot say.

    `known_on`: the day the data was exported (what it says was known by the end of that day,
    Beijing time); default the load's start. Point-in-time figures use it (a case's amount
    paid as known at an as_of date, investigations.pointintime). A resumed load keeps its own.

    `pre_import(sources, rejects_dir, load_id)`: writes some tables before the others and returns
    their counts; those tables are then skipped (ingest.bulk.load_dir_bulk: neo4j-admin import).

    `unchecked_first`: write each chunk of transfers before looking its keys up, falling back to the
    look-up once a key is found stored (`_TableLoad._write_transfers`); False looks every chunk up
    first (the benchmark compares the two; the result is the same).
    """
    folder = Path(path)
    found, refused = discover_all(folder)
    sources = []
    for src in found:  # every header checked before anything is written
        try:
            open_source(src)
        except InputError as exc:
            if src.sheet is None or "required column" in str(exc):
                raise
            # a workbook sheet whose header row is no table's (a notes sheet): refused, said why
            refused.append((src.label, str(exc)))
            logger.warning("refused %s", exc)
            continue
        sources.append(src)
    taken = {s.path for s in found}
    returns = prepare([p for p in sorted(folder.iterdir()) if p.is_file() and is_return_file(p)
                       and p not in taken], accounts)
    if not sources and not returns:
        raise InputError(f"{folder}: no file named after a table of the contract "
                         f"({', '.join(LOAD_ORDER)}; .csv or .xlsx) and no bank or payment return")
    rejects_path = Path(rejects_dir) if rejects_dir else Path.cwd() / "rejects"
    source_dir = str(folder.resolve())
    imported: dict[str, dict[str, int]] = {}
    if pre_import is not None:  # ingest.bulk: some tables written by neo4j-admin import first
        load_id = load_id or new_load_id()
        rejects_path.mkdir(parents=True, exist_ok=True)
        imported = pre_import(sources, rejects_path, load_id)
    g.ensure_schema()
    load_id, known_at = begin_load(g, source_dir, load_id, known_on)
    result = LoadResult(load_id, source_dir, rejects_dir=str(rejects_path))
    result.refused = [{"source": lab, "reason": why} for lab, why in refused]
    for name, counts in imported.items():
        result.tables[name] = counts
        result.files[name] = [s.label for s in sources if s.table == name]
        if on_table:
            on_table(name, counts)
    try:
        with _fewer_collections():
            _load_tables(g, sources, load_id, rejects_path, result, progress, on_table, known_at,
                         frozenset(imported), unchecked_first)
        (rejects_path / "statements.csv").unlink(missing_ok=True)
        if returns:
            sres = load_statements(g, returns, load_id, rejects_path, tolerance, on_progress)
            result.tables["statements"] = sres.totals()
            result.statements = sres.summary()
            result.files["statements"] = list(sres.files)
            if on_table:
                on_table("statements", result.tables["statements"])
    except BaseException as exc:  # an error or an interrupt: the load is marked failed, then re-raised
        error = f"{type(exc).__name__}: {exc}"
        try:
            g.write(writers.Q_LOAD_FAILED, {"id": load_id, "error": error, "now": utc_now()})
        except Exception:  # the database may be what failed; the stale `running` then reads as failed
            logger.exception("could not mark load %s failed", load_id)
        raise
    g.write(writers.Q_LOAD_COMPLETE,
            {"id": load_id, "now": utc_now(), "s": json.dumps(result.summary(), ensure_ascii=False)})
    return result
