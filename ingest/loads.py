"""The loads recorded in the graph, and undoing one.

Every node and relationship carries the `load_id` of the load that created it, so a
load can be taken back as a whole: its relationships, then its nodes, then the
labels and holder links it added to nodes an earlier load created.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from graph import Graph
from graph.schema import LABELS, REL_TYPES, label, rel_type

logger = logging.getLogger(__name__)


class UnknownLoad(LookupError):
    """No load with that id is recorded."""


def list_loads(g: Graph) -> list[dict[str, Any]]:
    """Every load, newest first, with its per-table summary."""
    rows = g.read("MATCH (l:Load) RETURN l.load_id AS load_id, l.started_at AS started_at, "
                  "l.finished_at AS finished_at, l.source_dir AS source_dir, l.status AS status, "
                  "l.summary_json AS summary_json ORDER BY l.started_at DESC, l.load_id DESC")
    for r in rows:
        r["tables"] = json.loads(r.pop("summary_json") or "{}").get("tables", {})
    return rows


def unload(g: Graph, load_id: str) -> dict[str, int]:
    """Remove what `load_id` created (and nothing an earlier load created); counts removed per kind."""
    if not g.read_one("MATCH (l:Load {load_id: $id}) RETURN l.load_id AS id", {"id": load_id}):
        raise UnknownLoad(f"no load {load_id!r}; `python -m ingest loads` lists them")
    removed: dict[str, int] = {}
    for rel in sorted(REL_TYPES):
        q = (f"MATCH ()-[r:{rel_type(rel)}]->() WHERE r.load_id = $id "
             "CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS RETURN count(*) AS n")
        removed[rel] = _count(g, q, load_id)
    # Labels and holder links this load added to nodes created earlier.
    g.write("MATCH (p:Inmate) WHERE p.inmate_load_id = $id AND p.load_id <> $id "
            "REMOVE p:Inmate, p.inmate_no, p.prison, p.admitted_on, p.release_on, p.treatment_level, "
            "p.inmate_load_id, p.inmate_src_file, p.inmate_src_row", {"id": load_id})
    g.write("MATCH (a:Account) WHERE a.holder_load_id = $id AND a.load_id <> $id "
            "SET a.holder_known = false REMOVE a.holder_id, a.holder_load_id", {"id": load_id})
    for lab in sorted(LABELS - {"Load"}):
        q = (f"MATCH (n:{label(lab)}) WHERE n.load_id = $id "
             "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS RETURN count(*) AS n")
        removed[lab] = _count(g, q, load_id)
    g.write("MATCH (l:Load {load_id: $id}) DELETE l", {"id": load_id})
    logger.info("unloaded %s: %s", load_id, {k: v for k, v in removed.items() if v})
    return {k: v for k, v in removed.items() if v}


def _count(g: Graph, query: str, load_id: str) -> int:
    rows = g.run_autocommit(query, {"id": load_id})
    return int(rows[0]["n"]) if rows else 0
