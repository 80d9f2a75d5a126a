"""Everything the graph knows about one subject (person or company), for the UI and evidence packages.

Every query is a module constant, takes values only as `$params` and is bounded
(a LIMIT, or a validated depth), so a subject page can never run away on a busy
account. Rows come back as plain Python values (dates as `datetime.date`, money as
integer fen) with provenance (`src_file`, `src_row`, `load_id`) where the graph
has it, so every figure on a page or in a package traces back to a source row.
"""
from __future__ import annotations

import datetime as dt
import logging

from graph import Graph

from .labels import en, zh
from .related import DEFAULT_MIN_SHARE_PCT, Relatedness, relation_fields
from . import queries

logger = logging.getLogger(__name__)

#: Hard caps: a page shows at most this many transfers / events unless asked for fewer.
MAX_TRANSFERS = 20000
MAX_CONVEYANCES = 5000
MAX_TIMELINE_EVENTS = 2000


Q_PROFILE = queries.Q_SUBJECT_SUBJECT + """
RETURN s AS node, labels(s) AS labels
LIMIT 1
"""


# Newest first, one page: a date-only transfer sorts after the timed ones of its day (asc).
Q_TRANSFERS_NEWEST = queries.Q_SUBJECT_TRANSFERS.replace(
    "ORDER BY t.on, coalesce(t.at_has_time, true) DESC, t.at, t.transfer_id\nLIMIT $limit",
    "ORDER BY t.on DESC, coalesce(t.at_has_time, true) ASC, t.at DESC, t.transfer_id DESC\nSKIP $offset LIMIT $limit")


# ------------------------------------------------------------------------------------------------
def _kind_of(labels: list[str]) -> str:
    return "company" if "Company" in labels else "person"


def _subject_node(graph: Graph, subject_id: str) -> tuple[dict, str] | None:
    row = graph.read_one(Q_PROFILE, {"sid": subject_id})
    if not row:
        return None
    return row["node"], _kind_of(row["labels"])


def _cases(graph: Graph, subject_id: str) -> tuple[list[dict], dt.date | None]:
    """The subject's cases (with `unpaid_fen` and `open`) and the earliest litigation start of the open ones."""
    cases = []
    for r in graph.read(queries.Q_SUBJECT_CASES, {"sid": subject_id}):
        c = {k: v for k, v in r["case"].items() if not k.startswith("_") and k != "prov"}
        due = c.get("amount_due_fen") or 0
        paid = c.get("amount_paid_fen") or 0
        c.setdefault("unpaid_fen", due - paid)
        if c.get("unpaid_fen") is None:
            c["unpaid_fen"] = due - paid
        c["open"] = c["unpaid_fen"] > 0
        cases.append(c)
    open_starts = [c.get("litigation_start") or c.get("served_on") or c.get("filed_on")
                   for c in cases if c["open"]]
    open_starts = [d for d in open_starts if d is not None]
    return cases, (min(open_starts) if open_starts else None)


def header(graph: Graph, subject_id: str) -> dict | None:
    """What a page about the subject shows at its top and windows by: id, kind, name and the open
    cases' earliest litigation start (two reads; the network page needs no more of profile()'s seven).
    None if unknown."""
    found = _subject_node(graph, subject_id)
    if found is None:
        return None
    node, kind = found
    return {"subject_id": subject_id, "kind": kind, "name": node.get("name"),
            "open_litigation_start": _cases(graph, subject_id)[1]}


def profile(graph: Graph, subject_id: str) -> dict | None:
    """The subject's node, inmate data, cases, relations, roles, accounts and assets; None if unknown.

    Cases carry `unpaid_fen` and `open`; `open_litigation_start` is the earliest litigation start
    of the open cases (the network view's default window start).
    """
    found = _subject_node(graph, subject_id)
    if found is None:
        return None
    node, kind = found
    labels = node.get("_labels", [])
    props = {k: v for k, v in node.items() if not k.startswith("_") and k != "prov"}
    inmate = None
    if "Inmate" in labels:
        inmate = {k: props.get(k) for k in ("inmate_no", "prison", "admitted_on", "release_on",
                                            "treatment_level")}
    cases, open_start = _cases(graph, subject_id)
    relations = []
    if kind == "person":
        for r in graph.read(queries.Q_SUBJECT_RELATIONS, {"sid": subject_id}):
            rel = r["relation"]
            if rel == "spouse" and r["ended"]:
                rel = "former_spouse"
            elif rel == "parent":
                rel = "parent" if r["outgoing"] else "child"
            relations.append({**r, "relation_to_subject": rel})
    roles = graph.read(queries.Q_SUBJECT_ROLES, {"sid": subject_id})
    accounts = graph.read(queries.Q_SUBJECT_ACCOUNTS, {"sid": subject_id})
    # entity resolution: the subject's other records, and the accounts they hold (ingest.entities)
    same_as = graph.read(queries.Q_SUBJECT_SAME_AS, {"sid": subject_id})
    for o in same_as:
        accounts += [{**a, "held_by": o["id"]} for a in graph.read(queries.Q_SUBJECT_ACCOUNTS, {"sid": o["id"]})]
    assets = graph.read(queries.Q_SUBJECT_ASSETS, {"sid": subject_id})
    return {
        "subject_id": subject_id,
        "kind": kind,
        "inmate": inmate,
        "name": props.get("name"),
        "props": props,
        "cases": cases,
        "unpaid_fen": sum(c["unpaid_fen"] for c in cases if c["open"]),
        "open_litigation_start": open_start,
        "relations": relations,
        "roles": roles,
        "accounts": accounts,
        "same_as": same_as,
        "assets": assets,
    }


def _counterparty(row: dict) -> tuple[str | None, str | None, str]:
    if row.get("cp_person_id"):
        return row["cp_person_id"], row.get("cp_name"), "person"
    if row.get("cp_company_id"):
        return row["cp_company_id"], row.get("cp_name"), "company"
    return None, None, "unknown"


#: The relation fields of a transfer between two of the subject's own accounts.
_SELF = {"relation": "self", "tie_kind": None, "relation_zh": zh("relation", "self"),
         "relation_en": en("relation", "self"), "closeness": 1.0}


def subject_relatedness(graph: Graph, subject_id: str,
                        min_share_pct: float = DEFAULT_MIN_SHARE_PCT) -> Relatedness:
    """Who is related to the subject at any day: the same definition the patterns use."""
    return Relatedness(graph, [subject_id], min_share_pct)


def transfer_totals(graph: Graph, subject_id: str, since: dt.date | None = None,
                    until: dt.date | None = None) -> dict:
    """Count and totals of the subject's transfers between `since` and `until` (inclusive), whole range.

    {"count": n, "by_currency": {cur: {"in": minor, "out": minor, "internal": minor, "cash_out": minor,
    "cash_in": minor, "n": k}}}: amounts in each currency's 1/100 units, never added across currencies.
    Cash withdrawals / deposits (self-loops of kind cash_withdrawal / cash_deposit, no counterparty) are
    their own lines, never "between own accounts".
    """
    out: dict = {"count": 0, "by_currency": {}}
    for r in graph.read(queries.Q_SUBJECT_TRANSFER_TOTALS, {"sid": subject_id, "since": since, "until": until}):
        cur = out["by_currency"].setdefault(r["currency"], {"in": 0, "out": 0, "internal": 0, "cash_out": 0,
                                                            "cash_in": 0, "n": 0})
        cur[r["direction"]] += r["amount"]
        cur["n"] += r["n"]
        out["count"] += r["n"]
    return out


def transfers(graph: Graph, subject_id: str, since: dt.date | None = None, until: dt.date | None = None,
              limit: int | None = None, *, relatedness: Relatedness | None = None, newest_first: bool = False,
              offset: int = 0) -> list[dict]:
    """Every transfer in or out of the subject's accounts, oldest first (or newest first from
    `offset`, for paging), with its counterparty. Within a day, timed transfers come in time order
    and a date-only one (`at_has_time` False) after them (oldest first): its time is unknown.

    Each row: transfer_id, at, on, at_has_time (False: only the day is known), amount_fen, currency, channel, memo, direction
    ('out' / 'in' / 'internal' between two own accounts), account_id (own),
    counterparty_account, counterparty_holder_id / _name / _kind ('person', 'company' or
    'unknown' with `statement_name` from the statement), counterparty_holder_known,
    the counterparty's relation to the subject at the transfer day (`relation_fields` of
    investigations.related: relation, tie_kind, relation_zh, relation_en; 'self' between own
    accounts), src_file, src_row, load_id. At most `limit` rows (never more than MAX_TRANSFERS).
    """
    lim = MAX_TRANSFERS if limit is None else max(0, min(int(limit), MAX_TRANSFERS))
    if newest_first:
        rows = graph.read(Q_TRANSFERS_NEWEST, {"sid": subject_id, "since": since, "until": until, "limit": lim,
                                               "offset": max(0, int(offset))})
    else:
        rows = graph.read(queries.Q_SUBJECT_TRANSFERS, {"sid": subject_id, "since": since, "until": until, "limit": lim})
    rel = relatedness or subject_relatedness(graph, subject_id)
    out = []
    for r in rows:
        hid, hname, hkind = _counterparty(r)
        stmt = r.get("statement_name")
        if not stmt and r.get("cp_stmt_names"):
            stmt = r["cp_stmt_names"][0] if isinstance(r["cp_stmt_names"], list) else r["cp_stmt_names"]
        out.append({
            "transfer_id": r["transfer_id"], "at": r["at"], "on": r["on"], "at_has_time": r["at_has_time"],
            "amount_fen": r["amount_fen"],
            "currency": r["currency"], "channel": r["channel"], "memo": r["memo"],
            "direction": r["direction"], "account_id": r["account_id"], "account_kind": r["account_kind"],
            "counterparty_account": r["counterparty_account"],
            "counterparty_account_kind": r["counterparty_account_kind"],
            "counterparty_holder_known": bool(r["counterparty_holder_known"]),
            "counterparty_holder_id": hid,
            "counterparty_name": hname or stmt,
            "counterparty_kind": hkind,
            "statement_name": stmt,
            **(_SELF if r["direction"] == "internal" else relation_fields(rel.tie(subject_id, hid, r["on"]))),
            "src_file": r["src_file"], "src_row": r["src_row"], "load_id": r["load_id"],
        })
    if len(out) >= lim:
        logger.info("transfers of %s capped at %d rows", subject_id, lim)
    return out


def conveyances(graph: Graph, subject_id: str, limit: int | None = None, *,
                relatedness: Relatedness | None = None) -> list[dict]:
    """Asset conveyances from or to the subject, oldest first, with asset, price, appraisal and relation.

    `price_ratio` is price / appraised value (None without appraisal); `direction` is 'out'
    (the subject conveyed) or 'in' (the subject received).
    """
    lim = MAX_CONVEYANCES if limit is None else max(0, min(int(limit), MAX_CONVEYANCES))
    rows = graph.read(queries.Q_SUBJECT_CONVEYANCES, {"sid": subject_id, "limit": lim})
    rel = relatedness or subject_relatedness(graph, subject_id)
    out = []
    for r in rows:
        hid, hname, hkind = _counterparty(r)
        appraised = r.get("appraised_value_fen")
        price = r.get("price_fen") or 0
        out.append({
            "transfer_id": r["transfer_id"], "on": r["on"], "price_fen": price,
            "price_given": bool(r["price_given"]), "registry_ref": r["registry_ref"],
            "direction": r["direction"], "asset_id": r["asset_id"], "asset_kind": r["asset_kind"],
            "asset_description": r["asset_description"], "appraised_value_fen": appraised,
            "appraised_on": r["appraised_on"],
            "price_ratio": (price / appraised) if appraised else None,
            "from_id": r["from_id"], "from_name": r["from_name"], "to_id": r["to_id"], "to_name": r["to_name"],
            "counterparty_id": hid, "counterparty_name": hname, "counterparty_kind": hkind,
            **relation_fields(rel.tie(subject_id, hid, r["on"]) if r["on"] is not None else None),
            "src_file": r["src_file"], "src_row": r["src_row"], "load_id": r["load_id"],
        })
    return out


def _relation_only(row: dict) -> dict:
    return {k: row.get(k) for k in ("relation", "tie_kind", "relation_zh", "relation_en")}


MILESTONES = ("filed_on", "served_on", "judged_on", "effective_on", "enforcement_filed_on")


def timeline(graph: Graph, subject_id: str, limit: int = MAX_TIMELINE_EVENTS, *,
             profile_data: dict | None = None, transfer_rows: list[dict] | None = None,
             conveyance_rows: list[dict] | None = None, since: dt.date | None = None,
             until: dt.date | None = None) -> dict:
    """Case milestones and the subject's transfer / conveyance events, for the timeline chart.

    {"cases": [{case_no, kind, unpaid_fen, open, milestones: {name: date}}],
     "events": [{kind: 'transfer'|'conveyance', id, on, amount_fen, direction, counterparty_name,
                 relation, currency}], "start": date|None, "end": date|None, "truncated": bool}
    A caller that already holds the profile / transfers / conveyances may pass them to save the reads.
    """
    prof = profile_data if profile_data is not None else profile(graph, subject_id)
    if prof is None:
        return {"cases": [], "events": [], "start": None, "end": None, "truncated": False}
    cases = []
    days: list[dt.date] = []
    for c in prof["cases"]:
        ms = {m: c.get(m) for m in MILESTONES if c.get(m) is not None}
        days.extend(ms.values())
        cases.append({"case_no": c["case_no"], "kind": c.get("kind"), "unpaid_fen": c["unpaid_fen"],
                      "open": c["open"], "litigation_start": c.get("litigation_start"), "milestones": ms})
    events = []
    trs = transfer_rows if transfer_rows is not None else transfers(graph, subject_id, since, until,
                                                                    limit=limit + 1)
    truncated = len(trs) > limit
    for t in trs[:limit]:
        events.append({"kind": "transfer", "id": t["transfer_id"], "on": t["on"], "amount_fen": t["amount_fen"],
                       "direction": t["direction"], "counterparty_name": t["counterparty_name"],
                       **_relation_only(t), "currency": t["currency"]})
    for c in (conveyance_rows if conveyance_rows is not None else conveyances(graph, subject_id)):
        if c["on"] is not None and ((since and c["on"] < since) or (until and c["on"] > until)):
            continue  # the timeline shows the page's date range
        events.append({"kind": "conveyance", "id": c["transfer_id"], "on": c["on"],
                       "amount_fen": c["appraised_value_fen"] or c["price_fen"], "price_fen": c["price_fen"],
                       "direction": c["direction"], "counterparty_name": c["counterparty_name"],
                       **_relation_only(c), "currency": "CNY"})
    days.extend(e["on"] for e in events if e["on"] is not None)
    events.sort(key=lambda e: (e["on"] or dt.date.min, e["id"]))
    return {"cases": cases, "events": events, "start": min(days) if days else None,
            "end": max(days) if days else None, "truncated": truncated}
