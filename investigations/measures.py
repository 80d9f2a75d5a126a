"""Court measures, security interests and cash of one subject (contract v1.1), for the subject
page, its timeline, the network view and the evidence package.

Why here: the UI and the package must show restrictions, encumbrances and cash without
writing Cypher of their own (views stay thin; `graph/` alone talks to the database through
`Graph.read`). Every row carries its provenance (src_file, src_row).
"""
from __future__ import annotations

import datetime as dt
import logging

from graph import Graph

from . import labels
from . import queries

logger = logging.getLogger(__name__)

KIND_ZH = labels.zh_map("measure")
KIND_EN = {k: labels.en("measure", k) for k in labels.TABLES["measure"]}


def in_force(row: dict, day: dt.date) -> bool:
    """A restriction is in force on `day`: on or after ordered_on and before lifted_on (spec v2)."""
    return row["ordered_on"] <= day and (row.get("lifted_on") is None or day < row["lifted_on"])


def restrictions(graph: Graph, subject_id: str, as_of: dt.date | None = None) -> list[dict]:
    """The subject's court measures, oldest first: kind (with kind_zh / kind_en), ordered_on,
    lifted_on, case_no, target (text) and target_kind ('account' / 'asset' / None when the target
    names nothing loaded), in_force at `as_of` (default today), provenance."""
    day = as_of or dt.date.today()
    out = []
    for r in graph.read(queries.Q_MEASURES_RESTRICTIONS, {"sid": subject_id}):
        r = dict(r, target=r["target"] or None, kind_zh=KIND_ZH.get(r["kind"], r["kind"]),
                 kind_en=KIND_EN.get(r["kind"], r["kind"]))
        r["in_force"] = in_force(r, day)
        out.append(r)
    return out


def encumbrances(graph: Graph, subject_id: str) -> list[dict]:
    """Mortgages and pledges on the subject's assets (role 'on_own_asset') and those it holds as
    creditor (role 'as_creditor'), oldest first, with the asset, its appraisal, the holder,
    amount_fen (None when not stated), released_on and provenance."""
    return [dict(r, kind_zh=KIND_ZH.get(r["kind"], r["kind"]), kind_en=KIND_EN.get(r["kind"], r["kind"]))
            for r in graph.read(queries.Q_MEASURES_ENCUMBRANCES, {"sid": subject_id})]


def cash(graph: Graph, subject_id: str, since: dt.date | None = None, until: dt.date | None = None) -> list[dict]:
    """Cash withdrawals and deposits on the subject's accounts (no counterparty), oldest first.
    In `investigations.subject.transfers` the same rows appear with direction 'internal' (a cash
    row is a self-loop on the account, docs/graph-model.md); show them with this marker instead."""
    return [dict(r, kind_zh=KIND_ZH[r["kind"]], kind_en=KIND_EN[r["kind"]])
            for r in graph.read(queries.Q_MEASURES_CASH, {"sid": subject_id, "since": since, "until": until})]


def timeline_events(graph: Graph, subject_id: str, as_of: dt.date | None = None) -> list[dict]:
    """Dated events for the subject's timeline: measures ordered / lifted, encumbrances registered /
    released, cash withdrawals / deposits. Each: on, at (None without a time), type, ref,
    amount_fen (None when not money), label_en, label_zh, src_file, src_row."""
    ev: list[dict] = []
    for r in restrictions(graph, subject_id, as_of):
        tgt = f" ({r['target']})" if r["target"] else ""
        ev.append({"on": r["ordered_on"], "at": None, "type": "restriction_ordered", "ref": r["restriction_id"],
                   "amount_fen": None, "label_en": f"{r['kind_en']} ordered{tgt}",
                   "label_zh": f"{r['kind_zh']}决定{tgt}", "src_file": r["src_file"], "src_row": r["src_row"]})
        if r["lifted_on"] is not None:
            ev.append({"on": r["lifted_on"], "at": None, "type": "restriction_lifted", "ref": r["restriction_id"],
                       "amount_fen": None, "label_en": f"{r['kind_en']} lifted{tgt}",
                       "label_zh": f"{r['kind_zh']}解除{tgt}", "src_file": r["src_file"], "src_row": r["src_row"]})
    for e in encumbrances(graph, subject_id):
        who = e["holder_name"] or e["holder_id"]
        ev.append({"on": e["registered_on"], "at": None, "type": "encumbrance_registered", "ref": e["encumbrance_id"],
                   "amount_fen": e["amount_fen"], "label_en": f"{e['kind_en']} of {e['asset_id']} to {who}",
                   "label_zh": f"{e['asset_id']}{e['kind_zh']}给{who}", "src_file": e["src_file"],
                   "src_row": e["src_row"]})
        if e["released_on"] is not None:
            ev.append({"on": e["released_on"], "at": None, "type": "encumbrance_released",
                       "ref": e["encumbrance_id"], "amount_fen": e["amount_fen"],
                       "label_en": f"{e['kind_en']} of {e['asset_id']} released",
                       "label_zh": f"{e['asset_id']}{e['kind_zh']}注销", "src_file": e["src_file"],
                       "src_row": e["src_row"]})
    for c in cash(graph, subject_id):
        ev.append({"on": c["on"], "at": c["at"] if c["at_has_time"] else None, "type": c["kind"],
                   "ref": c["transfer_id"], "amount_fen": c["amount_fen"],
                   "label_en": f"{c['kind_en']} on {c['account_id']}", "label_zh": f"{c['account_id']}{c['kind_zh']}",
                   "src_file": c["src_file"], "src_row": c["src_row"]})
    ev.sort(key=lambda e: (e["on"], e["type"], e["ref"]))
    return ev


CASH_KINDS = ("cash_withdrawal", "cash_deposit")


def timeline_overlay(graph: Graph, subject_id: str, as_of: dt.date | None = None,
                     since: dt.date | None = None, until: dt.date | None = None) -> dict:
    """What the subject timeline draws besides transfers: {"markers": the measures and encumbrance
    events of `timeline_events` within [since, until], "cash": {transfer_id: kind}} so a chart can
    draw cash rows with their own marker instead of as transfers between own accounts."""
    markers, cash_kind = [], {}
    for e in timeline_events(graph, subject_id, as_of):
        if (since and e["on"] < since) or (until and e["on"] > until):
            continue
        if e["type"] in CASH_KINDS:
            cash_kind[e["ref"]] = e["type"]
        else:
            markers.append(e)
    return {"markers": markers, "cash": cash_kind}
