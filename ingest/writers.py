"""Batched `UNWIND $rows ... MERGE` writers, one per table, and the look-ups validation needs.

All Cypher of the loader lives here. Every write MERGEs on the contract key, so a batch
that the driver retries, or a folder loaded twice, changes nothing. `ON CREATE` records
the creating load and source row; a later load that changes a value marks itself in
`updated_load_id`. Labels of a referenced party (Person or Company) are resolved
before writing and interpolated only through the schema allow-list.

Every node and relationship also keeps `prov`, one entry per (load, table) that stated
it: `"<load_id>|<table>|<json of what that row said>"` (`$tag` is the prefix). A load
replaces its own entry and leaves the others, so `loads.unload` can take back exactly
one load's statements: drop its entries, delete what nobody else stated, and rebuild
the values of what others stated too from their entries.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from graph import Graph
from graph.schema import label, rel_type

logger = logging.getLogger(__name__)

PARTY_KEY = {"Person": "person_id", "Company": "company_id"}

#: Most names kept on an Account's `stmt_names` (statement names, from every table and return).
MAX_NAMES = 20

_PROV = "{v}.load_id = $load_id, {v}.src_file = row.src_file, {v}.src_row = row.src_row"


def _prov(var: str) -> str:
    return _PROV.format(v=var)


def _claim(var: str, entry: str = "row.pe") -> str:
    """Record that this load (and table) stated `var`: its `prov` entry, replacing its own older one."""
    return (f"SET {var}.prov = [e IN coalesce({var}.prov, []) WHERE NOT e STARTS WITH $tag] + ($tag + {entry})\n")


def _set_props(var: str) -> str:
    """SET the row's props, marking a change made by a later load, and claim `var` with them."""
    return (f"WITH *, [k IN keys(row.props) WHERE {var}[k] IS NULL OR {var}[k] <> row.props[k]] AS changed_{var}\n"
            + _claim(var, "row.pj") +
            f"SET {var} += row.props\n"
            f"FOREACH (_ IN CASE WHEN size(changed_{var}) > 0 AND {var}.load_id <> $load_id THEN [1] ELSE [] END |"
            f" SET {var}.updated_load_id = $load_id)\n")


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return {"$dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"$d": v.isoformat()}
    return v


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def prov_entry(table: str, p: dict[str, Any]) -> tuple[str, str]:
    """The JSON a row leaves in `prov` of what it wrote: (with its values, source only).

    `loads.unload` rebuilds a record from the entries that remain (`loads.decode_entry`).
    A new transfer of the contract loader leaves the compact entry instead (`compact_entry`).
    """
    src = {"_f": p["src_file"], "_r": p["src_row"]}
    values = {k: _json_value(v) for k, v in p["props"].items()}
    if table == "transfers":
        values["at"] = {"$dt": p["at"]}
        values["on"] = {"$d": p["on"]}
    elif table == "relations":
        values["ended"] = bool(p["ended"])
    elif table == "accounts":
        values["holder_id"] = p["holder_id"]
    elif table == "cases":
        values["_k"] = p["known_at"]
    return _json({**src, **values}), _json(src)


# A transfer the contract loader CREATES (Q_TRANSFERS_CREATE, and the bulk import) keeps a compact
# entry: its source, and the names of its extra columns if it has any (`_x`), not its values. Its
# values are the relationship's own: the contract transfer properties (_T_PROPS, `at`, `on`) and
# those extra columns. That holds while no other load overwrites them, and the only write that does,
# Q_TRANSFERS_UPDATE, first expands every compact entry of another load into a full one
# (`expand_entry`, from the values it read). A statement load adds sides and never overwrites them.
# Why: the full entry (every value again, ~250 bytes a row) was most of the server's extra work
# against LOAD CSV (docs/benchmarks.md, "Loader, session 21", section 1).
def entry_head(src_file: str) -> str:
    """The start of a source entry, up to its row number: `{"_f":"<file>","_r":`."""
    return '{"_f":' + _json(src_file) + ',"_r":'


def compact_tail(p: dict[str, Any]) -> str | None:
    """What a new transfer's compact entry has after its row number, when it has extra columns."""
    extras = sorted(k for k in p["props"] if k not in _T_PROPS)
    return ',"_x":' + _json(extras) + "}" if extras else None


def compact_entry(p: dict[str, Any]) -> str:
    """The compact entry of a new transfer payload (what Q_TRANSFERS_CREATE builds from its row)."""
    return entry_head(p["src_file"]) + str(p["src_row"]) + (compact_tail(p) or "}")


def is_compact(table: str, values: dict[str, Any]) -> bool:
    """A transfers-table entry without values (a full one always has `at`)."""
    return table == "transfers" and "_r" in values and set(values) <= {"_f", "_r", "_x"}


def compact_values(values: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """A compact entry's values: the source, and the TRANSFER's own values (`props`, as stored)."""
    keys = [*_T_PROPS, "at", "on", *values.get("_x", [])]
    return {"_f": values["_f"], "_r": values["_r"], **{k: props[k] for k in keys if props.get(k) is not None}}


def expand_entry(entry: str, props: dict[str, Any]) -> str:
    """`entry` as a full entry, if it is a compact one, with the values `props` has (read before a
    write overwrites them); any other entry as it is."""
    load_id, table, text = entry.split("|", 2)
    values = json.loads(text)
    if not is_compact(table, values):
        return entry
    return f"{load_id}|{table}|" + _json({k: _json_value(v) for k, v in compact_values(values, props).items()})


def _party(var: str, lab: str, id_field: str) -> str:
    lab = label(lab)
    return f"({var}:{lab} {{{PARTY_KEY[lab]}: row.{id_field}}})"


Q_PERSONS = ("UNWIND $rows AS row MERGE (n:Person {person_id: row.key}) ON CREATE SET " + _prov("n") + "\n"
             + _set_props("n"))
Q_COMPANIES = ("UNWIND $rows AS row MERGE (n:Company {company_id: row.key}) ON CREATE SET " + _prov("n") + "\n"
               + _set_props("n"))
Q_INMATES = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
SET p:Inmate
""" + _claim("p", "row.pj") + """SET p.inmate_load_id = coalesce(p.inmate_load_id, $load_id),
    p.inmate_src_file = coalesce(p.inmate_src_file, row.src_file),
    p.inmate_src_row = coalesce(p.inmate_src_row, row.src_row)
SET p += row.props
"""
Q_RELATIONS = """
UNWIND $rows AS row
MATCH (a:Person {person_id: row.a}), (b:Person {person_id: row.b})
MERGE (a)-[r:RELATED {relation: row.relation}]->(b)
ON CREATE SET """ + _prov("r") + "\n" + _set_props("r") + """
SET r.ended = coalesce(r.ended, false) OR row.ended
"""
Q_ROLES = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id}), (c:Company {company_id: row.company_id})
MERGE (p)-[r:ROLE {role: row.role}]->(c)
ON CREATE SET """ + _prov("r") + "\n" + _set_props("r")


def q_accounts(holder_label: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH {_party('h', holder_label, 'holder_id')}
MERGE (a:Account {{account_id: row.key}})
ON CREATE SET {_prov('a')}
SET a.holder_load_id = CASE WHEN coalesce(a.holder_known, false) THEN a.holder_load_id ELSE $load_id END
SET a.holder_known = true, a.holder_id = row.holder_id
{_set_props('a')}
MERGE (h)-[r:HOLDS]->(a)
ON CREATE SET {_prov('r')}
{_claim('r')}"""


Q_BALANCES = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (b:Balance {account_id: row.account_id, as_of: row.as_of})
ON CREATE SET """ + _prov("b") + "\n" + _set_props("b") + """
MERGE (a)-[r:HAS_BALANCE]->(b)
ON CREATE SET """ + _prov("r") + "\n" + _claim("r")

_NEW_ACCOUNT = ("ON CREATE SET {v}.holder_known = false, {v}.stmt_names = [], " + _PROV)
# Transfers are written in two steps: rows whose transfer_id exists only update properties
# (found through the relationship uniqueness index); new rows CREATE the relationship
# (Q_TRANSFERS_CREATE). A MERGE on the pattern would expand every relationship of a busy account
# (a merchant with thousands of payments) for each row. The loader passes each key once per batch.
# The accounts of every written row, stored or new, are claimed and named afterwards, in file order
# (Q_TRANSFER_CLAIMS).
Q_TRANSFERS_UPDATE = f"""
UNWIND $rows AS row
MATCH ()-[t:TRANSFER {{transfer_id: row.key}}]->()
USING INDEX SEEK t:TRANSFER(transfer_id)
SET t.prov = CASE WHEN row.was IS NOT NULL AND t.prov = row.was THEN row.full ELSE t.prov END
WITH t, row, localdatetime(row.at) AS at, date(row.on) AS on
FOREACH (_ IN CASE WHEN t.at <> at AND t.load_id <> $load_id THEN [1] ELSE [] END | SET t.updated_load_id = $load_id)
SET t.at = at, t.on = on
{_set_props('t')}
"""
# New transfers (issue 11) are written in three steps per chunk (`loader._TableLoad._write_new`):
# 1. Q_TRANSFER_ACCOUNTS, one transaction: the accounts the chunk's rows name that this run has not
#    claimed yet, merged ONCE each, created with the first row naming them (idempotent: MERGE).
# 2. Q_TRANSFERS_CREATE, in parts of `loader.TRANSFER_TX_ROWS` rows run by `loader.WRITERS`
#    concurrent transactions: each relationship CREATEd between accounts found by key (index seek).
#    The parts share accounts but only read them (MATCH) and add relationships, so they do not wait
#    on each other's node locks the way claims would; Neo4j retries a deadlock (transient).
# 3. Q_TRANSFER_CLAIMS, one transaction, once every part is written: each account claimed by the
#    first row of the load naming it, the names its rows give appended in file order, each once, at
#    most MAX_NAMES (idempotent: a claim of this load stays, a name is added only when missing); only
#    what this run has not sent yet (`unsent_claims`: once per account, not once per chunk). After
#    the parts, so a chunk whose part fails (below) leaves no claim or name of rows it did not write.
# On a first load the parameters of steps 1 and 2 are built ahead, for the next chunk, in the validation
# thread while this chunk is written (`loader._TableLoad.plan`, session 23).
# Each row travels as a LIST (`transfer_row`, positions in TRANSFER_FIELDS), not a map that repeats
# its keys, and the properties are set one by one (the contract fixes them; extra columns, if any,
# come as one map). `src_file` is the part's (`$src_file`): a part never spans two files. A row whose
# account is missing would be dropped by the MATCH without a word: the part returns how many it
# created, and the loader stops the load when that falls short (`loader._TableLoad._write_part`).
# No row looks its key up first: any key that exists (an earlier load, an earlier chunk of this load,
# a killed run of it, or this very part when the driver retries a commit whose answer it lost) fails
# the part on the `transfer_key` uniqueness constraint, so nothing is written twice, and the loader
# then looks the chunk's keys up and writes what is missing (`loader._TableLoad._write_transfers`).
# History: before session 18 each row merged both its accounts and rewrote their `prov`: 0.44x LOAD
# CSV; session 18 merged the accounts once per transaction; session 19 sent list rows and a batch id
# on the Load node (which made a lost-answer retry a no-op, but serialises concurrent parts: dropped
# in session 21 for the concurrent parts; docs/benchmarks.md, "Loader, session 21", section 2).
TRANSFER_FIELDS = ("key", "from_account", "to_account", "src_row", "at", "on", "amount_fen", "currency",
                   "at_has_time", "channel", "memo", "from_name", "to_name", "kind", "merchant", "extras", "tail")
_TP = {f: i for i, f in enumerate(TRANSFER_FIELDS)}
_T_PROPS = ("amount_fen", "currency", "at_has_time", "channel", "memo", "from_name", "to_name", "kind", "merchant")
Q_TRANSFER_ACCOUNTS = f"""
UNWIND $accounts AS row
MERGE (a:Account {{account_id: row.key}})
{_NEW_ACCOUNT.format(v='a')}
"""
Q_TRANSFER_CLAIMS = f"""
UNWIND $accounts AS row
MATCH (a:Account {{account_id: row.key}})
WITH a, row, coalesce(a.stmt_names, []) AS had
FOREACH (_ IN CASE WHEN row.pe IS NULL OR any(e IN coalesce(a.prov, []) WHERE e STARTS WITH $tag) THEN [] ELSE [1] END |
  SET a.prov = coalesce(a.prov, []) + ($tag + row.pe))
WITH a, had, reduce(s = had, n IN row.names | CASE WHEN n IN s OR size(s) >= {MAX_NAMES} THEN s ELSE s + n END) AS names
FOREACH (_ IN CASE WHEN size(names) = size(had) THEN [] ELSE [1] END | SET a.stmt_names = names)
"""
Q_TRANSFERS_CREATE = f"""
UNWIND $rows AS row
MATCH (a:Account {{account_id: row[{_TP['from_account']}]}})
MATCH (b:Account {{account_id: row[{_TP['to_account']}]}})
CREATE (a)-[t:TRANSFER {{transfer_id: row[{_TP['key']}]}}]->(b)
SET t.load_id = $load_id, t.src_file = $src_file, t.src_row = row[{_TP['src_row']}],
    {', '.join(f't.{f} = row[{_TP[f]}]' for f in _T_PROPS)},
    t.at = localdatetime(row[{_TP['at']}]), t.on = date(row[{_TP['on']}]),
    t.prov = [$head + toString(row[{_TP['src_row']}]) + coalesce(row[{_TP['tail']}], '}}')]
SET t += coalesce(row[{_TP['extras']}], {{}})
RETURN count(t) AS created
"""


def transfer_row(p: dict[str, Any]) -> list[Any]:
    """A transfer payload (`loader._payload`) as the list Q_TRANSFERS_CREATE reads (TRANSFER_FIELDS)."""
    props = p["props"]
    extras = {k: v for k, v in props.items() if k not in _T_PROPS}
    return [p["key"], p["from_account"], p["to_account"], p["src_row"], p["at"], p["on"],
            *map(props.get, _T_PROPS), extras or None, compact_tail(p) if extras else None]


def transfer_row_number(row: list[Any]) -> int:
    """The source row number of a `transfer_row`."""
    return row[_TP["src_row"]]


def transfer_accounts_params(rows: list[dict[str, Any]], load_id: str, tag: str) -> dict[str, Any]:
    """The parameters of Q_TRANSFER_ACCOUNTS and Q_TRANSFER_CLAIMS for new transfer payloads (a chunk's)."""
    return {"accounts": transfer_accounts(rows), "load_id": load_id, "tag": tag}


def transfer_rows_params(rows: list[dict[str, Any]], load_id: str, tag: str) -> dict[str, Any]:
    """The parameters of Q_TRANSFERS_CREATE for payloads of ONE source file, none of whose keys is stored."""
    return {"rows": [transfer_row(p) for p in rows], "src_file": rows[0]["src_file"], "load_id": load_id,
            "head": tag + entry_head(rows[0]["src_file"])}


def transfer_accounts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct accounts of new transfer payloads, as Q_TRANSFER_ACCOUNTS and Q_TRANSFER_CLAIMS write them.

    Each: `key`, the first row naming it (`src_file`, `src_row`: its creation, and `pe`: the
    transfers table's claim) and the names its rows give it, in file order, each once."""
    out: dict[str, dict[str, Any]] = {}
    for p in rows:
        for side, name in (("from_account", "from_name"), ("to_account", "to_name")):
            a = out.get(p[side])
            if a is None:
                a = out[p[side]] = {"key": p[side], "src_file": p["src_file"], "src_row": p["src_row"],
                                    "pe": entry_head(p["src_file"]) + str(p["src_row"]) + "}", "names": []}
            n = p.get(name)
            if n is not None and n not in a["names"]:
                a["names"].append(n)
    return list(out.values())


def unsent_claims(accounts: list[dict[str, Any]], sent: dict[str, set[str]]) -> list[dict[str, Any]]:
    """What of a chunk's `transfer_accounts` Q_TRANSFER_CLAIMS still has to write, given what this
    run of the load sent before (`sent`: account -> names sent; updated here).

    An account this run claimed already keeps that claim (its first row), and a name sent before
    was appended or found then (the list only grows while a load runs): only new names travel, and
    none once MAX_NAMES were sent (the list is full). A chunk names most busy accounts again, so
    without this the claims rewrote about as many accounts as a 1M-transfer load writes transfers."""
    out: list[dict[str, Any]] = []
    for a in accounts:
        had = sent.get(a["key"])
        if had is None:
            sent[a["key"]] = set(a["names"][:MAX_NAMES])
            out.append(a)
            continue
        names = [n for n in a["names"] if n not in had] if len(had) < MAX_NAMES else []
        if names:
            had.update(names[:MAX_NAMES - len(had)])
            out.append({**a, "pe": None, "names": names})
    return out


def q_assets(owner_label: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH {_party('o', owner_label, 'owner_id')}
MERGE (s:Asset {{asset_id: row.key}})
ON CREATE SET {_prov('s')}
{_set_props('s')}
MERGE (o)-[r:OWNS]->(s)
ON CREATE SET {_prov('r')}, r.since = row.props.acquired_on
{_claim('r')}"""


def q_asset_transfers(from_label: str, to_label: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (s:Asset {{asset_id: row.asset_id}}), {_party('f', from_label, 'from_id')}, {_party('t', to_label, 'to_id')}
MERGE (x:AssetTransfer {{transfer_id: row.key}})
ON CREATE SET {_prov('x')}
{_set_props('x')}
MERGE (f)-[r1:CONVEYED]->(x) ON CREATE SET {_prov('r1')}
{_claim('r1')}MERGE (x)-[r2:CONVEYED_TO]->(t) ON CREATE SET {_prov('r2')}
{_claim('r2')}MERGE (x)-[r3:OF_ASSET]->(s) ON CREATE SET {_prov('r3')}
{_claim('r3')}"""


def q_cases(debtor_label: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH {_party('d', debtor_label, 'debtor_id')}
MERGE (c:Case {{case_no: row.key}})
ON CREATE SET {_prov('c')}
{_set_props('c')}WITH *, [e IN coalesce(c.paid_history, []) WHERE NOT e STARTS WITH row.known_at + '|'] AS hist,
     toString(coalesce(row.props.amount_paid_fen, 0)) AS paid
// a restatement of the same amount paid is no news: the history grows only when the amount changes
SET c.paid_history = CASE WHEN size(hist) > 0 AND split(last(hist), '|')[1] = paid THEN hist
                          ELSE hist + (row.known_at + '|' + paid) END

MERGE (d)-[r:DEBTOR_IN]->(c)
ON CREATE SET {_prov('r')}
{_claim('r')}"""


def q_restrictions(subject_label: str) -> str:
    """A court measure on a debtor; linked to its case and to the frozen account / seized asset
    when the target names a known one (else the target stays text on the node)."""
    return f"""
UNWIND $rows AS row
MATCH {_party('d', subject_label, 'subject_id')}
MERGE (r:Restriction {{restriction_id: row.key}})
ON CREATE SET {_prov('r')}
{_set_props('r')}
MERGE (d)-[x:RESTRICTED_BY]->(r)
ON CREATE SET {_prov('x')}
{_claim('x')}WITH r, row
OPTIONAL MATCH (c:Case {{case_no: row.case_no}})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END |
  MERGE (r)-[y:IN_CASE]->(c) ON CREATE SET {_prov('y')}
  {_claim('y').strip()})
WITH r, row
OPTIONAL MATCH (a:Account {{account_id: row.target}})
OPTIONAL MATCH (s:Asset {{asset_id: row.target}})
WITH r, row, coalesce(a, s) AS tgt
FOREACH (_ IN CASE WHEN tgt IS NULL THEN [] ELSE [1] END |
  MERGE (r)-[z:TARGETS]->(tgt) ON CREATE SET {_prov('z')}
  {_claim('z').strip()})
"""


def q_encumbrances(holder_label: str) -> str:
    """A mortgage / pledge: (Encumbrance)-[:ENCUMBERS]->(Asset), (Encumbrance)-[:HELD_BY]->(creditor)."""
    return f"""
UNWIND $rows AS row
MATCH (s:Asset {{asset_id: row.asset_id}}), {_party('h', holder_label, 'holder_id')}
MERGE (e:Encumbrance {{encumbrance_id: row.key}})
ON CREATE SET {_prov('e')}
{_set_props('e')}
MERGE (e)-[x:ENCUMBERS]->(s) ON CREATE SET {_prov('x')}
{_claim('x')}MERGE (e)-[y:HELD_BY]->(h) ON CREATE SET {_prov('y')}
{_claim('y')}"""


# -- look-ups for validation --------------------------------------------------------
#: Any node at all (a bulk import refuses a database that is not empty).
Q_COUNT_NODES = "MATCH (n) RETURN count(n) AS n"
Q_PARTY_KINDS = """
UNWIND $ids AS id
RETURN id, EXISTS { MATCH (:Person {person_id: id}) } AS is_person,
           EXISTS { MATCH (:Company {company_id: id}) } AS is_company
"""
Q_EXISTS = {
    "person": "UNWIND $ids AS id RETURN id, EXISTS { MATCH (:Person {person_id: id}) } AS found",
    "company": "UNWIND $ids AS id RETURN id, EXISTS { MATCH (:Company {company_id: id}) } AS found",
    "account": "UNWIND $ids AS id RETURN id, EXISTS { MATCH (:Account {account_id: id}) } AS found",
    "asset": "UNWIND $ids AS id RETURN id, EXISTS { MATCH (:Asset {asset_id: id}) } AS found",
    "case": "UNWIND $ids AS id RETURN id, EXISTS { MATCH (:Case {case_no: id}) } AS found",
}
#: What an earlier load stored under a key, to refuse a row that contradicts it.
Q_STORED = {
    "inmates": """UNWIND $keys AS k OPTIONAL MATCH (p:Inmate {inmate_no: k})
                  OPTIONAL MATCH (q:Person {person_id: $by_key[k]})
                  RETURN k, p.person_id AS person_id, q.inmate_no AS other_inmate_no""",
    "accounts": """UNWIND $keys AS k MATCH (a:Account {account_id: k}) WHERE a.holder_known
                   RETURN k, a.holder_id AS holder_id, a.load_id AS load_id""",
    # `mine`: this load's own entry (`$tag`), so a key repeated in a later chunk of the same load is
    # compared with what its first row wrote, without the loader keeping every key in memory
    "transfers": """UNWIND $keys AS k MATCH (a)-[t:TRANSFER {transfer_id: k}]->(b)
                    USING INDEX SEEK t:TRANSFER(transfer_id)
                    RETURN k, a.account_id AS from_account, b.account_id AS to_account, t.load_id AS load_id,
                           [e IN coalesce(t.prov, []) WHERE e STARTS WITH $tag][0] AS mine,
                           t.prov AS prov, properties(t) AS props""",
    "assets": """UNWIND $keys AS k MATCH (s:Asset {asset_id: k})
                 RETURN k, s.owner_id AS owner_id, s.load_id AS load_id""",
    "asset_transfers": """UNWIND $keys AS k MATCH (x:AssetTransfer {transfer_id: k})
                          RETURN k, x.asset_id AS asset_id, x.from_id AS from_id, x.to_id AS to_id,
                                 x.load_id AS load_id""",
    "cases": """UNWIND $keys AS k MATCH (c:Case {case_no: k})
                RETURN k, c.debtor_id AS debtor_id, c.load_id AS load_id""",
    "encumbrances": """UNWIND $keys AS k MATCH (e:Encumbrance {encumbrance_id: k})
                       RETURN k, e.asset_id AS asset_id, e.holder_id AS holder_id, e.load_id AS load_id""",
}


def party_kinds(g: Graph, ids: list[str]) -> dict[str, str | None]:
    """id -> 'Person', 'Company', 'ambiguous' or None (dangling)."""
    out: dict[str, str | None] = {}
    for r in g.read(Q_PARTY_KINDS, {"ids": ids}):
        if r["is_person"] and r["is_company"]:
            out[r["id"]] = "ambiguous"
        elif r["is_person"]:
            out[r["id"]] = "Person"
        elif r["is_company"]:
            out[r["id"]] = "Company"
        else:
            out[r["id"]] = None
    return out


def existing(g: Graph, kind: str, ids: list[str]) -> set[str]:
    return {r["id"] for r in g.read(Q_EXISTS[kind], {"ids": ids}) if r["found"]}


def stored(g: Graph, table: str, keys: list[str], **params: Any) -> dict[str, dict]:
    if table not in Q_STORED:
        return {}
    return {r["k"]: r for r in g.read(Q_STORED[table], {"keys": keys, **params})}


# --- loads: the Load node's lifecycle (ingest/loader.py) and listing / undoing loads (ingest/loads.py)

Q_LOAD_START = ("MERGE (l:Load {load_id: $id}) ON CREATE SET l.started_at = $now, l.source_dir = $dir, "
                "l.known_at = $known ON MATCH SET l.resumed_at = $now "
                "SET l.status = 'running', l.pid = $pid, l.host = $host REMOVE l.error RETURN l.known_at AS known")
Q_LOAD_FAILED = "MATCH (l:Load {load_id: $id}) SET l.status = 'failed', l.error = $error, l.finished_at = $now"
Q_LOAD_COMPLETE = ("MATCH (l:Load {load_id: $id}) SET l.status = 'complete', l.finished_at = $now, "
                   "l.summary_json = $s")
Q_LOADS = ("MATCH (l:Load) RETURN l.load_id AS load_id, l.started_at AS started_at, "
           "l.finished_at AS finished_at, l.source_dir AS source_dir, l.status AS status, "
           "l.error AS error, l.pid AS pid, l.host AS host, "
           "l.summary_json AS summary_json ORDER BY l.started_at DESC, l.load_id DESC")
Q_LOAD_EXISTS = "MATCH (l:Load {load_id: $id}) RETURN l.load_id AS id"
Q_LOAD_DELETE = "MATCH (l:Load {load_id: $id}) DELETE l"
#: Records stated by the load `$id` (entries prefixed `$p`) and by no other load.
_STATED_ONLY_BY_LOAD = ("(x.prov IS NULL AND x.load_id = $id) OR "
                        "(size(x.prov) > 0 AND all(e IN x.prov WHERE e STARTS WITH $p))")
#: Records the load `$id` stated, maybe with other loads.
_STATED_BY_LOAD = "any(e IN x.prov WHERE e STARTS WITH $p)"
#: The unload's delete of the matched `x`, in batches, counted.
_DELETE_X = "CALL (x) { DELETE x } IN TRANSACTIONS OF 10000 ROWS RETURN count(*) AS n"
#: The matched `x` as Q_REBUILD_RELS / Q_REBUILD_NODES take it back (`loads.rebuild` in between).
_X_TO_REBUILD = "RETURN elementId(x) AS eid, properties(x) AS props"
Q_REBUILD_RELS = "UNWIND $rows AS row MATCH ()-[x]->() WHERE elementId(x) = row.eid SET x = row.props"
Q_REBUILD_NODES = ("UNWIND $rows AS row MATCH (x) WHERE elementId(x) = row.eid SET x = row.props "
                   "FOREACH (_ IN CASE WHEN row.inmate THEN [] ELSE [1] END | REMOVE x:Inmate)")


def q_unload_rels(rel: str) -> str:
    """Delete the `rel` relationships only the load stated (`rel` from the allow-list)."""
    return f"MATCH ()-[x:{rel_type(rel)}]->() WHERE {_STATED_ONLY_BY_LOAD} {_DELETE_X}"


def q_shared_rels(rel: str) -> str:
    """The `rel` relationships the load stated together with other loads (to rebuild)."""
    return f"MATCH ()-[x:{rel_type(rel)}]->() WHERE {_STATED_BY_LOAD} {_X_TO_REBUILD}"


def q_unload_nodes(lab: str) -> str:
    """Delete the unconnected `lab` nodes only the load stated (`lab` from the allow-list)."""
    return f"MATCH (x:{label(lab)}) WHERE ({_STATED_ONLY_BY_LOAD}) AND NOT EXISTS {{ (x)--() }} {_DELETE_X}"


def q_shared_nodes(lab: str) -> str:
    """The `lab` nodes the load stated (alone but still connected, or with other loads): to rebuild."""
    return (f"MATCH (x:{label(lab)}) WHERE {_STATED_BY_LOAD} OR (x.prov IS NULL AND x.load_id = $id) "
            f"{_X_TO_REBUILD}")


def q_bare_nodes(lab: str) -> str:
    """Delete `lab` keys nothing states any more and nothing uses."""
    return f"MATCH (x:{label(lab)}) WHERE x.prov = [] AND NOT EXISTS {{ (x)--() }} {_DELETE_X}"


# --- FollowTheMoney export (ingest/ftm.py): the graph read back as contract rows ------------------

def _ftm_in_scope(expr: str, scope: str) -> str:
    """`expr` is one of the export's `$scope` ids (`$parties`, `$accounts`, `$assets`), or no scope is set."""
    return f"${scope} IS NULL OR {expr} IN ${scope}"


def _ftm_nodes(lab: str, key: str, scope: str, order: str | None = None) -> str:
    """The export rows of a table stored as `lab` nodes: those whose `key` is in scope, by `order` (`key`)."""
    return (f"MATCH (n:{label(lab)}) WHERE {_ftm_in_scope('n.' + key, scope)} "
            f"RETURN properties(n) AS p, {{}} AS k ORDER BY n.{order or key}")


# Each query returns one row per contract row: `p` the record's properties (with `x_` extras), plus
# the ids the record links (`k`). `$parties`, `$accounts`, `$assets` are null for the whole graph,
# or the id lists of one subject's bounded neighbourhood (`Q_FTM_HOP`).
Q_FTM_ROWS = {
    "persons": _ftm_nodes("Person", "person_id", "parties"),
    "companies": _ftm_nodes("Company", "company_id", "parties"),
    "inmates": _ftm_nodes("Inmate", "person_id", "parties", order="inmate_no"),
    "relations": "MATCH (a:Person)-[r:RELATED]->(b:Person) "
                 "WHERE $parties IS NULL OR (a.person_id IN $parties AND b.person_id IN $parties) "
                 "RETURN properties(r) AS p, {a: a.person_id, b: b.person_id} AS k "
                 "ORDER BY a.person_id, b.person_id, r.relation",
    "company_roles": "MATCH (a:Person)-[r:ROLE]->(c:Company) "
                     "WHERE $parties IS NULL OR (a.person_id IN $parties AND c.company_id IN $parties) "
                     "RETURN properties(r) AS p, {person_id: a.person_id, company_id: c.company_id} AS k "
                     "ORDER BY a.person_id, c.company_id, r.role",
    "accounts": _ftm_nodes("Account", "account_id", "accounts"),
    "balances": "MATCH (a:Account)-[:HAS_BALANCE]->(n:Balance) "
                "WHERE $accounts IS NULL OR a.account_id IN $accounts "
                "RETURN properties(n) AS p, {} AS k ORDER BY n.account_id, n.as_of",
    "transfers": "MATCH (a:Account)-[t:TRANSFER]->(b:Account) "
                 "WHERE $accounts IS NULL OR a.account_id IN $accounts OR b.account_id IN $accounts "
                 "RETURN properties(t) AS p, {from_account: a.account_id, to_account: b.account_id} AS k "
                 "ORDER BY t.transfer_id",
    "assets": _ftm_nodes("Asset", "asset_id", "assets"),
    "asset_transfers": "MATCH (n:AssetTransfer) WHERE $assets IS NULL OR (n.asset_id IN $assets "
                       "AND n.from_id IN $parties AND n.to_id IN $parties) "
                       "RETURN properties(n) AS p, {} AS k ORDER BY n.transfer_id",
    "cases": _ftm_nodes("Case", "debtor_id", "parties", order="case_no"),
    "restrictions": _ftm_nodes("Restriction", "subject_id", "parties", order="restriction_id"),
    "encumbrances": "MATCH (n:Encumbrance) WHERE $assets IS NULL OR (n.asset_id IN $assets "
                    "AND n.holder_id IN $parties) RETURN properties(n) AS p, {} AS k ORDER BY n.encumbrance_id",
}
#: Which ids are persons and which companies (to name a party's FtM entity).
Q_FTM_PARTY_LABELS = (f"MATCH (n:Person) WHERE {_ftm_in_scope('n.person_id', 'parties')} "
                      "RETURN n.person_id AS id, 'Person' AS label "
                      f"UNION ALL MATCH (n:Company) WHERE {_ftm_in_scope('n.company_id', 'parties')} "
                      "RETURN n.company_id AS id, 'Company' AS label")
#: One hop of a subject's neighbourhood: the parties linked to `$ids` by a relation, a company role,
#: a transfer between their accounts (accounts with more than `$busy` transfers are not crossed),
#: a conveyance, or an encumbrance on an asset they own.
Q_FTM_HOP = """
UNWIND $ids AS id
OPTIONAL MATCH (p:Person {person_id: id})
OPTIONAL MATCH (c:Company {company_id: id})
WITH coalesce(p, c) AS x WHERE x IS NOT NULL
CALL (x) {
  MATCH (x)-[:RELATED|ROLE]-(y) RETURN y
  UNION
  MATCH (x)-[:HOLDS]->(a:Account)-[t:TRANSFER]-(b:Account)<-[:HOLDS]-(y)
  WHERE coalesce(t.kind, 'transfer') = 'transfer' AND COUNT { (a)-[:TRANSFER]-() } <= $busy
    AND COUNT { (b)-[:TRANSFER]-() } <= $busy
  RETURN y
  UNION
  MATCH (x)-[:CONVEYED|CONVEYED_TO]-(:AssetTransfer)-[:CONVEYED|CONVEYED_TO]-(y) RETURN y
  UNION
  MATCH (x)-[:OWNS]->(:Asset)<-[:ENCUMBERS]-(:Encumbrance)-[:HELD_BY]->(y) RETURN y
}
WITH DISTINCT coalesce(y.person_id, y.company_id) AS id WHERE id IS NOT NULL
RETURN id ORDER BY id LIMIT $limit
"""
Q_FTM_SUBJECT_ASSETS = "MATCH (n:Asset) WHERE n.owner_id IN $parties RETURN n.asset_id AS id"
Q_FTM_SUBJECT_ACCOUNTS = ("MATCH (a:Account) WHERE a.holder_id IN $parties RETURN a.account_id AS id")
