"""The loads recorded in the graph, and undoing one.

Every node and relationship keeps in `prov` one entry per (load, table) that stated it,
holding what that row said (see `writers.py`). Unloading a load therefore takes back
exactly its statements, whichever load it is, oldest or newest:
- a record only this load stated is deleted (a node that other loads' relationships
  still use is kept as a bare key, and deleted once nothing uses it);
- a record other loads stated too keeps their statements: its values are rebuilt from the
  remaining entries in the order they were written, so a value a later load changed
  stays changed, and a value this (later) load changed goes back to what the earlier
  load said. Labels and holder links follow the entries (an `Inmate` label exists while
  an `inmates` entry does, `holder_known` while an `accounts` entry does).

A load's status is `running` while it runs, `complete` when it finished and `failed`
with its error when it stopped on an error or was killed (a `running` load whose
process is gone on this host is reported as failed).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from typing import Any

from graph import Graph

from . import clock, entities, writers
from graph.schema import LABELS, REL_TYPES

logger = logging.getLogger(__name__)

BATCH = 5000
#: Properties the loader derives from the entries (never copied from a row).
_DERIVED = frozenset({"prov", "paid_history", "load_id", "src_file", "src_row", "updated_load_id", "inmate_load_id",
                      "inmate_src_file", "inmate_src_row", "holder_load_id", "holder_known", "holder_id"})
#: Entries that add to a node without being the record itself (the Inmate part of a Person).
_SIDE_TABLES = {"inmates"}
#: List properties several statement loads add to (ingest/statements/store.py): rebuilt as their union.
_UNION_LISTS = ("aliases", "stmt_names", "stmt_id_numbers")
#: Tables whose entries say who holds an Account (a contract row, or a holder an ID number in a return gave).
_HOLDER_TABLES = {"accounts", "statements_holder"}


class UnknownLoad(LookupError):
    """No load with that id is recorded."""


def _process_alive(pid: int | None, host: str | None) -> bool:
    """Whether the process that runs a load still exists (only knowable on its own host)."""
    if not pid or host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_status(row: dict[str, Any]) -> tuple[str, str | None]:
    """(status, error) of a Load row: a `running` load whose process is gone has failed."""
    status, error = row.get("status") or "running", row.get("error")
    if status == "running" and not _process_alive(row.get("pid"), row.get("host")):
        return "failed", error or f"process {row.get('pid')} on {row.get('host')} ended before the load finished"
    return status, error


def list_loads(g: Graph) -> list[dict[str, Any]]:
    """Every load, newest first, with its per-table summary and its real status."""
    rows = g.read(writers.Q_LOADS)
    for r in rows:
        r["tables"] = json.loads(r.pop("summary_json") or "{}").get("tables", {})
        r["status"], r["error"] = effective_status(r)
    return rows


def unfinished_load(g: Graph, source_dir: str) -> dict[str, Any] | None:
    """The newest load of `source_dir` that did not complete (a rerun resumes it), if any."""
    for r in list_loads(g):
        if r["source_dir"] == source_dir and r["status"] != "complete":
            return r
    return None


# -- entries ------------------------------------------------------------------------
def _decode(v: Any) -> Any:
    if isinstance(v, dict):
        if "$dt" in v:
            return dt.datetime.fromisoformat(v["$dt"])
        if "$d" in v:
            return dt.date.fromisoformat(v["$d"])
    return v


def decode_entry(entry: str, props: dict[str, Any] | None = None) -> tuple[str, str, dict[str, Any]]:
    """`"<load_id>|<table>|<json>"` -> (load_id, table, values with `_f`/`_r` for the source).

    A compact transfer entry (`writers.compact_entry`) has its values from `props`, the TRANSFER's
    stored properties, when given."""
    load_id, table, text = entry.split("|", 2)
    values = json.loads(text)
    if props is not None and writers.is_compact(table, values):
        return load_id, table, writers.compact_values(values, props)
    return load_id, table, {k: _decode(v) for k, v in values.items()}


def rebuild(kind: str, props: dict[str, Any], remaining: list[str],
            gone: list[str]) -> tuple[dict[str, Any], bool]:
    """The properties a record has once the `gone` entries are taken back; and whether it stays an Inmate."""
    own = props if kind == "TRANSFER" else None  # a compact transfer entry's values are its own
    rest = [decode_entry(e, own) for e in remaining]
    managed: set[str] = set()
    for e in remaining + gone:
        managed |= set(decode_entry(e, own)[2])
    out = {k: v for k, v in props.items() if k not in managed and k not in _DERIVED}
    main = [e for e in rest if e[1] not in _SIDE_TABLES]
    side = [e for e in rest if e[1] in _SIDE_TABLES]
    for _, _, values in main + side:
        out.update({k: v for k, v in values.items() if k not in ("_f", "_r", "_k")})
    for k in _UNION_LISTS:  # lists that statement loads add to: what the remaining loads said, together
        if any(k in v for _, _, v in rest):
            out[k] = list(dict.fromkeys(x for _, _, v in rest for x in v.get(k) or []))
    if kind == "Case":  # what each remaining load said was paid, when it was known (pointintime)
        hist: dict[str, int] = {}
        for _, t, v in rest:
            if t == "cases" and v.get("_k"):
                hist[v["_k"]] = int(v.get("amount_paid_fen") or 0)
        out["paid_history"] = []
        for k in sorted(hist):  # only the changes, as the writer keeps them
            if not out["paid_history"] or out["paid_history"][-1].split("|")[1] != str(hist[k]):
                out["paid_history"].append(f"{k}|{hist[k]}")
    if any(t == "relations" for _, t, _ in rest):
        out["ended"] = any(bool(v.get("ended")) for _, t, v in rest if t == "relations")
    if main:
        first_load, _, first = main[0]
        out.update({"load_id": first_load, "src_file": first["_f"], "src_row": first["_r"]})
        changed = [lid for lid, _, v in main[1:] if lid != first_load
                   and any(first.get(k) != x for k, x in v.items() if k not in ("_f", "_r", "_k"))]
        if changed:
            out["updated_load_id"] = changed[-1]
    if side:
        out.update({"inmate_load_id": side[0][0], "inmate_src_file": side[0][2]["_f"],
                    "inmate_src_row": side[0][2]["_r"]})
    if kind == "Account":
        holders = [(lid, v) for lid, t, v in rest if t in _HOLDER_TABLES]
        out["holder_known"] = bool(holders)
        if holders:
            out["holder_id"] = holders[-1][1]["holder_id"]
            out["holder_load_id"] = holders[0][0]
        if not any(t in ("transfers", "statements") for _, t, _ in rest):  # no statement names it any more
            out.pop("stmt_names", None)
    out["prov"] = remaining
    return out, bool(side)


# -- unload -------------------------------------------------------------------------
def unload(g: Graph, load_id: str) -> dict[str, int]:
    """Take back exactly what `load_id` stated; counts of records deleted per kind.

    Records other loads stated too are rebuilt from their entries (see the module docstring).
    """
    if not g.read_one(writers.Q_LOAD_EXISTS, {"id": load_id}):
        raise UnknownLoad(f"no load {load_id!r}; `python -m ingest loads` lists them")
    params = {"id": load_id, "p": load_id + "|"}
    # the derived SAME_AS links would keep unloaded records connected: `resolve` rebuilds them after
    entities.clear(g)
    removed: dict[str, int] = {}
    rebuilt = 0
    for rel in sorted(REL_TYPES):
        removed[rel] = _count(g, writers.q_unload_rels(rel), params)
        rows = g.read(writers.q_shared_rels(rel), params, timeout=None)
        out = []
        for r in rows:
            keep = [e for e in r["props"]["prov"] if not e.startswith(params["p"])]
            gone = [e for e in r["props"]["prov"] if e.startswith(params["p"])]
            out.append({"eid": r["eid"], "props": rebuild(rel, r["props"], keep, gone)[0]})
        g.write_batches(writers.Q_REBUILD_RELS, out, BATCH)
        rebuilt += len(out)
    for lab in sorted(LABELS - {"Load", "Inmate"}):
        removed[lab] = _count(g, writers.q_unload_nodes(lab), params)
        rows = g.read(writers.q_shared_nodes(lab), params, timeout=None)
        out = []
        for r in rows:
            prov = r["props"].get("prov") or []
            keep = [e for e in prov if not e.startswith(params["p"])]
            gone = [e for e in prov if e.startswith(params["p"])]
            props, inmate = rebuild(lab, r["props"], keep, gone)
            out.append({"eid": r["eid"], "props": props, "inmate": inmate})
        g.write_batches(writers.Q_REBUILD_NODES, out, BATCH)
        rebuilt += len(out)
        # A bare key nothing states any more and nothing uses: gone too.
        removed[lab] += _count(g, writers.q_bare_nodes(lab), params)
    g.write(writers.Q_LOAD_DELETE, {"id": load_id})
    logger.info("unloaded %s: deleted %s, rebuilt %d records stated by other loads too", load_id,
                {k: v for k, v in removed.items() if v}, rebuilt)
    return {k: v for k, v in removed.items() if v}


def _count(g: Graph, query: str, params: dict[str, Any]) -> int:
    rows = g.run_autocommit(query, params)
    return int(rows[0]["n"]) if rows else 0


def utc_now() -> dt.datetime:
    """Now, in UTC with its zone (the one policy for times the tool records: ingest.clock)."""
    return clock.utc_now()


