"""The Cypher of the `investigations` package (patterns excepted: they are `.cypher` files in
`patterns/`), in one place and loaded by name: `from . import queries` then `queries.Q_<MODULE>_<NAME>`.

Each query takes values only as `$params` and is bounded (a LIMIT, a validated depth or an id
list). Sections follow the module that runs them; a new query goes into its module's section.
"""
from __future__ import annotations


# --- investigations/analysis.py ----------------------------------------------

Q_ANALYSIS_SUBJECT = """
OPTIONAL MATCH (p:Person {person_id: $id})
OPTIONAL MATCH (c:Company {company_id: $id})
WITH coalesce(p, c) AS h
WHERE h IS NOT NULL
RETURN h.name AS name, CASE WHEN h:Person THEN 'person' ELSE 'company' END AS kind,
       COLLECT { MATCH (h)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account) RETURN a.account_id } AS accounts,
       COLLECT { MATCH (h)-[:DEBTOR_IN]->(k:Case) WHERE k.unpaid_fen > 0 RETURN k.litigation_start } AS starts
"""

Q_ANALYSIS_HOLDERS = """
UNWIND $ids AS aid
MATCH (a:Account {account_id: aid})
OPTIONAL MATCH (h)-[:HOLDS]->(a)
RETURN aid, coalesce(h.person_id, h.company_id) AS holder_id,
       coalesce(h.name, head(coalesce(a.stmt_names, []))) AS name, a.kind AS kind
"""


# --- investigations/flow.py --------------------------------------------------

Q_FLOW_CASES = """
MATCH (k:Case {debtor_id: $id})
RETURN k.case_no AS case_no, k.kind AS kind, k.court AS court, k.litigation_start AS litigation_start,
       k.filed_on AS filed_on, k.unpaid_fen AS unpaid_fen, k.amount_due_fen AS amount_due_fen,
       k.amount_paid_fen AS amount_paid_fen
ORDER BY k.litigation_start, k.case_no
"""

# Account facts, the latest balance on or before as_of (with its source row), and freezes /
# seizures in force on as_of. Restriction nodes (contract v1.1 `restrictions`) may not exist
# in an older graph: matched by label and properties only, so no node simply means none known.
Q_FLOW_ACCOUNTS = """
UNWIND $ids AS aid
OPTIONAL MATCH (a:Account {account_id: aid})
OPTIONAL MATCH (h)-[:HOLDS]->(a)
CALL (a) {
  OPTIONAL MATCH (a)-[:HAS_BALANCE]->(b:Balance) WHERE b.as_of <= $as_of
  RETURN b ORDER BY b.as_of DESC LIMIT 1
}
RETURN aid, a.institution AS institution, a.kind AS kind, coalesce(h.person_id, h.company_id) AS holder_id,
       coalesce(h.name, head(coalesce(a.stmt_names, []))) AS holder_name,
       b.balance_fen AS balance_fen, b.as_of AS balance_on, b.src_file AS balance_file, b.src_row AS balance_row
"""

Q_FLOW_RESTRICTIONS = """
UNWIND $targets AS tg
MATCH (r:Restriction)
WHERE r.target = tg AND r.kind IN $kinds AND r.ordered_on <= $as_of
  AND (r.lifted_on IS NULL OR r.lifted_on > $as_of)
RETURN r.target AS target, r.kind AS kind, r.ordered_on AS ordered_on, r.case_no AS case_no,
       r.src_file AS src_file, r.src_row AS src_row
ORDER BY r.ordered_on
"""


# --- investigations/freeze.py ------------------------------------------------

Q_FREEZE_CONVEYED = """
CALL () {
  MATCH (p:Person {person_id: $id}) RETURN p AS d
  UNION
  MATCH (c:Company {company_id: $id}) RETURN c AS d
}
MATCH (d)-[:CONVEYED]->(x:AssetTransfer)-[:OF_ASSET]->(s:Asset)
WHERE x.on >= $since AND x.on <= $as_of
CALL (s) {
  MATCH (s)<-[:OF_ASSET]-(later:AssetTransfer) WHERE later.on <= $as_of
  RETURN later ORDER BY later.on DESC, later.transfer_id DESC LIMIT 1
}
OPTIONAL MATCH (op:Person {person_id: later.to_id})
OPTIONAL MATCH (oc:Company {company_id: later.to_id})
RETURN x.transfer_id AS transfer_id, x.on AS on, x.price_fen AS price_fen, s.asset_id AS asset_id,
       s.kind AS asset_kind, s.description AS description, s.appraised_value_fen AS appraised_value_fen,
       later.to_id AS owner_id, coalesce(op.name, oc.name) AS owner_name, later.on AS owner_since,
       x.src_file AS transfer_file, x.src_row AS transfer_row, s.src_file AS asset_file, s.src_row AS asset_row
ORDER BY x.on, x.transfer_id
"""


# Assets the subject holds on $as_of: owned from the start (OWNS, acquired by then, never conveyed by
# then) or received by the latest conveyance on or before $as_of; with the rows that say so.
Q_FREEZE_OWNED = """
CALL () {
  MATCH (p:Person {person_id: $id}) RETURN p AS d
  UNION
  MATCH (c:Company {company_id: $id}) RETURN c AS d
}
CALL (d) {
  MATCH (d)-[:OWNS]->(s:Asset) RETURN s
  UNION
  MATCH (d)<-[:CONVEYED_TO]-(x:AssetTransfer)-[:OF_ASSET]->(s:Asset) WHERE x.on <= $as_of RETURN s
}
WITH s, head(COLLECT {
  MATCH (s)<-[:OF_ASSET]-(t:AssetTransfer) WHERE t.on <= $as_of
  RETURN t ORDER BY t.on DESC, t.transfer_id DESC LIMIT 1
}) AS later
WHERE (later IS NULL AND s.owner_id = $id AND (s.acquired_on IS NULL OR s.acquired_on <= $as_of))
   OR later.to_id = $id
RETURN s.asset_id AS asset_id, s.kind AS asset_kind, s.description AS description,
       s.appraised_value_fen AS appraised_value_fen, s.appraised_on AS appraised_on,
       s.acquired_on AS acquired_on, s.src_file AS src_file, s.src_row AS src_row,
       later.transfer_id AS transfer_id, later.on AS received_on, later.src_file AS transfer_file,
       later.src_row AS transfer_row
ORDER BY asset_id
"""

# Mortgages and pledges on $ids registered on or before $as_of and not released by then.
Q_FREEZE_ENCUMBRANCES = """
UNWIND $ids AS aid
MATCH (e:Encumbrance)-[:ENCUMBERS]->(a:Asset {asset_id: aid})
WHERE e.registered_on <= $as_of AND (e.released_on IS NULL OR e.released_on > $as_of)
OPTIONAL MATCH (e)-[:HELD_BY]->(h)
RETURN a.asset_id AS asset_id, e.encumbrance_id AS encumbrance_id, e.kind AS kind,
       e.registered_on AS registered_on, e.amount_fen AS amount_fen,
       coalesce(h.person_id, h.company_id) AS holder_id, h.name AS holder_name,
       e.src_file AS src_file, e.src_row AS src_row
ORDER BY asset_id, registered_on, encumbrance_id
"""


# --- investigations/lookup.py ------------------------------------------------

Q_LOOKUP_SEARCH_PERSON_NAME = """
MATCH (p:Person) WHERE p.name CONTAINS $q
RETURN p.person_id AS id, 'person' AS kind, p.name AS name, p.id_number AS id_number,
       'Inmate' IN labels(p) AS inmate, p.prison AS prison
ORDER BY size(p.name), p.person_id LIMIT $limit
"""

Q_LOOKUP_SEARCH_PERSON_ID = """
CALL () {
  MATCH (p:Person {person_id: $q}) RETURN p
  UNION
  MATCH (p:Person {id_number: $q}) RETURN p
  UNION
  MATCH (p:Inmate {inmate_no: $q}) RETURN p
}
RETURN p.person_id AS id, 'person' AS kind, p.name AS name, p.id_number AS id_number,
       'Inmate' IN labels(p) AS inmate, p.prison AS prison
LIMIT $limit
"""

Q_LOOKUP_SEARCH_COMPANY = """
CALL () {
  MATCH (c:Company) WHERE c.name CONTAINS $q RETURN c
  UNION
  MATCH (c:Company {company_id: $q}) RETURN c
}
RETURN c.company_id AS id, 'company' AS kind, c.name AS name
ORDER BY size(c.name), c.company_id LIMIT $limit
"""

Q_LOOKUP_SEARCH_ACCOUNT = """
CALL () {
  MATCH (a:Account {account_id: $q}) RETURN a
  UNION
  MATCH (a:Account) WHERE a.aliases IS NOT NULL AND $q IN a.aliases RETURN a  // a card number of the account
}
OPTIONAL MATCH (h)-[:HOLDS]->(a)
RETURN a.account_id AS id, a.kind AS account_kind, a.institution AS institution,
       coalesce(a.holder_known, false) AS holder_known, a.holder_id AS holder_id, h.name AS holder_name,
       a.stmt_names AS stmt_names
LIMIT $limit
"""

Q_LOOKUP_SEARCH_CASE = """
MATCH (k:Case) WHERE k.case_no CONTAINS $q
OPTIONAL MATCH (d)-[:DEBTOR_IN]->(k)
RETURN k.case_no AS case_no, k.kind AS kind, k.court AS court, k.debtor_id AS debtor_id, d.name AS debtor_name,
       k.unpaid_fen AS unpaid_fen
ORDER BY k.case_no LIMIT $limit
"""

Q_LOOKUP_UNPAID = """
MATCH (k:Case) WHERE k.unpaid_fen > 0
RETURN count(k) AS open_cases, sum(k.unpaid_fen) AS unpaid_fen
"""

# Prison of each subject and court of each case, to filter leads on the dashboard.
Q_LOOKUP_LEAD_CONTEXT = """
UNWIND $pairs AS pr
OPTIONAL MATCH (p:Person {person_id: pr.subject_id})
OPTIONAL MATCH (k:Case {case_no: pr.case_no})
RETURN pr.subject_id AS subject_id, pr.case_no AS case_no, p.prison AS prison, k.court AS court
"""

Q_LOOKUP_UNPAID_OF = """
UNWIND $ids AS id
MATCH (k:Case {debtor_id: id}) WHERE k.unpaid_fen > 0
RETURN id, sum(k.unpaid_fen) AS unpaid_fen
"""

# --- recovery records: the case and prison a record is filed under, cases' unpaid amounts ---------
Q_LOOKUP_CASE_CONTEXT = """
MATCH (k:Case {case_no: $case_no})
OPTIONAL MATCH (p:Person {person_id: k.debtor_id})
RETURN k.debtor_id AS debtor_id, k.court AS court, p.prison AS prison, k.unpaid_fen AS unpaid_fen
"""

Q_LOOKUP_UNPAID_CASES = """
UNWIND $case_nos AS cn
MATCH (k:Case {case_no: cn})
RETURN k.case_no AS case_no, k.unpaid_fen AS unpaid_fen, k.court AS court, k.debtor_id AS debtor_id
"""

Q_LOOKUP_SUBJECT_PRISON = """
OPTIONAL MATCH (p:Person {person_id: $id})
RETURN p.prison AS prison
"""


# --- investigations/measures.py ----------------------------------------------

Q_MEASURES_SUBJECT = "MATCH (s) WHERE (s:Person AND s.person_id = $sid) OR (s:Company AND s.company_id = $sid)\n"

Q_MEASURES_RESTRICTIONS = Q_MEASURES_SUBJECT + """
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
Q_MEASURES_ENCUMBRANCES = Q_MEASURES_SUBJECT + """
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

Q_MEASURES_CASH = Q_MEASURES_SUBJECT + """
MATCH (s)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(a)
WHERE t.kind IN ['cash_withdrawal', 'cash_deposit']
  AND ($since IS NULL OR t.on >= $since) AND ($until IS NULL OR t.on <= $until)
RETURN t.transfer_id AS transfer_id, t.kind AS kind, t.at AS at, t.on AS on, t.at_has_time AS at_has_time,
       t.amount_fen AS amount_fen, t.currency AS currency, a.account_id AS account_id, t.channel AS channel,
       t.memo AS memo, t.src_file AS src_file, t.src_row AS src_row, t.load_id AS load_id
ORDER BY at, transfer_id
"""


# --- investigations/network.py -----------------------------------------------

# --- neighbourhood: one query per hop and kind of link, each over a frontier of ids ---------
Q_NETWORK_RESOLVE = """
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

Q_NETWORK_ENTITIES = """
UNWIND $ids AS id
CALL (id) {
  MATCH (p:Person {person_id: id}) RETURN p AS n
  UNION
  MATCH (c:Company {company_id: id}) RETURN c AS n
}
RETURN n {.person_id, .company_id, .name, .prison} AS n, labels(n) AS labels,
       [(n)-[:DEBTOR_IN]->(k:Case) WHERE coalesce(k.unpaid_fen, 0) > 0 | k.case_no] AS open_cases
LIMIT $limit
"""

Q_NETWORK_ACCOUNTS = """
UNWIND $ids AS id
MATCH (a:Account {holder_id: id})
RETURN id AS holder, a.account_id AS account_id, a.kind AS kind, a.institution AS institution,
       true AS holder_known, a.stmt_names AS stmt_names, COUNT { (a)-[:TRANSFER]-() } AS degree
LIMIT $limit
"""

Q_NETWORK_ACCOUNT_NODES = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS account_id, a.kind AS kind, a.institution AS institution, a.holder_id AS holder,
       coalesce(a.holder_known, a.holder_id IS NOT NULL) AS holder_known, a.stmt_names AS stmt_names,
       COUNT { (a)-[:TRANSFER]-() } AS degree
LIMIT $limit
"""

# Transfers aggregated per (from, to) account pair: count, CNY total, all-currency total, first/last
# day, up to 50 transfer ids (earliest first), currencies. The shared tail of the two queries below,
# which differ only in which transfers they aggregate; rows `t`, `x` (from), `y` (to) come in, and
# whatever else is carried in `keep` (a WITH list) is passed through.
def _network_pair_aggregate(keep: str = "") -> str:
    carry = keep + ", " if keep else ""
    return f"""
WITH {carry}x, y, t ORDER BY t.on, t.transfer_id
WITH {carry}x, y, count(t) AS n,
     sum(CASE WHEN coalesce(t.currency, 'CNY') = 'CNY' THEN t.amount_fen ELSE 0 END) AS cny_fen,
     sum(t.amount_fen) AS all_fen, min(t.on) AS first_on, max(t.on) AS last_on,
     collect(t.transfer_id)[..50] AS transfer_ids, collect(DISTINCT coalesce(t.currency, 'CNY')) AS currencies
"""


_NETWORK_PAIR_COLUMNS = """x.account_id AS src, y.account_id AS dst, n, cny_fen, all_fen, first_on, last_on, transfer_ids,
       currencies"""
_NETWORK_PAIR_MAP = """src: x.account_id, dst: y.account_id, n: n, cny_fen: cny_fen, all_fen: all_fen,
                  first_on: first_on, last_on: last_on, transfer_ids: transfer_ids, currencies: currencies"""

# The frontier's counterparties, capped IN the database: transfers of the frontier accounts ($ids)
# with accounts not yet in the view ($known, which includes $ids) are summed per counterparty
# account, the counterparties ranked by CNY total (then all-currency total, then id), and only the
# top $limit come back: per (from, to) pair one row with the pair's aggregate and the counterparty's
# details (what an account node shows). `total` is the number of distinct counterparties before the
# cut, so the page can say how many it left out. A transfer found here has exactly one end in the
# frontier, so each is counted once; transfers between accounts already in the view are drawn by
# Q_NETWORK_TRANSFERS_AMONG.
Q_NETWORK_TRANSFERS = """
UNWIND $ids AS id
MATCH (a:Account {account_id: id})-[t:TRANSFER]-(b:Account)
WHERE ($since IS NULL OR t.on >= $since) AND t.amount_fen >= $min_fen AND NOT b.account_id IN $known
WITH b, collect(t) AS ts,
     sum(CASE WHEN coalesce(t.currency, 'CNY') = 'CNY' THEN t.amount_fen ELSE 0 END) AS rank_cny,
     sum(t.amount_fen) AS rank_all
ORDER BY rank_cny DESC, rank_all DESC, b.account_id
WITH collect({b: b, ts: ts}) AS ranked
CALL (ranked) {
  UNWIND range(0, size(ranked[..$limit]) - 1) AS rank
  WITH rank, ranked[rank].b AS b, ranked[rank].ts AS ts
  UNWIND ts AS t
  WITH rank, b, t, startNode(t) AS x, endNode(t) AS y""" + _network_pair_aggregate("rank, b") + """
  ORDER BY rank, cny_fen DESC, x.account_id, y.account_id
  RETURN collect({account_id: b.account_id, kind: b.kind, institution: b.institution, holder: b.holder_id,
                  holder_known: coalesce(b.holder_known, b.holder_id IS NOT NULL), stmt_names: b.stmt_names,
                  degree: COUNT { (b)-[:TRANSFER]-() }, """ + _NETWORK_PAIR_MAP + """}) AS rows
}
RETURN size(ranked) AS total, rows
"""

# Transfers among accounts already in the view ($ids), both ends in the view. Each is found by walking
# the transfers of one of its ends: every visible account's outgoing transfers, or every visible account's
# incoming ones, whichever are fewer (the degrees per direction come from the store's counts, not from a
# walk). A payment platform or an employer in the view takes tens of thousands of payments in, from
# everyone in the store, and pays out a few; a hub pays out thousands: walking such an account's busy side
# made this read grow with the store, not with the subject (docs/benchmarks.md, "Network page as the
# store grows"). (Walking both sides of every account but the busiest, as before, never reads fewer.)
# Each transfer is found once (from its start, or from its end), so no DISTINCT over them is needed (it
# cost more than the walk at 5M). The walks are list comprehensions, so they can only expand from the
# visible account.
Q_NETWORK_TRANSFERS_AMONG = """
UNWIND $ids AS id
WITH DISTINCT id
MATCH (a:Account {account_id: id})
WITH collect(a) AS vs, sum(COUNT { (a)-[:TRANSFER]->() }) AS outs, sum(COUNT { (a)<-[:TRANSFER]-() }) AS ins
UNWIND vs AS a
CALL (a, outs, ins) {
  WITH a WHERE outs <= ins
  UNWIND [(a)-[t:TRANSFER]->(b:Account) WHERE b.account_id IN $ids | t] AS t
  RETURN t
  UNION ALL
  WITH a WHERE outs > ins
  UNWIND [(a)<-[t:TRANSFER]-(b:Account) WHERE b.account_id IN $ids | t] AS t
  RETURN t
}
WITH t WHERE ($since IS NULL OR t.on >= $since) AND t.amount_fen >= $min_fen
WITH t, startNode(t) AS x, endNode(t) AS y""" + _network_pair_aggregate() + """
RETURN """ + _NETWORK_PAIR_COLUMNS + """
ORDER BY cny_fen DESC, src, dst
LIMIT $limit
"""

Q_NETWORK_RELATED = """
UNWIND $ids AS id
MATCH (p:Person {person_id: id})-[r:RELATED]-(o:Person)
WITH DISTINCT r, startNode(r) AS x, endNode(r) AS y
RETURN x.person_id AS src, y.person_id AS dst, r.relation AS relation, coalesce(r.ended, false) AS ended,
       r.since AS since, r.until AS until
LIMIT $limit
"""

Q_NETWORK_ROLES = """
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
Q_NETWORK_ASSETS = """
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
Q_NETWORK_ASSET_LINKS = """
UNWIND $ids AS id
MATCH (x:Asset {asset_id: id})
OPTIONAL MATCH (t:AssetTransfer)-[:OF_ASSET]->(x)
RETURN x.asset_id AS asset_id, x.kind AS kind, x.description AS description,
       x.owner_id AS owner_id, x.appraised_value_fen AS appraised_value_fen,
       t.transfer_id AS atid, t.from_id AS from_id, t.to_id AS to_id, t.on AS on, t.price_fen AS price_fen
LIMIT $limit
"""


# --- investigations/postprocessors.py ----------------------------------------

#: The holder (or, for an account known only from statements, the first statement name) of each account.
Q_POSTPROCESSORS_HOLDER_NAMES = (
    "UNWIND $ids AS aid MATCH (a:Account {account_id: aid}) OPTIONAL MATCH (h)-[:HOLDS]->(a) "
    "RETURN aid, coalesce(h.person_id, h.company_id) AS holder_id, "
    "coalesce(h.name, head(coalesce(a.stmt_names, []))) AS name")


# The debtors of the cases the money patterns anchor on (same WHERE as the pattern files).
Q_POSTPROCESSORS_OPEN_DEBTORS = """
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of
  AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
RETURN DISTINCT coalesce(d.person_id, d.company_id) AS id
ORDER BY id
"""

# --- investigations/related.py -----------------------------------------------

Q_RELATED_RELATIONS = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[r:RELATED]-(o:Person)
RETURN pid, o.person_id AS other, r.relation AS relation, coalesce(r.ended, false) AS ended,
       r.since AS since, r.until AS until, startNode(r) = p AS outgoing
"""

Q_RELATED_HOLDERS = """
UNWIND $ids AS cid
MATCH (h:Person)-[ro:ROLE]->(c:Company {company_id: cid})
RETURN cid, h.person_id AS person_id, ro.role AS role, ro.share_pct AS share_pct,
       ro.since AS since, ro.until AS until
"""

Q_RELATED_ROLES = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[ro:ROLE]->(c:Company)
RETURN pid, c.company_id AS company_id, ro.role AS role, ro.share_pct AS share_pct,
       ro.since AS since, ro.until AS until
"""


# --- investigations/runner.py ------------------------------------------------

# Found from the transfers (the currency index: non-CNY ones are few), then their debtors: the
# same rows as walking every open-case debtor's transfers since litigation start, far fewer reads.
Q_RUNNER_NON_CNY = """
CALL () {
  MATCH (a:Account)-[t:TRANSFER]->(b:Account) WHERE t.currency > 'CNY' RETURN a, t, b
  UNION
  MATCH (a:Account)-[t:TRANSFER]->(b:Account) WHERE t.currency < 'CNY' RETURN a, t, b
}
WITH a, t, b WHERE t.on <= $as_of
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a)
WITH d, a, t, b, COLLECT {
  MATCH (d)-[:DEBTOR_IN]->(c:Case)
  WHERE c.unpaid_fen > 0 AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
  RETURN c.litigation_start AS s ORDER BY s LIMIT 1
} AS start
WHERE size(start) > 0 AND t.on >= start[0]
  AND NOT EXISTS { (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(b) }
RETURN t.currency AS currency, sum(t.amount_fen) AS amount, count(t) AS n
ORDER BY currency
"""

Q_RUNNER_CASE_FACTS = """
UNWIND $ids AS id MATCH (c:Case {case_no: id})
RETURN c.case_no AS case_no, c.amount_due_fen AS amount_due_fen, c.amount_paid_fen AS amount_paid_fen,
       c.paid_history AS paid_history
"""


# --- investigations/scan.py --------------------------------------------------

Q_SCAN_UNPAID = """
UNWIND $ids AS sid
MATCH (c:Case {debtor_id: sid})
WHERE c.filed_on <= $as_of
RETURN sid, c.amount_due_fen AS amount_due_fen, c.amount_paid_fen AS amount_paid_fen, c.unpaid_fen AS unpaid_fen,
       c.paid_history AS paid_history
"""


# --- investigations/subject.py -----------------------------------------------

# The subject, whichever of person or company holds the id (ids are unique across both).
Q_SUBJECT_SUBJECT = """
CALL () {
  MATCH (p:Person {person_id: $sid}) RETURN p AS s
  UNION
  MATCH (c:Company {company_id: $sid}) RETURN c AS s
}
"""

Q_SUBJECT_CASES = """
MATCH (k:Case {debtor_id: $sid})
RETURN k AS case
ORDER BY k.litigation_start, k.case_no
LIMIT 500
"""

Q_SUBJECT_RELATIONS = """
MATCH (p:Person {person_id: $sid})-[r:RELATED]-(o:Person)
RETURN o.person_id AS other_id, o.name AS other_name, 'Inmate' IN labels(o) AS other_inmate,
       r.relation AS relation, coalesce(r.ended, false) AS ended, r.since AS since, r.until AS until,
       startNode(r) = p AS outgoing, r.src_file AS src_file, r.src_row AS src_row, r.load_id AS load_id
ORDER BY o.person_id, r.relation
LIMIT 500
"""

# Roles the subject (person) holds, or roles held in the subject (company).
Q_SUBJECT_ROLES = """
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

Q_SUBJECT_ACCOUNTS = """
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
Q_SUBJECT_ASSETS = Q_SUBJECT_SUBJECT + """
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

# Every transfer in or out of the subject's accounts, with the counterparty (its relation: `related`).
# A transfer between two of the subject's own accounts appears once (direction 'internal').
Q_SUBJECT_TRANSFERS = Q_SUBJECT_SUBJECT + """
MATCH (s)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]-(b:Account)
WHERE ($since IS NULL OR t.on >= $since) AND ($until IS NULL OR t.on <= $until)
WITH s, a, t, b, startNode(t) = a AS outgoing, EXISTS { (s)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(b) } AS own_cp
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
       t.src_file AS src_file, t.src_row AS src_row, t.load_id AS load_id
ORDER BY t.on, coalesce(t.at_has_time, true) DESC, t.at, t.transfer_id
LIMIT $limit
"""

# Count and totals per currency and direction of every transfer in the range (not one page).
Q_SUBJECT_TRANSFER_TOTALS = Q_SUBJECT_SUBJECT + """
MATCH (s)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]-(b:Account)
WHERE ($since IS NULL OR t.on >= $since) AND ($until IS NULL OR t.on <= $until)
WITH s, a, t, b, startNode(t) = a AS outgoing, EXISTS { (s)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(b) } AS own_cp
WHERE NOT (own_cp AND NOT outgoing)
// cash withdrawals and deposits are self-loops with no counterparty: their own lines, not "internal"
WITH DISTINCT t, coalesce(t.currency, 'CNY') AS currency,
     CASE WHEN t.kind = 'cash_withdrawal' THEN 'cash_out' WHEN t.kind = 'cash_deposit' THEN 'cash_in'
          WHEN own_cp THEN 'internal' WHEN outgoing THEN 'out' ELSE 'in' END AS direction
RETURN currency, direction, count(t) AS n, sum(t.amount_fen) AS amount
"""

Q_SUBJECT_CONVEYANCES = Q_SUBJECT_SUBJECT + """
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
       x.src_file AS src_file, x.src_row AS src_row, x.load_id AS load_id
ORDER BY x.on, x.transfer_id
LIMIT $limit
"""


# --- investigations/related.py: entity resolution (ingest.entities) ----------

#: Every record joined to a canonical record by `python -m ingest resolve` (few: the duplicates).
Q_SAME_AS_MAP = """
MATCH (a)-[:SAME_AS]->(c)
RETURN coalesce(a.person_id, a.company_id) AS id, coalesce(c.person_id, c.company_id) AS canonical
"""

#: The other records of the subject's entity (investigations/subject.py: "same person as").
Q_SUBJECT_SAME_AS = """
CALL () {
  MATCH (:Person {person_id: $sid})-[:SAME_AS*1..2]-(o:Person) RETURN o
  UNION
  MATCH (:Company {company_id: $sid})-[:SAME_AS*1..2]-(o:Company) RETURN o
}
RETURN DISTINCT coalesce(o.person_id, o.company_id) AS id, o.name AS name, o.id_number AS id_number,
       o.src_file AS src_file, o.src_row AS src_row
ORDER BY id
"""
