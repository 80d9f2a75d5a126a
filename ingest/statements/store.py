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

logger = logging.getLogger(__name__)

_PROV = "{v}.load_id = $load_id, {v}.src_file = row.src_file, {v}.src_row = row.src_row"
SIDE_PROPS = ("side", "file", "row", "serial")


def _prov(v: str) -> str:
    return _PROV.format(v=v)


Q_BANK_PERSONS = f"""
UNWIND $rows AS row
MERGE (p:Person {{person_id: row.key}})
ON CREATE SET {_prov('p')}, p.known_from = 'bank_return'
SET p.name = coalesce(p.name, row.name), p.id_number = row.id_number, p.id_number_valid = row.valid,
    p.phone = coalesce(p.phone, row.phone), p.address = coalesce(p.address, row.address)
"""

Q_ACCOUNTS = f"""
UNWIND $rows AS row
MERGE (a:Account {{account_id: row.key}})
ON CREATE SET a.holder_known = false, a.stmt_names = [], {_prov('a')}
SET a.kind = coalesce(a.kind, row.kind), a.institution = coalesce(a.institution, row.institution),
    a.opened_on = coalesce(a.opened_on, row.opened_on), a.closed_on = coalesce(a.closed_on, row.closed_on),
    a.queried = true,
    a.aliases = reduce(acc = coalesce(a.aliases, []), x IN row.aliases |
                       CASE WHEN x IN acc THEN acc ELSE acc + x END)
"""


def q_holders(party_label: str) -> str:
    """Link accounts whose holder is unknown to the party an ID number resolved to, with the reason."""
    lab = label(party_label)
    key = {"Person": "person_id", "Company": "company_id"}[lab]
    return f"""
UNWIND $rows AS row
MATCH (a:Account {{account_id: row.account}}), (h:{lab} {{{key}: row.party}})
WHERE NOT coalesce(a.holder_known, false)
SET a.holder_known = true, a.holder_id = row.party, a.holder_load_id = $load_id, a.holder_reason = row.reason
MERGE (h)-[r:HOLDS]->(a)
ON CREATE SET {_prov('r')}, r.reason = row.reason
"""


_NEW = "ON CREATE SET {v}.holder_known = false, {v}.stmt_names = [], {v}.stmt_id_numbers = [], " + _PROV
_NAME = ("SET {v}.stmt_names = CASE WHEN row.{f} IS NULL OR row.{f} IN coalesce({v}.stmt_names, [])"
         " OR size(coalesce({v}.stmt_names, [])) >= 20 THEN {v}.stmt_names"
         " ELSE coalesce({v}.stmt_names, []) + row.{f} END")
_IDN = ("SET {v}.stmt_id_numbers = CASE WHEN row.{f} IS NULL OR {v}.holder_known"
        " OR row.{f} IN coalesce({v}.stmt_id_numbers, []) THEN {v}.stmt_id_numbers"
        " ELSE coalesce({v}.stmt_id_numbers, []) + row.{f} END")
_SIDES = ", ".join(f"t.{d}_{p} = coalesce(t.{d}_{p}, row.{d}_{p})" for d in ("out", "in") for p in SIDE_PROPS)

# A transfer: create it if its id is new, else add the sides it lacks (a partner from
# another return, possibly from another load).
Q_TRANSFERS = f"""
UNWIND $rows AS row
MERGE (a:Account {{account_id: row.from_account}})
{_NEW.format(v='a')}
MERGE (b:Account {{account_id: row.to_account}})
{_NEW.format(v='b')}
WITH a, b, row
{_NAME.format(v='a', f='from_name')}
{_NAME.format(v='b', f='to_name')}
{_IDN.format(v='a', f='from_id_number')}
{_IDN.format(v='b', f='to_id_number')}
WITH a, b, row
OPTIONAL MATCH ()-[e:TRANSFER {{transfer_id: row.key}}]->()
USING INDEX e:TRANSFER(transfer_id)
FOREACH (_ IN CASE WHEN e IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[t:TRANSFER {{transfer_id: row.key}}]->(b)
  SET {_prov('t')}, t += row.props, t.at = localdatetime(row.at), t.on = date(row.on)
)
WITH row, e WHERE e IS NOT NULL
WITH row, e AS t
SET {_SIDES}
"""

# A cash movement: a TRANSFER from the account to itself with `kind` cash_withdrawal / cash_deposit
# (contract v1.1, as contract rows are stored), so no counterparty is invented and no shared cash
# node exists that a path could run through; path searches read only kind 'transfer'.
Q_CASH = f"""
UNWIND $rows AS row
MATCH (a:Account {{account_id: row.from_account}})
OPTIONAL MATCH ()-[e:TRANSFER {{transfer_id: row.key}}]->()
USING INDEX e:TRANSFER(transfer_id)
WITH a, row WHERE e IS NULL
CREATE (a)-[t:TRANSFER {{transfer_id: row.key}}]->(a)
SET {_prov('t')}, t += row.props, t.at = localdatetime(row.at), t.on = date(row.on)
"""

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
MATCH (c:Account {account_id: row.alias}), (a:Account {account_id: row.account})
WHERE NOT coalesce(c.holder_known, false) AND NOT coalesce(c.queried, false)
CALL (c, a) {
  MATCH (x)-[t:TRANSFER]->(c) WITH x, t, properties(t) AS p DELETE t
  WITH x, p CREATE (x)-[t2:TRANSFER]->(a) SET t2 = p
}
CALL (c, a) {
  MATCH (c)-[t:TRANSFER]->(y) WITH y, t, properties(t) AS p DELETE t
  WITH y, p CREATE (a)-[t2:TRANSFER]->(y) SET t2 = p
}
SET a.stmt_names = reduce(acc = coalesce(a.stmt_names, []), x IN coalesce(c.stmt_names, []) |
                          CASE WHEN x IN acc THEN acc ELSE acc + x END)
DETACH DELETE c
"""

Q_NAME_ONLY = """
UNWIND $ids AS id MATCH (a:Account {account_id: id}) WHERE NOT coalesce(a.holder_known, false)
SET a.name_only = true
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
