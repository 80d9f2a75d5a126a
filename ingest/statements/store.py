"""Cypher of the statement loader: own accounts and aliases, bank-known persons, holder links,
transfers built from one or two sides, cash movements, and the look-ups pairing needs.

Why separate from ingest/writers.py: a transfer here is made of sides that may arrive in
different loads, so its writes add a side to an existing transfer instead of replacing it.
Every write MERGEs on a deterministic key, so a reload changes nothing.
"""
from __future__ import annotations

import logging
from typing import Any

from graph import Graph
from graph.schema import label
from ..writers import MAX_NAMES

logger = logging.getLogger(__name__)

_PROV = "{v}.load_id = $load_id, {v}.src_file = row.src_file, {v}.src_row = row.src_row"
SIDE_PROPS = ("side", "file", "row", "serial")


def _prov(v: str) -> str:
    return _PROV.format(v=v)


# Every record a statement load writes keeps one `prov` entry for the load ("<load_id>|statements|<json>",
# `$tag` is the prefix), as contract writes do (ingest/writers.py), so `ingest unload` takes back exactly
# what this load stated: a transfer both sides of which came in two loads keeps the other load's side.
_CLAIM = "SET {v}.prov = [e IN coalesce({v}.prov, []) WHERE NOT e STARTS WITH $tag] + ($tag + row.pj)"


def _union(var: str, field: str, cap: int | None = None) -> str:
    """`var.field` plus the row's values it lacks (a list property), capped at `cap` items."""
    expr = (f"reduce(acc = coalesce({var}.{field}, []), x IN row.{field} | "
            f"CASE WHEN x IN acc THEN acc ELSE acc + x END)")
    if cap:
        expr = f"({expr})[0..{cap}]"
    return f"CASE WHEN size(row.{field}) = 0 THEN {var}.{field} ELSE {expr} END"


Q_BANK_PERSONS = f"""
UNWIND $rows AS row
MERGE (p:Person {{person_id: row.key}})
ON CREATE SET {_prov('p')}, p.known_from = 'bank_return'
SET p.name = coalesce(p.name, row.name), p.id_number = row.id_number, p.id_number_valid = row.valid,
    p.phone = coalesce(p.phone, row.phone), p.address = coalesce(p.address, row.address)
{_CLAIM.format(v='p')}
"""

# Every account a load touches (its own accounts and every counterparty), merged once per load with
# what all its rows said: names and ID numbers the statements give, aliases, kind.
Q_ACCOUNTS = f"""
UNWIND $rows AS row
MERGE (a:Account {{account_id: row.key}})
ON CREATE SET a.holder_known = false, a.stmt_names = [], a.stmt_id_numbers = [], {_prov('a')}
SET a.kind = coalesce(a.kind, row.kind), a.institution = coalesce(a.institution, row.institution),
    a.opened_on = coalesce(a.opened_on, row.opened_on), a.closed_on = coalesce(a.closed_on, row.closed_on),
    a.queried = CASE WHEN row.queried THEN true ELSE a.queried END,
    a.name_only = CASE WHEN row.name_only AND NOT coalesce(a.holder_known, false) THEN true ELSE a.name_only END,
    a.aliases = {_union('a', 'aliases')},
    a.stmt_names = {_union('a', 'stmt_names', MAX_NAMES)},
    a.stmt_id_numbers = CASE WHEN coalesce(a.holder_known, false) THEN a.stmt_id_numbers
                             ELSE {_union('a', 'stmt_id_numbers')} END
{_CLAIM.format(v='a')}
"""


def q_holders(party_label: str) -> str:
    """Link accounts whose holder is unknown to the party an ID number resolved to, with the reason.

    The account keeps the link as its own entry (`<load>|statements_holder|`), so unloading the load
    takes `holder_known` back too.
    """
    lab = label(party_label)
    key = {"Person": "person_id", "Company": "company_id"}[lab]
    return f"""
UNWIND $rows AS row
MATCH (a:Account {{account_id: row.account}}), (h:{lab} {{{key}: row.party}})
WHERE NOT coalesce(a.holder_known, false)
SET a.holder_known = true, a.holder_id = row.party, a.holder_load_id = $load_id, a.holder_reason = row.reason
SET a.prov = [e IN coalesce(a.prov, []) WHERE NOT e STARTS WITH $htag] + ($htag + row.hj)
MERGE (h)-[r:HOLDS]->(a)
ON CREATE SET {_prov('r')}, r.reason = row.reason
{_CLAIM.format(v='r')}
"""


_SIDES = ", ".join(f"e.{d}_{p} = coalesce(e.{d}_{p}, row.{d}_{p})" for d in ("out", "in") for p in SIDE_PROPS)


def _upsert_transfer(create: str, update: str = "") -> str:
    """Q_TRANSFERS and Q_CASH share this shape: look the row's transfer up by id (`e`, null if new),
    forcing the relationship index SEEK (a plain hint let Neo4j plan an index scan filtered per row:
    tests/test_write_plans.py), then `create` makes `t` from the row when it is new, or `update`
    (then the load's claim) runs on `e` when it exists."""
    return f"""
UNWIND $rows AS row
OPTIONAL MATCH ()-[e:TRANSFER {{transfer_id: row.key}}]->()
USING INDEX SEEK e:TRANSFER(transfer_id)
CALL (row, e) {{
  WITH row WHERE e IS NULL
  {create}
  SET {_prov('t')}, t += row.props, t.at = localdatetime(row.at), t.on = date(row.on), t.prov = [$tag + row.pj]
}}
CALL (row, e) {{
  WITH row, e WHERE e IS NOT NULL
  {update}{_CLAIM.format(v='e')}
}}
"""


# A transfer: create it if its id is new (its accounts exist: Q_ACCOUNTS ran first), else add the
# sides it lacks (a partner from another return, possibly from another load). Either way the load
# claims it with what it stated (its sides).
Q_TRANSFERS = _upsert_transfer("""MATCH (a:Account {account_id: row.from_account})
  MATCH (b:Account {account_id: row.to_account})
  CREATE (a)-[t:TRANSFER {transfer_id: row.key}]->(b)""", update=f"SET {_SIDES}\n  ")

# A cash movement: a TRANSFER from the account to itself with `kind` cash_withdrawal / cash_deposit
# (contract v1.1, as contract rows are stored), so no counterparty is invented and no shared cash
# node exists that a path could run through; path searches read only kind 'transfer'.
Q_CASH = _upsert_transfer("""MATCH (a:Account {account_id: row.from_account})
  CREATE (a)-[t:TRANSFER {transfer_id: row.key}]->(a)""")

Q_EXISTING_SIDES = """
UNWIND $keys AS k
MATCH ()-[t:TRANSFER]->() WHERE t.out_side = k
RETURN k, t.transfer_id AS transfer_id
UNION
UNWIND $keys AS k
MATCH ()-[t:TRANSFER]->() WHERE t.in_side = k
RETURN k, t.transfer_id AS transfer_id
"""

# A lone side whose partner came in an earlier load: same accounts and amount, the other side
# present and this one empty, times within the tolerance (or the same day when one lacks a time).
Q_PARTNER = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.from_account})-[t:TRANSFER]->(b:Account {account_id: row.to_account})
WHERE t.amount_fen = row.amount AND coalesce(t.currency, 'CNY') = row.currency
  AND CASE WHEN row.out THEN t.out_side IS NULL AND t.in_side IS NOT NULL
           ELSE t.in_side IS NULL AND t.out_side IS NOT NULL END
  AND CASE WHEN row.has_time AND coalesce(t.at_has_time, true)
           THEN abs(duration.inSeconds(t.at, localdatetime(row.at)).seconds) <= $tolerance
           ELSE t.on = date(row.on) END
RETURN row.side AS side, t.transfer_id AS transfer_id, t.at AS at
ORDER BY side, at
"""

# An earlier return named an account by its card number and made an unknown-holder Account
# for it; now that a return says the card belongs to an account, its transfers move there.
Q_FOLD_ALIASES = """
UNWIND $rows AS row
MATCH (c:Account {account_id: row.alias})
WHERE NOT coalesce(c.holder_known, false) AND NOT coalesce(c.queried, false)
MERGE (a:Account {account_id: row.account})
ON CREATE SET a.holder_known = false, a.load_id = $load_id, a.src_file = row.src_file, a.src_row = row.src_row
WITH c, a
CALL (c, a) {
  MATCH (x)-[t:TRANSFER]->(c) WITH x, t, properties(t) AS p DELETE t
  WITH x, p CREATE (x)-[t2:TRANSFER]->(a) SET t2 = p
}
CALL (c, a) {
  MATCH (c)-[t:TRANSFER]->(y) WITH y, t, properties(t) AS p DELETE t
  WITH y, p CREATE (a)-[t2:TRANSFER]->(y) SET t2 = p
}
SET a.stmt_names = reduce(acc = coalesce(a.stmt_names, []), x IN coalesce(c.stmt_names, []) |
                          CASE WHEN x IN acc THEN acc ELSE acc + x END),
    a.prov = coalesce(a.prov, []) + [e IN coalesce(c.prov, []) WHERE NOT e IN coalesce(a.prov, [])]
DETACH DELETE c
"""

Q_ALIASES = "MATCH (a:Account) WHERE a.aliases IS NOT NULL RETURN a.account_id AS account_id, a.aliases AS aliases"

Q_PARTIES = """
UNWIND $ids AS id
OPTIONAL MATCH (p:Person) WHERE p.id_number = id
WITH id, collect(p.person_id) AS persons
OPTIONAL MATCH (c:Company {company_id: id})
RETURN id, persons, c.company_id AS company
"""

Q_HOLDERS_KNOWN = """
UNWIND $ids AS id MATCH (a:Account {account_id: id}) WHERE a.holder_known RETURN id, a.holder_id AS holder_id
"""


def existing_sides(g: Graph, keys: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(keys), 20000):
        for r in g.read(Q_EXISTING_SIDES, {"keys": keys[i:i + 20000]}, timeout=600):
            out[r["k"]] = r["transfer_id"]
    return out


def partners(g: Graph, rows: list[dict[str, Any]], tolerance: int) -> list[dict]:
    out: list[dict] = []
    for i in range(0, len(rows), 5000):
        out.extend(g.read(Q_PARTNER, {"rows": rows[i:i + 5000], "tolerance": tolerance}, timeout=600))
    return out


def aliases(g: Graph) -> dict[str, str]:
    """alias (card or other number) -> the Account's id, for accounts a return gave aliases."""
    out: dict[str, str] = {}
    for r in g.read(Q_ALIASES, timeout=600):
        for a in r["aliases"] or []:
            out[a] = r["account_id"]
    return out


def parties(g: Graph, ids: list[str]) -> dict[str, tuple[str, str] | str | None]:
    """ID number -> ('Person', person_id) / ('Company', company_id), 'ambiguous' or None."""
    out: dict[str, tuple[str, str] | str | None] = {}
    for i in range(0, len(ids), 20000):
        for r in g.read(Q_PARTIES, {"ids": ids[i:i + 20000]}, timeout=600):
            found = [("Person", p) for p in r["persons"]] + ([("Company", r["company"])] if r["company"] else [])
            out[r["id"]] = found[0] if len(found) == 1 else ("ambiguous" if found else None)
    return out


def known_holders(g: Graph, ids: list[str]) -> dict[str, str]:
    return {r["id"]: r["holder_id"] for r in g.read(Q_HOLDERS_KNOWN, {"ids": ids}, timeout=600)}
