"""The Cypher the evidence package runs itself (everything else comes through `investigations`).

Each query takes values only as `$params` and is bounded by its id list and a LIMIT.
"""
from __future__ import annotations

# Transfers cited by a lead that are not the subject's own (hops of a layered chain or round
# trip): looked up by id, with both ends' holders and provenance. Bounded by the id list.
Q_TRANSFERS_BY_ID = """
UNWIND $ids AS tid
MATCH (a:Account)-[t:TRANSFER {transfer_id: tid}]->(b:Account)
OPTIONAL MATCH (ha)-[:HOLDS]->(a)
OPTIONAL MATCH (hb)-[:HOLDS]->(b)
RETURN t.transfer_id AS transfer_id, t.at AS at, t.on AS on, t.amount_fen AS amount_fen,
       coalesce(t.at_has_time, true) AS has_time,
       coalesce(t.currency, 'CNY') AS currency, t.from_name AS from_name, t.to_name AS to_name,
       a.account_id AS from_account, b.account_id AS to_account,
       coalesce(ha.person_id, ha.company_id) AS from_holder_id, ha.name AS from_holder_name,
       coalesce(hb.person_id, hb.company_id) AS to_holder_id, hb.name AS to_holder_name,
       t.src_file AS src_file, t.src_row AS src_row, t.load_id AS load_id
ORDER BY t.at, t.transfer_id
LIMIT 100000
"""

Q_CONVEYANCES_BY_ID = """
UNWIND $ids AS xid
MATCH (x:AssetTransfer {transfer_id: xid})-[:OF_ASSET]->(s:Asset)
OPTIONAL MATCH (f)-[:CONVEYED]->(x)
OPTIONAL MATCH (x)-[:CONVEYED_TO]->(r)
RETURN x.transfer_id AS transfer_id, x.on AS on, coalesce(x.price_fen, 0) AS price_fen,
       s.asset_id AS asset_id, s.kind AS asset_kind, s.description AS asset_description,
       s.appraised_value_fen AS appraised_value_fen, x.from_id AS from_id, f.name AS from_name,
       x.to_id AS to_id, r.name AS to_name, x.src_file AS src_file, x.src_row AS src_row,
       x.load_id AS load_id
ORDER BY x.on, x.transfer_id
LIMIT 100000
"""

Q_BALANCES = """
UNWIND $keys AS k
MATCH (a:Account {account_id: k.account_id})-[:HAS_BALANCE]->(b:Balance)
WHERE b.as_of = k.as_of
RETURN a.account_id AS account_id, b.as_of AS as_of, b.balance_fen AS balance_fen,
       a.holder_id AS holder_id, b.src_file AS src_file, b.src_row AS src_row, b.load_id AS load_id
ORDER BY account_id, as_of
LIMIT 100000
"""

# Both sides' provenance of statement-built transfers (docs/statements.md): the payer's and the
# payee's return file, row and serial. Transfers from the transfers table have none (nulls).
Q_TRANSFER_SIDES = """
UNWIND $ids AS tid
MATCH (:Account)-[t:TRANSFER {transfer_id: tid}]->(:Account)
WHERE t.out_file IS NOT NULL OR t.in_file IS NOT NULL
RETURN t.transfer_id AS transfer_id, t.out_file AS out_file, t.out_row AS out_row, t.out_serial AS out_serial,
       t.in_file AS in_file, t.in_row AS in_row, t.in_serial AS in_serial
LIMIT 100000
"""
