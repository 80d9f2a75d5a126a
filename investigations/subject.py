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

logger = logging.getLogger(__name__)

#: Hard caps: a page shows at most this many transfers / events unless asked for fewer.
MAX_TRANSFERS = 20000
MAX_CONVEYANCES = 5000
MAX_TIMELINE_EVENTS = 2000
#: Neighbourhood: accounts busier than this are shown but not expanded (payment platforms, employers).
BUSY_DEGREE = 200
#: Neighbourhood: rows fetched per hop query (before the node cap is applied).
HOP_ROW_LIMIT = 5000

# The subject, whichever of person or company holds the id (ids are unique across both).
_SUBJECT = """
CALL () {
  MATCH (p:Person {person_id: $sid}) RETURN p AS s
  UNION
  MATCH (c:Company {company_id: $sid}) RETURN c AS s
}
"""

Q_PROFILE = _SUBJECT + """
RETURN s AS node, labels(s) AS labels
LIMIT 1
"""

Q_CASES = """
MATCH (k:Case {debtor_id: $sid})
RETURN k AS case
ORDER BY k.litigation_start, k.case_no
LIMIT 500
"""

Q_RELATIONS = """
MATCH (p:Person {person_id: $sid})-[r:RELATED]-(o:Person)
RETURN o.person_id AS other_id, o.name AS other_name, 'Inmate' IN labels(o) AS other_inmate,
       r.relation AS relation, coalesce(r.ended, false) AS ended, r.since AS since, r.until AS until,
       startNode(r) = p AS outgoing, r.src_file AS src_file, r.src_row AS src_row, r.load_id AS load_id
ORDER BY o.person_id, r.relation
LIMIT 500
"""

# Roles the subject (person) holds, or roles held in the subject (company).
Q_ROLES = """
CALL () {
  MATCH (p:Person {person_id: $sid})-[r:ROLE]->(c:Company)
  RETURN p.person_id AS person_id, p.name AS person_name, c.company_id AS company_id,
         c.name AS company_name, r AS r
  UNION
  MATCH (p:Person)-[r:ROLE]->(c:Company {company_id: $sid})
  RETURN p.person_id AS person_id, p.name AS person_name, c.company_id AS company_id,
         c.name AS company_name, r AS r
}
RETURN person_id, person_name, company_id, company_name, r.role AS role, r.share_pct AS share_pct,
       r.since AS since, r.until AS until, r.src_file AS src_file, r.src_row AS src_row,
       r.load_id AS load_id
ORDER BY company_id, person_id, role
LIMIT 500
"""

Q_ACCOUNTS = """
MATCH (a:Account {holder_id: $sid})
OPTIONAL CALL (a) {
  MATCH (a)-[:HAS_BALANCE]->(b:Balance)
  RETURN b ORDER BY b.as_of DESC LIMIT 1
}
RETURN a.account_id AS account_id, a.kind AS kind, a.institution AS institution,
       a.opened_on AS opened_on, a.closed_on AS closed_on,
       b.balance_fen AS balance_fen, b.as_of AS balance_as_of,
       COUNT { (a)-[:TRANSFER]-() } AS transfer_count,
       a.src_file AS src_file, a.src_row AS src_row, a.load_id AS load_id
ORDER BY a.account_id
LIMIT 500
"""

# Assets the subject owns or owned (named owner), or received by conveyance, with the current holder.
Q_ASSETS = _SUBJECT + """
CALL (s) {
  MATCH (s)-[:OWNS]->(x:Asset) RETURN x
  UNION
  MATCH (:AssetTransfer)-[:CONVEYED_TO]->(s) WITH s
  MATCH (t:AssetTransfer)-[:CONVEYED_TO]->(s) MATCH (t)-[:OF_ASSET]->(x:Asset) RETURN x
}
OPTIONAL CALL (x) {
  MATCH (t:AssetTransfer)-[:OF_ASSET]->(x)
  RETURN t ORDER BY t.on DESC, t.transfer_id DESC LIMIT 1
}
RETURN x.asset_id AS asset_id, x.kind AS kind, x.description AS description, x.owner_id AS owner_id,
       x.acquired_on AS acquired_on, x.appraised_value_fen AS appraised_value_fen,
       x.appraised_on AS appraised_on, coalesce(t.to_id, x.owner_id) AS current_owner_id,
       t.on AS last_conveyed_on, x.src_file AS src_file, x.src_row AS src_row, x.load_id AS load_id
ORDER BY x.asset_id
LIMIT 500
"""

# Every transfer in or out of the subject's accounts, with the counterparty and how it relates.
# A transfer between two of the subject's own accounts appears once (direction 'internal').
Q_TRANSFERS = _SUBJECT + """
MATCH (s)-[:HOLDS]->(a:Account)-[t:TRANSFER]-(b:Account)
WHERE ($since IS NULL OR t.on >= $since) AND ($until IS NULL OR t.on <= $until)
WITH s, a, t, b, startNode(t) = a AS outgoing, EXISTS { (s)-[:HOLDS]->(b) } AS own_cp
WHERE NOT (own_cp AND NOT outgoing)
OPTIONAL MATCH (h)-[:HOLDS]->(b)
RETURN t.transfer_id AS transfer_id, t.at AS at, t.on AS on, t.amount_fen AS amount_fen,
       coalesce(t.at_has_time, true) AS at_has_time, coalesce(t.currency, 'CNY') AS currency, t.channel AS channel, t.memo AS memo,
       CASE WHEN own_cp THEN 'internal' WHEN outgoing THEN 'out' ELSE 'in' END AS direction,
       a.account_id AS account_id, a.kind AS account_kind,
       b.account_id AS counterparty_account, b.kind AS counterparty_account_kind,
       coalesce(b.holder_known, h IS NOT NULL) AS counterparty_holder_known,
       h.person_id AS cp_person_id, h.company_id AS cp_company_id, h.name AS cp_name,
       CASE WHEN outgoing THEN t.to_name ELSE t.from_name END AS statement_name,
       b.stmt_names AS cp_stmt_names,
       [(s)-[r:RELATED]-(h) | {relation: r.relation, ended: coalesce(r.ended, false),
                              s_is_start: startNode(r) = s}] AS rels,
       [(s)-[r:ROLE]->(h) | r.role] AS own_roles,
       [(h)-[r:ROLE]->(s) | r.role] AS roles_in_subject,
       size([(s)-[:RELATED]-(x:Person)-[:ROLE]->(h) | x]) AS related_roles,
       t.src_file AS src_file, t.src_row AS src_row, t.load_id AS load_id
ORDER BY t.on, coalesce(t.at_has_time, true) DESC, t.at, t.transfer_id
LIMIT $limit
"""
# Newest first, one page: a date-only transfer sorts after the timed ones of its day (asc).
Q_TRANSFERS_NEWEST = Q_TRANSFERS.replace(
    "ORDER BY t.on, coalesce(t.at_has_time, true) DESC, t.at, t.transfer_id\nLIMIT $limit",
    "ORDER BY t.on DESC, coalesce(t.at_has_time, true) ASC, t.at DESC, t.transfer_id DESC\nSKIP $offset LIMIT $limit")
# Count and totals per currency and direction of every transfer in the range (not one page).
Q_TRANSFER_TOTALS = _SUBJECT + """
MATCH (s)-[:HOLDS]->(a:Account)-[t:TRANSFER]-(b:Account)
WHERE ($since IS NULL OR t.on >= $since) AND ($until IS NULL OR t.on <= $until)
WITH s, a, t, b, startNode(t) = a AS outgoing, EXISTS { (s)-[:HOLDS]->(b) } AS own_cp
WHERE NOT (own_cp AND NOT outgoing)
RETURN coalesce(t.currency, 'CNY') AS currency,
       CASE WHEN own_cp THEN 'internal' WHEN outgoing THEN 'out' ELSE 'in' END AS direction,
       count(t) AS n, sum(t.amount_fen) AS amount
"""

Q_CONVEYANCES = _SUBJECT + """
CALL (s) {
  MATCH (s)-[:CONVEYED]->(x:AssetTransfer) RETURN x, 'out' AS direction
  UNION
  MATCH (x:AssetTransfer)-[:CONVEYED_TO]->(s) RETURN x, 'in' AS direction
}
MATCH (x)-[:OF_ASSET]->(asset:Asset)
OPTIONAL MATCH (f)-[:CONVEYED]->(x)
OPTIONAL MATCH (x)-[:CONVEYED_TO]->(r)
WITH s, x, direction, asset, f, r, CASE WHEN direction = 'out' THEN r ELSE f END AS h
RETURN x.transfer_id AS transfer_id, x.on AS on, x.price_fen AS price_fen,
       coalesce(x.price_given, x.price_fen IS NOT NULL AND x.price_fen > 0) AS price_given,
       x.registry_ref AS registry_ref, direction,
       asset.asset_id AS asset_id, asset.kind AS asset_kind, asset.description AS asset_description,
       asset.appraised_value_fen AS appraised_value_fen, asset.appraised_on AS appraised_on,
       x.from_id AS from_id, f.name AS from_name, x.to_id AS to_id, r.name AS to_name,
       h.person_id AS cp_person_id, h.company_id AS cp_company_id, h.name AS cp_name,
       [(s)-[rr:RELATED]-(h) | {relation: rr.relation, ended: coalesce(rr.ended, false),
                               s_is_start: startNode(rr) = s}] AS rels,
       [(s)-[rr:ROLE]->(h) | rr.role] AS own_roles,
       [(h)-[rr:ROLE]->(s) | rr.role] AS roles_in_subject,
       size([(s)-[:RELATED]-(y:Person)-[:ROLE]->(h) | y]) AS related_roles,
       x.src_file AS src_file, x.src_row AS src_row, x.load_id AS load_id
ORDER BY x.on, x.transfer_id
LIMIT $limit
"""

# --- neighbourhood: one query per hop and kind of link, each over a frontier of ids ---------
Q_NB_RESOLVE = """
CALL () {
  MATCH (p:Person {person_id: $id}) RETURN 'entity' AS what, p AS n
  UNION
  MATCH (c:Company {company_id: $id}) RETURN 'entity' AS what, c AS n
  UNION
  MATCH (a:Account {account_id: $id}) RETURN 'account' AS what, a AS n
  UNION
  MATCH (x:Asset {asset_id: $id}) RETURN 'asset' AS what, x AS n
}
RETURN what, n, labels(n) AS labels
LIMIT 1
"""

Q_NB_ENTITIES = """
UNWIND $ids AS id
CALL (id) {
  MATCH (p:Person {person_id: id}) RETURN p AS n
  UNION
  MATCH (c:Company {company_id: id}) RETURN c AS n
}
RETURN n, labels(n) AS labels,
       [(n)-[:DEBTOR_IN]->(k:Case) WHERE coalesce(k.unpaid_fen, 0) > 0 | k.case_no] AS open_cases
LIMIT $limit
"""

Q_NB_ACCOUNTS = """
UNWIND $ids AS id
MATCH (a:Account {holder_id: id})
RETURN id AS holder, a.account_id AS account_id, a.kind AS kind, a.institution AS institution,
       true AS holder_known, a.stmt_names AS stmt_names, COUNT { (a)-[:TRANSFER]-() } AS degree
LIMIT $limit
"""

Q_NB_ACCOUNT_NODES = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS account_id, a.kind AS kind, a.institution AS institution, a.holder_id AS holder,
       coalesce(a.holder_known, a.holder_id IS NOT NULL) AS holder_known, a.stmt_names AS stmt_names,
       COUNT { (a)-[:TRANSFER]-() } AS degree
LIMIT $limit
"""

# Transfers of frontier accounts, aggregated per (from, to) account pair, largest first.
Q_NB_TRANSFERS = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[t:TRANSFER]-(b:Account)
WHERE ($since IS NULL OR t.on >= $since) AND t.amount_fen >= $min_fen
WITH DISTINCT t, startNode(t) AS x, endNode(t) AS y
WITH x, y, count(t) AS n, sum(CASE WHEN coalesce(t.currency, 'CNY') = 'CNY' THEN t.amount_fen ELSE 0 END) AS cny_fen,
     sum(t.amount_fen) AS all_fen, min(t.on) AS first_on, max(t.on) AS last_on,
     collect(t.transfer_id)[..50] AS transfer_ids, collect(DISTINCT coalesce(t.currency, 'CNY')) AS currencies
RETURN x.account_id AS src, y.account_id AS dst, n, cny_fen, all_fen, first_on, last_on, transfer_ids,
       currencies
ORDER BY cny_fen DESC, src, dst
LIMIT $limit
"""

# Transfers among accounts already in the view (the last hop's links to each other).
Q_NB_TRANSFERS_AMONG = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[t:TRANSFER]->(b:Account)
WHERE b.account_id IN $ids AND ($since IS NULL OR t.on >= $since) AND t.amount_fen >= $min_fen
WITH a, b, count(t) AS n, sum(CASE WHEN coalesce(t.currency, 'CNY') = 'CNY' THEN t.amount_fen ELSE 0 END) AS cny_fen,
     sum(t.amount_fen) AS all_fen, min(t.on) AS first_on, max(t.on) AS last_on,
     collect(t.transfer_id)[..50] AS transfer_ids, collect(DISTINCT coalesce(t.currency, 'CNY')) AS currencies
RETURN a.account_id AS src, b.account_id AS dst, n, cny_fen, all_fen, first_on, last_on, transfer_ids,
       currencies
ORDER BY cny_fen DESC, src, dst
LIMIT $limit
"""

Q_NB_RELATED = """
UNWIND $ids AS id
MATCH (p:Person {person_id: id})-[r:RELATED]-(o:Person)
WITH DISTINCT r, startNode(r) AS x, endNode(r) AS y
RETURN x.person_id AS src, y.person_id AS dst, r.relation AS relation, coalesce(r.ended, false) AS ended,
       r.since AS since, r.until AS until
LIMIT $limit
"""

Q_NB_ROLES = """
UNWIND $ids AS id
CALL (id) {
  MATCH (p:Person {person_id: id})-[r:ROLE]->(c:Company) RETURN r, p, c
  UNION
  MATCH (p:Person)-[r:ROLE]->(c:Company {company_id: id}) RETURN r, p, c
}
WITH DISTINCT r, p, c
RETURN p.person_id AS src, c.company_id AS dst, r.role AS role, r.share_pct AS share_pct,
       r.since AS since, r.until AS until
LIMIT $limit
"""

# Assets owned by, conveyed by or conveyed to frontier entities.
Q_NB_ASSETS = """
UNWIND $ids AS id
CALL (id) {
  MATCH (p:Person {person_id: id}) RETURN p AS n
  UNION
  MATCH (c:Company {company_id: id}) RETURN c AS n
}
CALL (n) {
  MATCH (n)-[:OWNS]->(x:Asset)
  RETURN x, null AS t
  UNION
  MATCH (n)-[:CONVEYED]->(t:AssetTransfer)-[:OF_ASSET]->(x:Asset)
  RETURN x, t
  UNION
  MATCH (t:AssetTransfer)-[:CONVEYED_TO]->(n) MATCH (t)-[:OF_ASSET]->(x:Asset)
  RETURN x, t
}
RETURN DISTINCT x.asset_id AS asset_id, x.kind AS kind, x.description AS description,
       x.owner_id AS owner_id, x.appraised_value_fen AS appraised_value_fen,
       t.transfer_id AS atid, t.from_id AS from_id, t.to_id AS to_id, t.on AS on, t.price_fen AS price_fen
LIMIT $limit
"""

# Asset nodes reached as a frontier: their owner and every conveyance of them.
Q_NB_ASSET_LINKS = """
UNWIND $ids AS id
MATCH (x:Asset {asset_id: id})
OPTIONAL MATCH (t:AssetTransfer)-[:OF_ASSET]->(x)
RETURN x.asset_id AS asset_id, x.kind AS kind, x.description AS description,
       x.owner_id AS owner_id, x.appraised_value_fen AS appraised_value_fen,
       t.transfer_id AS atid, t.from_id AS from_id, t.to_id AS to_id, t.on AS on, t.price_fen AS price_fen
LIMIT $limit
"""

ALLOWED_DEPTHS = (1, 2, 3)


# ------------------------------------------------------------------------------------------------
def _kind_of(labels: list[str]) -> str:
    return "company" if "Company" in labels else "person"


def _relation_of(row: dict, subject_kind: str) -> str | None:
    """How the counterparty relates to the subject, from the row's pattern comprehensions.

    Returns the relation from the subject's side ('spouse', 'former_spouse', 'parent' = the
    counterparty is the subject's parent, 'child', 'sibling', ...), 'role:<role>' for a company
    the subject holds a role in (or, for a company subject, a person holding a role in it),
    'related_role' for a company where a related person holds a role, else None.
    """
    for r in row.get("rels") or []:
        rel = r.get("relation")
        if rel == "spouse" and r.get("ended"):
            return "former_spouse"
        if rel == "parent":
            # stored child -> parent
            return "parent" if r.get("s_is_start") else "child"
        return rel
    if row.get("own_roles"):
        return "role:" + sorted(row["own_roles"])[0]
    if row.get("roles_in_subject"):
        return "role:" + sorted(row["roles_in_subject"])[0]
    if row.get("related_roles"):
        return "related_role"
    return None


def _subject_node(graph: Graph, subject_id: str) -> tuple[dict, str] | None:
    row = graph.read_one(Q_PROFILE, {"sid": subject_id})
    if not row:
        return None
    return row["node"], _kind_of(row["labels"])


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
    cases = []
    for r in graph.read(Q_CASES, {"sid": subject_id}):
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
    relations = []
    if kind == "person":
        for r in graph.read(Q_RELATIONS, {"sid": subject_id}):
            rel = r["relation"]
            if rel == "spouse" and r["ended"]:
                rel = "former_spouse"
            elif rel == "parent":
                rel = "parent" if r["outgoing"] else "child"
            relations.append({**r, "relation_to_subject": rel})
    roles = graph.read(Q_ROLES, {"sid": subject_id})
    accounts = graph.read(Q_ACCOUNTS, {"sid": subject_id})
    assets = graph.read(Q_ASSETS, {"sid": subject_id})
    return {
        "subject_id": subject_id,
        "kind": kind,
        "inmate": inmate,
        "name": props.get("name"),
        "props": props,
        "cases": cases,
        "unpaid_fen": sum(c["unpaid_fen"] for c in cases if c["open"]),
        "open_litigation_start": min(open_starts) if open_starts else None,
        "relations": relations,
        "roles": roles,
        "accounts": accounts,
        "assets": assets,
    }


def _counterparty(row: dict) -> tuple[str | None, str | None, str]:
    if row.get("cp_person_id"):
        return row["cp_person_id"], row.get("cp_name"), "person"
    if row.get("cp_company_id"):
        return row["cp_company_id"], row.get("cp_name"), "company"
    return None, None, "unknown"


def transfer_totals(graph: Graph, subject_id: str, since: dt.date | None = None,
                    until: dt.date | None = None) -> dict:
    """Count and totals of the subject's transfers between `since` and `until` (inclusive), whole range.

    {"count": n, "by_currency": {cur: {"in": minor, "out": minor, "internal": minor, "n": k}}}: amounts
    in each currency's 1/100 units, never added across currencies.
    """
    out: dict = {"count": 0, "by_currency": {}}
    for r in graph.read(Q_TRANSFER_TOTALS, {"sid": subject_id, "since": since, "until": until}):
        cur = out["by_currency"].setdefault(r["currency"], {"in": 0, "out": 0, "internal": 0, "n": 0})
        cur[r["direction"]] += r["amount"]
        cur["n"] += r["n"]
        out["count"] += r["n"]
    return out


def transfers(graph: Graph, subject_id: str, since: dt.date | None = None, until: dt.date | None = None,
              limit: int | None = None, *, newest_first: bool = False, offset: int = 0) -> list[dict]:
    """Every transfer in or out of the subject's accounts, oldest first (or newest first from
    `offset`, for paging), with its counterparty. Within a day, timed transfers come in time order
    and a date-only one (`at_has_time` False) after them (oldest first): its time is unknown.

    Each row: transfer_id, at, on, at_has_time (False: only the day is known), amount_fen, currency, channel, memo, direction
    ('out' / 'in' / 'internal' between two own accounts), account_id (own),
    counterparty_account, counterparty_holder_id / _name / _kind ('person', 'company' or
    'unknown' with `statement_name` from the statement), counterparty_holder_known,
    relation (see `_relation_of`), src_file, src_row, load_id. At most `limit` rows
    (never more than MAX_TRANSFERS).
    """
    lim = MAX_TRANSFERS if limit is None else max(0, min(int(limit), MAX_TRANSFERS))
    if newest_first:
        rows = graph.read(Q_TRANSFERS_NEWEST, {"sid": subject_id, "since": since, "until": until, "limit": lim,
                                               "offset": max(0, int(offset))})
    else:
        rows = graph.read(Q_TRANSFERS, {"sid": subject_id, "since": since, "until": until, "limit": lim})
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
            "relation": "self" if r["direction"] == "internal" else _relation_of(r, ""),
            "src_file": r["src_file"], "src_row": r["src_row"], "load_id": r["load_id"],
        })
    if len(out) >= lim:
        logger.info("transfers of %s capped at %d rows", subject_id, lim)
    return out


def conveyances(graph: Graph, subject_id: str, limit: int | None = None) -> list[dict]:
    """Asset conveyances from or to the subject, oldest first, with asset, price, appraisal and relation.

    `price_ratio` is price / appraised value (None without appraisal); `direction` is 'out'
    (the subject conveyed) or 'in' (the subject received).
    """
    lim = MAX_CONVEYANCES if limit is None else max(0, min(int(limit), MAX_CONVEYANCES))
    rows = graph.read(Q_CONVEYANCES, {"sid": subject_id, "limit": lim})
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
            "relation": _relation_of(r, ""),
            "src_file": r["src_file"], "src_row": r["src_row"], "load_id": r["load_id"],
        })
    return out


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
                       "relation": t["relation"], "currency": t["currency"]})
    for c in (conveyance_rows if conveyance_rows is not None else conveyances(graph, subject_id)):
        if c["on"] is not None and ((since and c["on"] < since) or (until and c["on"] > until)):
            continue  # the timeline shows the page's date range
        events.append({"kind": "conveyance", "id": c["transfer_id"], "on": c["on"],
                       "amount_fen": c["appraised_value_fen"] or c["price_fen"], "price_fen": c["price_fen"],
                       "direction": c["direction"], "counterparty_name": c["counterparty_name"],
                       "relation": c["relation"], "currency": "CNY"})
    days.extend(e["on"] for e in events if e["on"] is not None)
    events.sort(key=lambda e: (e["on"] or dt.date.min, e["id"]))
    return {"cases": cases, "events": events, "start": min(days) if days else None,
            "end": max(days) if days else None, "truncated": truncated}


# ------------------------------------------------------------------------------------------------
class _Net:
    """Accumulates the neighbourhood's nodes and edges under a node cap."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes: dict[str, dict] = {}
        self.edges: dict[str, dict] = {}
        self.dropped: set[str] = set()

    def has(self, nid: str) -> bool:
        return nid in self.nodes

    def add(self, node: dict) -> bool:
        nid = node["id"]
        if nid in self.nodes:
            return True
        if len(self.nodes) >= self.max_nodes:
            self.dropped.add(nid)
            return False
        self.nodes[nid] = node
        return True

    def entity(self, key: str | None) -> str | None:
        """The node id of a person / company already in the view."""
        if key is None:
            return None
        for prefix in ("p:", "c:"):
            if prefix + key in self.nodes:
                return prefix + key
        return None

    def edge(self, src: str | None, dst: str | None, kind: str, key: str, data: dict) -> None:
        if src is None or dst is None or src not in self.nodes or dst not in self.nodes:
            return
        eid = f"{kind}:{key}"
        if eid not in self.edges:
            self.edges[eid] = {"id": eid, "from": src, "to": dst, "kind": kind, **data}


def _nid(kind: str, key: str) -> str:
    prefix = {"person": "p", "inmate": "p", "company": "c", "account": "a", "unknown_account": "a",
              "asset": "s"}[kind]
    return f"{prefix}:{key}"


def _entity_node(n: dict, labels: list[str], depth: int, open_cases: list[str]) -> dict:
    if "Company" in labels:
        return {"id": _nid("company", n["company_id"]), "key": n["company_id"], "kind": "company",
                "name": n.get("name"), "depth": depth, "open_cases": open_cases}
    kind = "inmate" if "Inmate" in labels else "person"
    return {"id": _nid(kind, n["person_id"]), "key": n["person_id"], "kind": kind, "name": n.get("name"),
            "depth": depth, "open_cases": open_cases, "prison": n.get("prison")}


def _account_node(r: dict, depth: int) -> dict:
    known = bool(r.get("holder_known"))
    names = r.get("stmt_names") or []
    if isinstance(names, str):
        names = [names]
    return {"id": _nid("account", r["account_id"]), "key": r["account_id"],
            "kind": "account" if known else "unknown_account",
            "name": None if known else (names[0] if names else None),
            "account_kind": r.get("kind"), "institution": r.get("institution"), "holder": r.get("holder"),
            "degree": r.get("degree") or 0, "busy": (r.get("degree") or 0) > BUSY_DEGREE, "depth": depth}


def _asset_node(r: dict, depth: int) -> dict:
    return {"id": _nid("asset", r["asset_id"]), "key": r["asset_id"], "kind": "asset",
            "name": r.get("description"), "asset_kind": r.get("kind"),
            "appraised_value_fen": r.get("appraised_value_fen"), "depth": depth}


def neighbourhood(graph: Graph, subject_id: str, depth: int = 1, since: dt.date | None = None,
                  min_fen: int = 0, max_nodes: int = 300) -> dict | None:
    """The subject's neighbourhood for the network view, breadth first, capped at `max_nodes` nodes.

    A hop is one link between parties: a transfer (account to account), a relation, a company
    role, an asset owned or conveyed. An account counts as part of its holder (holder and
    accounts come in the same hop). Transfers are filtered by `since` and `min_fen` and
    aggregated per account pair (count, CNY total, first/last day, up to 50 transfer ids),
    largest first, so the cap keeps the biggest flows. Accounts with more than BUSY_DEGREE
    transfers are shown but not expanded. `subject_id` may also be an account or asset id (to
    expand any node of the view). Returns None if unknown, else {"root", "nodes", "edges",
    "truncated", "more" (nodes left out by the cap), "busy", "depth", "since", "min_fen"}.
    Node kinds: person, inmate, company, account, unknown_account, asset. Edge kinds: holds,
    transfer, related, role, owns, conveyed (party -> asset), conveyed_to (asset -> party).
    """
    if depth not in ALLOWED_DEPTHS:
        raise ValueError(f"depth must be one of {ALLOWED_DEPTHS}, not {depth!r}")
    max_nodes = max(1, min(int(max_nodes), 5000))
    min_fen = max(0, int(min_fen or 0))
    root = graph.read_one(Q_NB_RESOLVE, {"id": subject_id})
    if root is None:
        return None
    net = _Net(max_nodes)
    ents: list[str] = []
    accts: list[str] = []
    assets: list[str] = []
    if root["what"] == "entity":
        ents = [subject_id]
    elif root["what"] == "account":
        r = graph.read(Q_NB_ACCOUNT_NODES, {"ids": [subject_id], "limit": 1})[0]
        net.add(_account_node(r, 0))
        accts = [subject_id]
        if r.get("holder"):
            ents = [r["holder"]]  # the holder comes with its account
    else:
        r = graph.read(Q_NB_ASSET_LINKS, {"ids": [subject_id], "limit": 1})[0]
        net.add(_asset_node(r, 0))
        assets = [subject_id]
    root_id = {"entity": None, "account": _nid("account", subject_id),
               "asset": _nid("asset", subject_id)}[root["what"]]

    done_ent: set[str] = set()
    done_acct: set[str] = set()
    done_asset: set[str] = set()
    busy: set[str] = set()
    tried: set[str] = set()  # entity ids already fetched (added, or left out by the cap)
    for hop in range(depth + 1):
        # Materialise this hop's entities, then their accounts (an account belongs to its holder).
        new_ents = [e for e in dict.fromkeys(ents) if e not in done_ent and net.entity(e) is None
                    and e not in tried]
        tried.update(new_ents)
        if new_ents:
            for r in graph.read(Q_NB_ENTITIES, {"ids": new_ents, "limit": HOP_ROW_LIMIT}):
                net.add(_entity_node(r["n"], r["labels"], hop, r["open_cases"]))
        if root_id is None:
            root_id = net.entity(subject_id)
        ents = [e for e in dict.fromkeys(ents) if e not in done_ent and net.entity(e) is not None]
        if ents:
            for r in graph.read(Q_NB_ACCOUNTS, {"ids": ents, "limit": HOP_ROW_LIMIT}):
                nd = _account_node(r, hop)
                if net.add(nd):
                    net.edge(net.entity(r["holder"]), nd["id"], "holds", r["account_id"], {})
                    accts.append(r["account_id"])
        if hop == depth:
            break
        if len(net.nodes) >= max_nodes and net.dropped:
            break  # full: further hops could only add to the count of what is left out
        # rows fetched per query scale with the room left (the largest flows come first)
        row_limit = min(HOP_ROW_LIMIT, max(200, 4 * (max_nodes - len(net.nodes))))
        accts = [a for a in dict.fromkeys(accts) if a not in done_acct and net.has(_nid("account", a))]
        assets = [a for a in dict.fromkeys(assets) if a not in done_asset and net.has(_nid("asset", a))]
        done_ent.update(ents)
        done_acct.update(accts)
        done_asset.update(assets)
        nxt_ents: list[str] = []
        nxt_accts: list[str] = []
        nxt_assets: list[str] = []
        links: list[tuple[str, str, str, str, dict]] = []  # (kind, key, src ref, dst ref, data)

        # Transfers of this hop's accounts; busy accounts (other than the root) are not expanded.
        expandable = []
        for a in accts:
            nd = net.nodes[_nid("account", a)]
            if nd.get("busy") and nd["id"] != root_id:
                busy.add(a)
            else:
                expandable.append(a)
        if expandable:
            rows = graph.read(Q_NB_TRANSFERS, {"ids": expandable, "since": since, "min_fen": min_fen,
                                               "limit": row_limit})
            # only as many new accounts as there is room for are fetched (rows come largest first);
            # the rest are counted as left out
            room = max(0, max_nodes - len(net.nodes))
            missing: list[str] = []
            for r in rows:
                for x in (r["src"], r["dst"]):
                    if not net.has(_nid("account", x)) and x not in missing:
                        if len(missing) < room:
                            missing.append(x)
                        else:
                            net.dropped.add(_nid("account", x))
            info = {r["account_id"]: r for r in graph.read(Q_NB_ACCOUNT_NODES,
                                                             {"ids": missing, "limit": row_limit})} \
                if missing else {}
            for r in rows:
                for aid in (r["src"], r["dst"]):
                    if aid in info and not net.has(_nid("account", aid)):
                        if net.add(_account_node(info[aid], hop + 1)):
                            nxt_accts.append(aid)
                            if info[aid].get("holder"):
                                nxt_ents.append(info[aid]["holder"])
                _transfer_edge(net, r)
        # Relations, roles, assets of this hop's entities, and links of this hop's assets.
        if ents:
            for r in graph.read(Q_NB_RELATED, {"ids": ents, "limit": row_limit}):
                nxt_ents += [r["src"], r["dst"]]
                links.append(("related", f'{r["src"]}-{r["relation"]}-{r["dst"]}', "e:" + r["src"],
                              "e:" + r["dst"], {"relation": r["relation"], "ended": r["ended"],
                                                "since": r["since"], "until": r["until"]}))
            for r in graph.read(Q_NB_ROLES, {"ids": ents, "limit": row_limit}):
                nxt_ents += [r["src"], r["dst"]]
                links.append(("role", f'{r["src"]}-{r["role"]}-{r["dst"]}', "e:" + r["src"], "e:" + r["dst"],
                              {"role": r["role"], "share_pct": r["share_pct"], "since": r["since"],
                               "until": r["until"]}))
        asset_rows = graph.read(Q_NB_ASSETS, {"ids": ents, "limit": row_limit}) if ents else []
        if assets:
            asset_rows += graph.read(Q_NB_ASSET_LINKS, {"ids": assets, "limit": row_limit})
        for r in asset_rows:
            if net.add(_asset_node(r, hop + 1)) and r["asset_id"] not in done_asset:
                nxt_assets.append(r["asset_id"])
            if r.get("owner_id"):
                nxt_ents.append(r["owner_id"])
                links.append(("owns", r["asset_id"], "e:" + r["owner_id"], "s:" + r["asset_id"], {}))
            if r.get("atid"):
                nxt_ents += [r["from_id"], r["to_id"]]
                data = {"on": r["on"], "price_fen": r["price_fen"], "transfer_id": r["atid"]}
                links.append(("conveyed", r["atid"], "e:" + r["from_id"], "s:" + r["asset_id"], data))
                links.append(("conveyed_to", r["atid"], "s:" + r["asset_id"], "e:" + r["to_id"], data))
        # Materialise the entities these links name (they belong to the next hop), then the links.
        new_ents = [e for e in dict.fromkeys(nxt_ents) if e and net.entity(e) is None and e not in tried]
        tried.update(new_ents)
        if new_ents:
            for r in graph.read(Q_NB_ENTITIES, {"ids": new_ents, "limit": row_limit}):
                nd = _entity_node(r["n"], r["labels"], hop + 1, r["open_cases"])
                net.add(nd)
        for kind, key, src, dst, data in links:
            net.edge(_ref(net, src), _ref(net, dst), kind, key, data)
        ents = [e for e in dict.fromkeys(nxt_ents) if e and e not in done_ent]
        accts = nxt_accts
        assets = nxt_assets
    _links_among(graph, net, since, min_fen)
    edges = list(net.edges.values())
    return {"root": root_id, "nodes": list(net.nodes.values()), "edges": edges,
            "truncated": bool(net.dropped), "more": len(net.dropped), "busy": sorted(busy),
            "depth": depth, "since": since, "min_fen": min_fen}


def _transfer_edge(net: _Net, r: dict) -> None:
    net.edge(_nid("account", r["src"]), _nid("account", r["dst"]), "transfer", f'{r["src"]}->{r["dst"]}',
             {"count": r["n"], "amount_fen": r["cny_fen"], "all_fen": r["all_fen"],
              "first_on": r["first_on"], "last_on": r["last_on"],
              "transfer_ids": r["transfer_ids"], "currencies": r["currencies"]})


def _links_among(graph: Graph, net: _Net, since: dt.date | None, min_fen: int) -> None:
    """Transfers, relations and roles between nodes already in the view (no new nodes)."""
    accts = [n["key"] for n in net.nodes.values() if n["kind"] in ("account", "unknown_account")]
    if accts:
        for r in graph.read(Q_NB_TRANSFERS_AMONG, {"ids": accts, "since": since, "min_fen": min_fen,
                                                   "limit": HOP_ROW_LIMIT}):
            _transfer_edge(net, r)
    persons = [n["key"] for n in net.nodes.values() if n["kind"] in ("person", "inmate")]
    ents = persons + [n["key"] for n in net.nodes.values() if n["kind"] == "company"]
    if persons:
        for r in graph.read(Q_NB_RELATED, {"ids": persons, "limit": HOP_ROW_LIMIT}):
            net.edge(net.entity(r["src"]), net.entity(r["dst"]), "related",
                     f'{r["src"]}-{r["relation"]}-{r["dst"]}',
                     {"relation": r["relation"], "ended": r["ended"], "since": r["since"], "until": r["until"]})
    if ents:
        for r in graph.read(Q_NB_ROLES, {"ids": ents, "limit": HOP_ROW_LIMIT}):
            net.edge(net.entity(r["src"]), net.entity(r["dst"]), "role", f'{r["src"]}-{r["role"]}-{r["dst"]}',
                     {"role": r["role"], "share_pct": r["share_pct"], "since": r["since"], "until": r["until"]})


def _ref(net: _Net, ref: str) -> str | None:
    kind, key = ref.split(":", 1)
    if kind == "e":
        return net.entity(key)
    nid = _nid("asset", key)
    return nid if net.has(nid) else None
