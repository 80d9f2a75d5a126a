"""Every pattern at once: the leads file of the detection spec, with subjects ranked.

Score (docs/detection.md): a lead's score is recomputed with the number of distinct
patterns its subject hit; a subject's score uses the share of its unpaid amount that
moved (each transfer / conveyance counted once) or that its prison account can pay,
the closest relation among its leads, and its number of distinct patterns.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from graph import Graph

from . import leads
from .patterns import PATTERN_IDS, get_pattern
from .pointintime import unpaid_at
from .runner import run_pattern
from . import queries

logger = logging.getLogger(__name__)

TOOL_VERSION = "investigations 1.1 (detection spec v2)"

#: The keys of a lead in the leads file, in the spec's order (pattern-specific extras go to `details`).
LEAD_KEYS = ("lead_id", "pattern", "subject_id", "subject_kind", "case_no", "stage", "score", "amount_fen",
             "counterparties", "first_at", "last_at", "evidence", "explanation_zh", "explanation_en")
EXTRA_KEYS = ("subject_name", "counterparty_names")


def _moved_items(lead: dict) -> dict[tuple[str, str], int]:
    """The money a lead moved out of (or, for purchases, paid by) the subject, keyed by evidence id."""
    out: dict[tuple[str, str], int] = {}
    pat = lead["pattern"]
    if pat in ("layered_chain", "round_trip"):
        path = lead.get("path") or []
        if path:
            out[("t", path[0]["transfer_id"])] = path[0]["amount_fen"]
    elif pat == "sham_divorce":
        for t in lead.get("transfers", []):
            out[("t", t["transfer_id"])] = t["amount_fen"]
        for c in lead.get("conveyances", []):
            v = c.get("appraised_value_fen")
            out[("a", c["transfer_id"])] = v if v is not None else (c.get("price_fen") or 0)
    elif pat == "sham_encumbrance":
        for e in lead["evidence"].get("encumbrance_ids", []):
            out[("e", e)] = lead["amount_fen"]
    elif pat in ("below_value_conveyance", "above_value_purchase"):
        for a in lead["evidence"]["asset_transfer_ids"]:
            out[("a", a)] = lead["amount_fen"]
    elif pat != "small_fine_capacity":
        for t in lead.get("transfers", []):
            # a baseline payee's transfers count only with the excess they carry (spec v2)
            out[("t", t["transfer_id"])] = t.get("counted_fen", t["amount_fen"])
    return out


#: Patterns run at once by a scan (SCAN_WORKERS): while one pattern's rows are decoded and
#: post-processed in Python, the server answers another's read. Each read has its own session.
DEFAULT_WORKERS = 2


def scan(graph: Graph, as_of: dt.date | None = None, params: dict | None = None,
         patterns: list[str] | None = None, subject_id: str | None = None,
         workers: int | None = None) -> dict:
    """Run every pattern (or `patterns`) and return the leads file object of the spec.

    `params` maps a pattern id to its parameter overrides (CLI / UI units); `subject_id`
    restricts every pattern to that debtor's cases (same leads for that subject as a full scan).
    `workers`: patterns run at once (default SCAN_WORKERS from the environment, else 2); the
    leads file is the same whatever the number (results are gathered in pattern order).
    """
    as_of = as_of or dt.date.today()
    params = params or {}
    for pid in params:
        get_pattern(pid)  # an unknown pattern id is an error, not silently ignored
    all_leads: list[dict] = []
    parameters: dict[str, Any] = {}
    notes: list[str] = []
    excluded: dict[str, dict] = {}
    cache: dict = {}   # reads the patterns share (relatedness, path subgraphs, non-CNY totals)
    pids = list(patterns or PATTERN_IDS)
    for pid in pids:
        get_pattern(pid)
    workers = max(1, int(workers or os.environ.get("SCAN_WORKERS") or DEFAULT_WORKERS))

    def one(pid: str):
        return run_pattern(graph, pid, params.get(pid), as_of, subject_id=subject_id, cache=cache)

    if workers == 1:
        results = [one(pid) for pid in pids]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan") as pool:
            results = list(pool.map(one, pids))
    for pid, res in zip(pids, results):
        parameters[pid] = res.params
        notes.extend(f"{pid}: {n}" for n in res.notes)
        if res.excluded_non_cny:
            excluded = res.excluded_non_cny
        all_leads.extend(res.hits)

    by_subject: dict[str, list[dict]] = defaultdict(list)
    for lead in all_leads:
        by_subject[lead["subject_id"]].append(lead)
    unpaid: dict[str, int] = defaultdict(int)
    for r in graph.read(queries.Q_SCAN_UNPAID, {"ids": sorted(by_subject), "as_of": as_of}):
        unpaid[r["sid"]] += unpaid_at(r, as_of)  # as known at as_of (pointintime)

    subjects = []
    for sid, ls in by_subject.items():
        pats = sorted({x["pattern"] for x in ls})
        moved: dict[tuple[str, str], int] = {}
        for x in ls:
            for k, v in _moved_items(x).items():
                moved[k] = max(v, moved.get(k, 0))
        moved_fen = sum(moved.values())
        # capacity: one allocation per subject, cases distinct, so the per-case amounts add up once
        capacity = sum(x["amount_fen"] for x in ls if x["pattern"] == "small_fine_capacity")
        unpaid_fen = unpaid.get(sid, 0)
        recoverable = min(unpaid_fen, moved_fen + capacity)
        closeness = max(x.get("closeness", 0.3) for x in ls)
        for x in ls:
            x["score"] = leads.score(x["amount_fen"], x.get("unpaid_fen") or 0, x.get("closeness", 0.3), len(pats),
                                 x.get("stage"))
        subjects.append({
            "subject_id": sid, "subject_kind": ls[0]["subject_kind"], "subject_name": ls[0].get("subject_name"),
            "score": leads.score(moved_fen + capacity, unpaid_fen, closeness, len(pats)),
            "patterns": pats, "moved_fen": moved_fen, "unpaid_fen": unpaid_fen, "recoverable_fen": recoverable,
            "leads": len(ls),
        })
    subjects.sort(key=lambda s: (-s["score"], -s["moved_fen"], s["subject_id"]))
    all_leads.sort(key=lambda x: (-x["score"], x["subject_id"], x["pattern"], x["case_no"] or "", x["lead_id"]))
    out_leads = []
    for x in all_leads:
        lead = {k: x[k] for k in LEAD_KEYS}
        for k in EXTRA_KEYS:
            lead[k] = x.get(k)
        lead["details"] = {k: v for k, v in x.items() if k not in LEAD_KEYS and k not in EXTRA_KEYS}
        out_leads.append(lead)
    return {"as_of": as_of.isoformat(), "tool_version": TOOL_VERSION, "parameters": parameters,
            "leads": out_leads, "subjects": subjects, "excluded_non_cny": excluded, "notes": notes}
