"""FollowTheMoney (FtM) interop: export the graph as FtM entities, load such a file as a load.

FtM is the entity model of OCCRP Aleph and OpenSanctions (the `followthemoney` package). Every
contract row (shared/data-contract.md) becomes one *primary* FtM entity (docs/interop.md has the
table -> schema mapping); a few *derived* entities (the holder of an account, the owner of an asset,
the debtor party and the debt of a case) are added so FtM tools see the links they expect.

Lossless by construction:
- each contract column goes to an FtM property where the schema has one (`FIELDS`); a column FtM
  has no place for travels in the entity's context key `cnenf` (`{"table", "key", "row"}`), which
  FtM keeps next to `id`, `schema` and `properties` in a JSON line;
- money is written as the exact yuan string of integer fen (`ingest.parse.format_fen`, e.g.
  `"1234.50"`) and read back with `ingest.parse.parse_money_fen` (Decimal): no float either way;
  the currency goes with it;
- entity ids are deterministic, namespaced from our keys (`entity_id`); our own key is kept in
  `cnenf.key` (and, where FtM has an identifier property, there too).

Loading (`load_ftm`) validates each line with FtM's model (known schema, known properties, values
valid for their types), rebuilds the contract row and sends it through the loader's own validation,
reference checks and writers, so an FtM load is a normal load: a load id, per-load `prov`, and
`python -m ingest unload` takes it back exactly. A bad line goes to `<rejects>/ftm.csv` with its line
number and reason; a row the contract refuses goes to `<rejects>/<table>.csv` with file and line.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from followthemoney import model
from followthemoney.exc import InvalidData

from graph import Graph

from . import writers
from .contract import LOAD_ORDER, TABLES
from .loader import LoadResult, RejectWriter, _TableLoad, begin_load
from .loads import utc_now
from .parse import format_fen
from .readers import InputError
from .validate import validate_row

logger = logging.getLogger(__name__)

#: The context key of our own fields in an FtM entity (and the prefix of every entity id).
NS = "cnenf"
#: Neighbourhood bounds of `--subject` (as the network page: depth 1-3, a node cap, busy accounts).
ALLOWED_DEPTHS = (1, 2, 3)
MAX_PARTIES = 300
BUSY_DEGREE = 200

#: Contract table -> FtM schema (assets: by kind).
SCHEMA = {"persons": "Person", "companies": "Company", "inmates": "Sanction", "relations": "Family",
          "company_roles": "Directorship", "accounts": "BankAccount", "balances": "Note",
          "transfers": "Payment", "assets": "Asset", "asset_transfers": "Ownership", "cases": "CourtCase",
          "restrictions": "Sanction", "encumbrances": "UnknownLink"}
ASSET_SCHEMA = {"real_estate": "RealEstate", "vehicle": "Vehicle"}
#: Contract column -> FtM properties, the first one the entity's schema has wins; a column with
#: none goes to the `cnenf.row` context. Reference columns hold the referenced entity's id.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "persons": {"name": ("name",), "id_number": ("idNumber",), "gender": ("gender",),
                "birth_date": ("birthDate",), "address": ("address",)},
    "companies": {"company_id": ("registrationNumber",), "name": ("name",),
                  "registered_on": ("incorporationDate",)},
    "inmates": {"person_id": ("entity",), "inmate_no": ("programId",), "prison": ("authority",),
                "admitted_on": ("startDate",), "release_on": ("endDate",), "treatment_level": ("status",)},
    "relations": {"person_id": ("person",), "other_person_id": ("relative", "associate"),
                  "relation": ("relationship",), "since": ("startDate",), "until": ("endDate",)},
    "company_roles": {"person_id": ("director", "owner"), "company_id": ("organization", "asset"),
                      "role": ("role",), "share_pct": ("percentage",), "since": ("startDate",),
                      "until": ("endDate",)},
    "accounts": {"account_id": ("accountNumber",), "kind": ("accountType",), "institution": ("bankName",),
                 "opened_on": ("openingDate",), "closed_on": ("closingDate",)},
    "balances": {"account_id": ("entity",)},
    "transfers": {"transfer_id": ("transactionNumber",), "from_account": ("payerAccount",),
                  "to_account": ("beneficiaryAccount",), "amount": ("amount",), "currency": ("currency",),
                  "at": ("date",), "memo": ("purpose",)},
    "assets": {"asset_id": ("registrationNumber",), "description": ("description",),
               "appraised_value": ("amount",)},
    "asset_transfers": {"transfer_id": ("recordId",), "asset_id": ("asset",), "to_id": ("owner",),
                        "on": ("startDate",), "registry_ref": ("legalBasis",)},
    "cases": {"case_no": ("caseNumber",), "court": ("court",), "kind": ("category",), "filed_on": ("fileDate",)},
    "restrictions": {"subject_id": ("entity",), "kind": ("program",), "ordered_on": ("startDate",),
                     "lifted_on": ("endDate",)},
    "encumbrances": {"encumbrance_id": ("recordId",), "holder_id": ("subject",), "asset_id": ("object",),
                     "kind": ("role",), "registered_on": ("startDate",), "released_on": ("endDate",)},
}
#: Reference columns -> what they point at ("party" = a Person or Company entity).
REFS: dict[str, dict[str, str]] = {
    "inmates": {"person_id": "party"}, "relations": {"person_id": "party", "other_person_id": "party"},
    "company_roles": {"person_id": "party", "company_id": "party"},
    "accounts": {"holder_id": "party"}, "balances": {"account_id": "account"},
    "transfers": {"from_account": "account", "to_account": "account"},
    "assets": {"owner_id": "party"},
    "asset_transfers": {"asset_id": "asset", "from_id": "party", "to_id": "party"},
    "cases": {"debtor_id": "party"}, "restrictions": {"subject_id": "party"},
    "encumbrances": {"asset_id": "asset", "holder_id": "party"},
}
#: Contract column -> graph property where they differ (money columns hold fen).
_GRAPH_PROP = {"balance": "balance_fen", "amount": "amount_fen", "appraised_value": "appraised_value_fen",
               "price": "price_fen", "amount_due": "amount_due_fen", "amount_paid": "amount_paid_fen"}
_GENDER_FTM = {"M": "male", "F": "female"}


def entity_id(kind: str, key: str) -> str:
    """Deterministic FtM id of one record: `cnenf-<kind>-<sha1 of kind and key>` (FtM ids allow only
    `[0-9a-zA-Z.-]`, our keys hold Chinese and brackets, so the key is hashed and kept in `cnenf.key`)."""
    return f"{NS}-{kind.replace('_', '-')}-" + hashlib.sha1(f"{kind}|{key}".encode()).hexdigest()[:24]


def _key_of(table: str, row: dict[str, str]) -> str:
    return "|".join(row.get(k, "") for k in TABLES[table].key)


# -- graph -> contract rows ----------------------------------------------------------------------
def _text(value: Any, column: str, table: str) -> str:
    if value is None:
        return ""
    kind = TABLES[table].column(column).kind if not column.startswith("x_") else "str"
    if kind == "money":
        return format_fen(int(value), grouped=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _row_from_graph(table: str, p: dict[str, Any], k: dict[str, Any]) -> dict[str, str]:
    """A contract row (column -> text, the contract's own spelling) from what the graph stores."""
    cols = [c.name for c in TABLES[table].columns]
    src = {**p, **k}
    row = {c: _text(src.get(_GRAPH_PROP.get(c, c)), c, table) for c in cols}
    if table == "relations":
        row["person_id"], row["other_person_id"] = k["a"], k["b"]
        if p.get("relation") == "spouse" and p.get("ended"):
            row["relation"] = "former_spouse"
    elif table == "transfers":
        at = p["at"]
        row["at"] = at.isoformat() if p.get("at_has_time", True) else at.date().isoformat()
        kind = p.get("kind") or "transfer"
        if kind == "cash_withdrawal":
            row["to_account"] = ""
        elif kind == "cash_deposit":
            row["from_account"] = ""
    elif table == "asset_transfers" and not p.get("price_given", True):
        row["price"] = ""
    if table != "inmates":  # unknown columns were kept as x_ properties (on the Person for both)
        row.update({x: _text(v, x, table) for x, v in p.items() if x.startswith("x_")})
    return row


@dataclass
class _Export:
    parties: dict[str, str] = field(default_factory=dict)  # id -> Person / Company

    def ref(self, kind: str, key: str) -> str:
        if kind == "party":
            return entity_id("persons" if self.parties.get(key) == "Person" else "companies", key)
        return entity_id({"account": "accounts", "asset": "assets"}[kind], key)


def _entity(table: str, row: dict[str, str], ex: _Export, schema: str | None = None) -> Any:
    """The primary FtM entity of one contract row."""
    key = _key_of(table, row)
    if schema is None:
        schema = ASSET_SCHEMA.get(row.get("kind", ""), "Asset") if table == "assets" else SCHEMA[table]
        if table == "relations" and row.get("relation") == "associate":
            schema = "Associate"
        if table == "company_roles" and row.get("role") == "shareholder":
            schema = "Ownership"
    e = model.make_entity(schema)
    e.id = entity_id(table, key)
    sc = model.get(schema)
    context: dict[str, str] = {}
    refs = REFS.get(table, {})
    for col in [c.name for c in TABLES[table].columns] + [x for x in row if x.startswith("x_")]:
        text = row.get(col, "")
        if text == "":
            continue
        prop = next((p for p in FIELDS.get(table, {}).get(col, ()) if sc.get(p) is not None), None)
        if prop is None:
            context[col] = text
            continue
        if col in refs:
            text = ex.ref(refs[col], text)
        elif table == "persons" and col == "gender":
            text = _GENDER_FTM.get(text, text)
        e.add(prop, text, cleaned=True)
    _display(table, row, e, sc)
    e.context[NS] = {"table": table, "key": key, "row": context}
    return e


def _display(table: str, row: dict[str, str], e: Any, sc: Any) -> None:
    """Export-only properties for FtM readers (names, currency, country); never read back."""
    if table in ("persons", "companies"):
        e.add("country", "cn", cleaned=True)
    if table == "inmates":
        e.add("program", "imprisonment 服刑", cleaned=True)
    if table == "accounts":
        e.add("name", row.get("account_id"), cleaned=True)
    if table == "balances":
        e.add("name", f"balance 余额 {row['as_of']}: {row['balance']} CNY", cleaned=True)
    if table == "assets":
        e.add("name", row.get("description") or row["asset_id"], cleaned=True)
        if row.get("appraised_value"):
            e.add("currency", "CNY", cleaned=True)
    if table == "asset_transfers":
        e.add("role", "conveyance 财产转移", cleaned=True)
    if table == "cases":
        e.add("name", row["case_no"], cleaned=True)
    if table == "encumbrances" and row.get("amount"):
        e.add("description", f"{row['kind']} {row['amount']} CNY", cleaned=True)
    if table == "restrictions" and row.get("target"):
        e.add("provisions", row["target"], cleaned=True)


def _derived(table: str, row: dict[str, str], ex: _Export) -> Iterator[Any]:
    """Links FtM readers expect that our model keeps on the record itself (never read back)."""
    key = _key_of(table, row)

    def make(schema: str, tag: str, **props: str) -> Any:
        e = model.make_entity(schema)
        e.id = entity_id(f"{table}-{tag}", key)
        for p, v in props.items():
            if v:
                e.add(p, v, cleaned=True)
        e.context[NS] = {"table": table, "key": key, "derived": tag}
        return e

    if table == "accounts":
        yield make("Ownership", "holder", owner=ex.ref("party", row["holder_id"]),
                   asset=entity_id("accounts", key), role="account holder 户主")
    elif table == "assets":
        yield make("Ownership", "owner", owner=ex.ref("party", row["owner_id"]), asset=entity_id("assets", key),
                   startDate=row.get("acquired_on", ""), role="owner before any conveyance 原所有人")
    elif table == "cases":
        debtor = ex.ref("party", row["debtor_id"])
        yield make("CourtCaseParty", "debtor", party=debtor, case=entity_id("cases", key), role="debtor 被执行人")
        yield make("Debt", "debt", debtor=debtor, amount=row["amount_due"], currency="CNY",
                   date=row.get("effective_on", ""), description=f"{row['kind']} {row['case_no']}")


def _account_ref(account_id: str, names: list[str] | None) -> Any:
    """An account known only from transfers (no holder): an FtM BankAccount, not a contract row."""
    e = model.make_entity("BankAccount")
    e.id = entity_id("accounts", account_id)
    e.add("accountNumber", account_id, cleaned=True)
    e.add("name", account_id, cleaned=True)
    for n in names or []:
        e.add("alias", n, cleaned=True)
    e.context[NS] = {"table": "accounts_ref", "key": account_id}
    return e


def _neighbourhood(g: Graph, subject_id: str, depth: int, max_parties: int) -> list[str]:
    if depth not in ALLOWED_DEPTHS:
        raise ValueError(f"depth must be one of {ALLOWED_DEPTHS}, not {depth!r}")
    found = [r["id"] for r in g.read(writers.Q_FTM_PARTY_LABELS, {"parties": [subject_id]})]
    if not found:
        raise InputError(f"no person or company {subject_id!r} in the graph")
    seen = [subject_id]
    frontier = [subject_id]
    for _ in range(depth):
        rows = g.read(writers.Q_FTM_HOP, {"ids": frontier, "busy": BUSY_DEGREE, "limit": max_parties + 1})
        frontier = [r["id"] for r in rows if r["id"] not in seen][:max(0, max_parties - len(seen))]
        seen += frontier
        if not frontier:
            break
    return seen


def export_ftm(g: Graph, out: str | Path, subject_id: str | None = None, depth: int = 1,
               max_parties: int = MAX_PARTIES) -> dict[str, int]:
    """Write the graph (or one subject's bounded neighbourhood) as FtM JSON lines; counts per schema."""
    ex = _Export()
    params: dict[str, Any] = {"parties": None, "accounts": None, "assets": None}
    if subject_id is not None:
        parties = _neighbourhood(g, subject_id, depth, max_parties)
        params["parties"] = parties
        params["accounts"] = [r["id"] for r in g.read(writers.Q_FTM_SUBJECT_ACCOUNTS, {"parties": parties})]
        params["assets"] = [r["id"] for r in g.read(writers.Q_FTM_SUBJECT_ASSETS, {"parties": parties})]
    ex.parties = {r["id"]: r["label"] for r in g.read(writers.Q_FTM_PARTY_LABELS, {"parties": params["parties"]})}
    counts: dict[str, int] = {}
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        def emit(e: Any) -> None:
            fh.write(json.dumps(e.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            counts[e.schema.name] = counts.get(e.schema.name, 0) + 1

        seen_accounts: set[str] = set()
        for table in LOAD_ORDER:
            for r in g.stream(writers.Q_FTM_ROWS[table], params):
                p, k = r["p"], r["k"]
                if table == "accounts" and not p.get("holder_known"):
                    seen_accounts.add(p["account_id"])
                    emit(_account_ref(p["account_id"], p.get("stmt_names")))
                    continue
                row = _row_from_graph(table, p, k)
                if table == "accounts":
                    seen_accounts.add(row["account_id"])
                if table == "transfers":
                    for aid in (k["from_account"], k["to_account"]):
                        if aid not in seen_accounts:  # outside a subject's neighbourhood: holder left out
                            seen_accounts.add(aid)
                            emit(_account_ref(aid, None))
                emit(_entity(table, row, ex))
                for d in _derived(table, row, ex):
                    emit(d)
    logger.info("exported %d FtM entities to %s", sum(counts.values()), path)
    return counts


# -- load -----------------------------------------------------------------------------------------
#: The FtM schemata a table's entity may have (what `export_ftm` writes).
ALLOWED_SCHEMATA = {"persons": {"Person"}, "companies": {"Company"}, "inmates": {"Sanction"},
                    "relations": {"Family", "Associate"}, "company_roles": {"Directorship", "Ownership"},
                    "accounts": {"BankAccount"}, "accounts_ref": {"BankAccount"}, "balances": {"Note"},
                    "transfers": {"Payment"}, "assets": {"Asset", "RealEstate", "Vehicle"},
                    "asset_transfers": {"Ownership"}, "cases": {"CourtCase"}, "restrictions": {"Sanction"},
                    "encumbrances": {"UnknownLink"}}
_REF_TABLES = {"party": ("persons", "companies"), "account": ("accounts", "accounts_ref"), "asset": ("assets",)}
BATCH = 5000


class FtmLoadResult(LoadResult):
    """A load from an FtM file: the tables' counts plus the file's own (`ftm`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ftm: dict[str, int] = {"lines": 0, "rows": 0, "derived": 0, "account_refs": 0, "rejected": 0}

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "ftm": self.ftm}

    @property
    def rejected(self) -> int:
        return sum(t["rejected"] for t in self.tables.values()) + self.ftm["rejected"]


@dataclass
class _Line:
    no: int
    data: dict[str, Any]
    proxy: Any
    table: str
    key: str


def _check_line(no: int, text: str) -> tuple[_Line | None, str | None]:
    """Parse and validate one JSON line with FtM's model; (line, None) or (None, reason)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    try:
        proxy = model.get_proxy(data, cleaned=True)
        proxy.schema.validate(data)
    except InvalidData as exc:
        errors = getattr(exc, "errors", None)
        return None, f"FtM: {exc}" + (f" {json.dumps(errors, ensure_ascii=False)}" if errors else "")
    if not proxy.id:
        return None, "FtM: entity has no id"
    ctx = data.get(NS)
    if not isinstance(ctx, dict) or not isinstance(ctx.get("key"), str):
        return None, f"no '{NS}' context with the table and key (not an export of this tool)"
    table = ctx.get("table")
    if ctx.get("derived"):
        return _Line(no, data, proxy, "derived", ctx["key"]), None
    if table not in ALLOWED_SCHEMATA:
        return None, f"{NS}.table {table!r} is not a contract table"
    if proxy.schema.name not in ALLOWED_SCHEMATA[table]:
        return None, (f"schema {proxy.schema.name} cannot hold a {table} row "
                      f"(expected {', '.join(sorted(ALLOWED_SCHEMATA[table]))})")
    return _Line(no, data, proxy, table, ctx["key"]), None


def _cells(line: _Line, index: dict[str, tuple[str, str]]) -> tuple[dict[str, str], str | None]:
    """The contract row an entity states (column -> text), or a reason it cannot be read."""
    table, proxy = line.table, line.proxy
    ctx_row = line.data[NS].get("row") or {}
    if not isinstance(ctx_row, dict):
        return {}, f"{NS}.row is not an object"
    cells: dict[str, str] = {}
    refs = REFS.get(table, {})
    for col in [c.name for c in TABLES[table].columns]:
        prop = next((p for p in FIELDS.get(table, {}).get(col, ()) if proxy.schema.get(p) is not None), None)
        if prop is None:
            cells[col] = str(ctx_row.get(col, ""))
            continue
        values = proxy.get(prop, quiet=True)
        if len(values) > 1:
            return {}, f"{proxy.schema.name}.{prop} ({col}) has {len(values)} values; the contract takes one"
        text = values[0] if values else ""
        if text and col in refs:
            target = index.get(text)
            if target is None or target[0] not in _REF_TABLES[refs[col]]:
                return {}, (f"{proxy.schema.name}.{prop} ({col}) refers to entity {text!r}, "
                            f"which is no {refs[col]} of this file")
            text = target[1]
        cells[col] = text
    cells.update({k: str(v) for k, v in ctx_row.items() if k.startswith("x_")})
    return cells, None


def load_ftm(g: Graph, path: str | Path, rejects_dir: str | Path | None = None, load_id: str | None = None,
             known_on: dt.date | None = None) -> FtmLoadResult:
    """Load an FtM JSON-lines file (as `export_ftm` writes) as one load that `unload` takes back.

    Each line is checked with FtM's model, turned back into its contract row and loaded through the
    loader's validation, reference checks and writers (in the contract's reference order).
    """
    src = Path(path)
    if not src.is_file():
        raise InputError(f"{src}: no such file")
    rejects_path = Path(rejects_dir) if rejects_dir else Path.cwd() / "rejects"
    source = str(src.resolve())
    result = FtmLoadResult(load_id or "", source, rejects_dir=str(rejects_path))  # its id once it starts
    lines: list[_Line] = []
    bad: list[tuple[int, str, str]] = []
    with open(src, encoding="utf-8-sig") as fh:
        for no, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            result.ftm["lines"] += 1
            line, why = _check_line(no, text)
            if line is None:
                bad.append((no, text, why or ""))
            elif line.table == "derived":
                result.ftm["derived"] += 1
            else:
                lines.append(line)
    if not result.ftm["lines"]:
        raise InputError(f"{src}: no FtM entity in the file")
    index = {ln.proxy.id: (ln.table, ln.key) for ln in lines}
    by_table: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for ln in lines:
        if ln.table == "accounts_ref":  # created by the transfers that name it
            result.ftm["account_refs"] += 1
            continue
        cells, why = _cells(ln, index)
        if why:
            bad.append((ln.no, json.dumps(ln.data, ensure_ascii=False), why))
            continue
        by_table.setdefault(ln.table, []).append((ln.no, cells))
        result.ftm["rows"] += 1
    result.ftm["rejected"] = len(bad)
    g.ensure_schema()
    load_id, known_at = begin_load(g, source, load_id, known_on)  # a file that does not read starts no load
    result.load_id = load_id
    try:
        _write_bad(rejects_path / "ftm.csv", load_id, src.name, bad)
        for name in LOAD_ORDER:
            (rejects_path / f"{name}.csv").unlink(missing_ok=True)
            rows = by_table.get(name)
            if not rows:
                continue
            result.files[name] = [src.name]
            rejects = RejectWriter(rejects_path / f"{name}.csv", name, load_id)
            state = _TableLoad(g, name, load_id, rejects, known_at)
            try:
                for i in range(0, len(rows), BATCH):
                    chunk = rows[i:i + BATCH]
                    mapping: dict[str, str] = {c.name: c.name for c in TABLES[name].columns}
                    for _, cells in chunk:
                        mapping.update({k: k for k in cells if k.startswith("x_")})
                    state.process([validate_row(name, src.name, no, cells, mapping) for no, cells in chunk], mapping)
            finally:
                rejects.close()
            result.tables[name] = state.counts
    except BaseException as exc:
        try:
            g.write(writers.Q_LOAD_FAILED, {"id": load_id, "error": f"{type(exc).__name__}: {exc}", "now": utc_now()})
        except Exception:
            logger.exception("could not mark load %s failed", load_id)
        raise
    g.write(writers.Q_LOAD_COMPLETE,
            {"id": load_id, "now": utc_now(), "s": json.dumps(result.summary(), ensure_ascii=False)})
    logger.info("FtM load %s from %s: %s", load_id, src, result.ftm)
    return result


def _write_bad(path: Path, load_id: str, file: str, bad: list[tuple[int, str, str]]) -> None:
    """Lines FtM's model (or the mapping) refused: load, file, line number, reason and the line itself."""
    path.unlink(missing_ok=True)
    if not bad:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["load_id", "file", "line", "reasons", "text"])
        for no, text, why in sorted(bad):
            w.writerow([load_id, file, no, why, text.rstrip("\n")])
