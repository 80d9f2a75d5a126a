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

logger = logging.getLogger(__name__)

KIND_ZH = labels.zh_map("measure")
KIND_EN = {k: labels.en("measure", k) for k in labels.TABLES["measure"]}

_SUBJECT = "MATCH (s) WHERE (s:Person AND s.person_id = $sid) OR (s:Company AND s.company_id = $sid)\n"

Q_RESTRICTIONS = _SUBJECT + """
MATCH (s)-[:RESTRICTED_BY]->(r:Restriction)
OPTIONAL MATCH (r)-[:TARGETS]->(t)
RETURN r.restriction_id AS restriction_id, r.kind AS kind, r.ordered_on AS ordered_on, r.lifted_on AS lifted_on,
       r.case_no AS case_no, r.target AS target,
       CASE WHEN t:Account THEN 'account' WHEN t:Asset THEN 'asset' END AS target_kind,
       r.src_file AS src_file, r.src_row AS src_row, r.load_id AS load_id
ORDER BY ordered_on, restriction_id
"""
# Encumbrances on assets the subject owned (the original owner, or a party it was conveyed to)
# and those the subject holds as creditor.
Q_ENCUMBRANCES = _SUBJECT + """
CALL (s) {
  MATCH (e:Encumbrance)-[:ENCUMBERS]->(a:Asset)
  WHERE a.owner_id = coalesce(s.person_id, s.company_id)
     OR EXISTS { MATCH (a)<-[:OF_ASSET]-(:AssetTransfer)-[:CONVEYED_TO]->(s) }
  RETURN e, a, 'on_own_asset' AS role
  UNION
  MATCH (e:Encumbrance)-[:HELD_BY]->(s), (e)-[:ENCUMBERS]->(a:Asset)
  RETURN e, a, 'as_creditor' AS role
}
MATCH (e)-[:HELD_BY]->(h)
RETURN e.encumbrance_id AS encumbrance_id, e.kind AS kind, e.registered_on AS registered_on,
       e.amount_fen AS amount_fen, e.released_on AS released_on, role,
       a.asset_id AS asset_id, a.kind AS asset_kind, a.description AS asset_description,
       a.appraised_value_fen AS appraised_value_fen,
       coalesce(h.person_id, h.company_id) AS holder_id, h.name AS holder_name,
       CASE WHEN h:Person THEN 'person' ELSE 'company' END AS holder_kind,
       e.src_file AS src_file, e.src_row AS src_row, e.load_id AS load_id
ORDER BY registered_on, encumbrance_id
"""
Q_CASH = _SUBJECT + """
MATCH (s)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(a)
WHERE t.kind IN ['cash_withdrawal', 'cash_deposit']
  AND ($since IS NULL OR t.on >= $since) AND ($until IS NULL OR t.on <= $until)
RETURN t.transfer_id AS transfer_id, t.kind AS kind, t.at AS at, t.on AS on, t.at_has_time AS at_has_time,
       t.amount_fen AS amount_fen, t.currency AS currency, a.account_id AS account_id, t.channel AS channel,
       t.memo AS memo, t.src_file AS src_file, t.src_row AS src_row, t.load_id AS load_id
ORDER BY at, transfer_id
"""


def in_force(row: dict, day: dt.date) -> bool:
    """A restriction is in force on `day`: on or after ordered_on and before lifted_on (spec v2)."""
    return row["ordered_on"] <= day and (row.get("lifted_on") is None or day < row["lifted_on"])


def restrictions(graph: Graph, subject_id: str, as_of: dt.date | None = None) -> list[dict]:
    """The subject's court measures, oldest first: kind (with kind_zh / kind_en), ordered_on,
    lifted_on, case_no, target (text) and target_kind ('account' / 'asset' / None when the target
    names nothing loaded), in_force at `as_of` (default today), provenance."""
    day = as_of or dt.date.today()
    out = []
    for r in graph.read(Q_RESTRICTIONS, {"sid": subject_id}):
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
            for r in graph.read(Q_ENCUMBRANCES, {"sid": subject_id})]


def cash(graph: Graph, subject_id: str, since: dt.date | None = None, until: dt.date | None = None) -> list[dict]:
    """Cash withdrawals and deposits on the subject's accounts (no counterparty), oldest first.
    In `investigations.subject.transfers` the same rows appear with direction 'internal' (a cash
    row is a self-loop on the account, docs/graph-model.md); show them with this marker instead."""
    return [dict(r, kind_zh=KIND_ZH[r["kind"]], kind_en=KIND_EN[r["kind"]])
            for r in graph.read(Q_CASH, {"sid": subject_id, "since": since, "until": until})]


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
