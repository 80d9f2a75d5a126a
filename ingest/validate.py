"""Row validation against the contract: parse every cell, collect every reason.

`validate_row` turns one row of text cells into the properties the graph model stores
(docs/graph-model.md), or into the list of reasons it breaks the contract. Reference
checks (does this holder exist?) need the graph and are done by the loader.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import parse
from .contract import ENUMS, TABLES, Table


class _Cells(Mapping[str, str]):
    """A row's text cells as read (header -> text), kept as a view of the chunk's columns: the
    quick way of `_transfer_rows` needs them only for a row rejected later, so no dict per row."""

    __slots__ = ("_headers", "_cells", "_i")

    def __init__(self, headers: list[str], cells: list[list[Any]], i: int) -> None:
        self._headers, self._cells, self._i = headers, cells, i

    def __getitem__(self, header: str) -> str:
        try:
            return self._cells[self._headers.index(header)][self._i]
        except ValueError:
            raise KeyError(header) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


@dataclass
class Row:
    """One validated row: model properties, kept extra columns, provenance, or its reasons."""

    table: str
    src_file: str
    src_row: int
    original: Mapping[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def reject(self, column: str | None, what: str) -> None:
        self.reasons.append(f"{column}: {what}" if column else what)

    def key(self) -> tuple:
        return tuple(self.values.get(k) for k in TABLES[self.table].key)


def _parse_cell(table: Table, col: str, text: str, row: Row) -> Any:
    spec = table.column(col)
    label = f"{col} ({spec.zh})"
    if text == "":
        if spec.required and (table.name, col) not in _CASH_BLANK:
            row.reject(label, "required value missing")
        return None
    try:
        if spec.kind == "date":
            return parse.parse_date(text)
        if spec.kind == "datetime":
            return parse.parse_datetime(text)
        if spec.kind == "money":
            return parse.parse_money_fen(text)
        if spec.kind == "pct":
            return parse.parse_pct(text)
        if spec.kind == "enum":
            options = ENUMS[spec.enum or col]
            value = options.get(text.lower()) or options.get(text)
            if value is None:
                allowed = sorted(set(options.values()))
                raise ValueError(f"unknown value {text!r} (allowed: {', '.join(allowed)})")
            return value
        return text
    except ValueError as exc:
        row.reject(label, str(exc))
        return None


#: Required columns that may be blank on one kind of row (checked in `_table_rules`):
#: a cash withdrawal has no payee account, a cash deposit no payer account.
_CASH_BLANK = {("transfers", "from_account"), ("transfers", "to_account")}
CASH_KINDS = ("cash_withdrawal", "cash_deposit")


def validate_row(table_name: str, src_file: str, src_row: int, cells: Mapping[str, str],
                 mapping: dict[str, str]) -> Row:
    """Parse one row's cells (keyed by original header) into a Row with values or reasons."""
    table = TABLES[table_name]
    row = Row(table_name, src_file, src_row, dict(cells))
    texts: dict[str, str] = {}
    for header, text in cells.items():
        name = mapping.get(header)
        if name is None:
            continue
        text = str(text).strip()
        if name.startswith("x_"):
            if text:
                row.extras[name] = text
        else:
            texts[name] = text
    for col in table.columns:
        row.values[col.name] = _parse_cell(table, col.name, texts.get(col.name, ""), row)
    _table_rules(row)
    return row


def _table_rules(row: Row) -> None:
    v = row.values
    t = row.table
    if t == "persons":
        idn = v.get("id_number")
        if idn:
            v["id_number"] = idn.upper()
            v["id_number_valid"] = parse.id_number_valid(idn)
        else:
            v["id_number_valid"] = None
    elif t == "relations":
        if v["person_id"] and v["person_id"] == v["other_person_id"]:
            row.reject("other_person_id (关系人编号)", "a person cannot be related to themself")
        _order(row, "since", "until")
    elif t == "company_roles":
        _order(row, "since", "until")
    elif t == "inmates":
        _order(row, "admitted_on", "release_on")
    elif t == "accounts":
        _order(row, "opened_on", "closed_on")
    elif t == "transfers":
        at = v.get("at")
        if at is not None:
            v["at"], v["at_has_time"] = at
            v["on"] = v["at"].date()
        if v.get("amount") == 0:
            row.reject("amount (金额)", "must be greater than 0")
        if v.get("kind") is None and not row_text(row, "kind"):
            v["kind"] = "transfer"  # the contract's default; a bad kind stays None and is rejected
        kind = v.get("kind") or "transfer"
        # the counterparty side of a cash row is blank; every other side is required
        blank_ok = {"cash_withdrawal": "to_account", "cash_deposit": "from_account"}.get(kind)
        for side, zh in (("from_account", "付款账号"), ("to_account", "收款账号")):
            if not v.get(side) and side != blank_ok:
                row.reject(f"{side} ({zh})", "required value missing")
        if blank_ok and v.get(blank_ok):
            row.reject(f"{blank_ok} ({'付款账号' if blank_ok == 'from_account' else '收款账号'})",
                       f"must be blank on a {kind} row (cash has no counterparty account)")
        try:
            v["currency"] = parse.parse_currency(row_text(row, "currency"))
        except ValueError as exc:
            row.reject("currency (币种)", str(exc))
        if v["from_account"] and v["from_account"] == v["to_account"]:
            row.reject("to_account (收款账号)", "same account as from_account")
    elif t == "asset_transfers":
        v["price_given"] = v.get("price") is not None
        if v["price"] is None:
            v["price"] = 0
        if v["from_id"] and v["from_id"] == v["to_id"]:
            row.reject("to_id (受让人编号)", "same party as from_id")
    elif t == "restrictions":
        _order(row, "ordered_on", "lifted_on")
        # part of the key: a measure without a named target (all accounts, no asset named) keys on ""
        v["target"] = v.get("target") or ""
    elif t == "encumbrances":
        _order(row, "registered_on", "released_on")
    elif t == "cases":
        due, paid = v.get("amount_due"), v.get("amount_paid")
        if due == 0:
            row.reject("amount_due (应执行金额)", "must be greater than 0")
        if paid is None:
            v["amount_paid"] = paid = 0
        if due is not None and paid > due:
            row.reject("amount_paid (已执行金额)", f"above amount_due ({paid} > {due} fen)")
        v["litigation_start"] = v.get("served_on") or v.get("filed_on")


def row_text(row: Row, col: str) -> str:
    """The original text of a column, whatever header spelling the file used."""
    table = TABLES[row.table]
    spec = table.column(col)
    for h, text in row.original.items():
        hs = str(h).strip()
        if hs.lower() == col or hs == spec.zh:
            return str(text).strip()
    return ""


def _order(row: Row, first: str, second: str) -> None:
    a, b = row.values.get(first), row.values.get(second)
    if isinstance(a, dt.date) and isinstance(b, dt.date) and b < a:
        row.reject(f"{second}", f"{b.isoformat()} is before {first} {a.isoformat()}")


def validate_rows(table_name: str, src_file: str, chunk: Any, mapping: dict[str, str]) -> list[Row]:
    """Every row of a chunk (a text DataFrame from `readers.read_chunks`, row numbers in `_row`), as
    `validate_row` gives each.

    Why: per-row Python was most of the loader's client CPU (session 20, docs/benchmarks.md). Transfers,
    the big table, are parsed column by column (`_transfer_rows`); every other table row by row."""
    if table_name == "transfers":
        return _transfer_rows(src_file, chunk, mapping)
    return [validate_row(table_name, src_file, int(rec.pop("_row")), rec, mapping)
            for rec in chunk.to_dict("records")]


def _transfer_rows(src_file: str, chunk: Any, mapping: dict[str, str]) -> list[Row]:
    """Transfers column-wise. A row takes the quick way only when every check it needs is one that
    passes here (values as `validate_row` sets them); any other row (a reason to give, a cash row, an
    extra column with a value) goes through `validate_row` itself, so reasons never differ."""
    table = TABLES["transfers"]
    headers = [h for h in chunk.columns if h != "_row"]
    cells = [chunk[h].tolist() for h in headers]
    rownums = chunk["_row"].tolist()
    n = len(rownums)
    blank = [""] * n
    texts: dict[str, list[str]] = {}
    extra_cols: list[list[str]] = []
    for h, col in zip(headers, cells):
        name = mapping.get(h)
        if name is None:
            continue
        stripped = [str(t).strip() for t in col]
        if name.startswith("x_"):
            extra_cols.append(stripped)
        else:
            texts[name] = stripped  # as validate_row: a later header of the same name wins
    col = {c.name: texts.get(c.name, blank) for c in table.columns}
    fens, _ = parse.parse_money_fen_column(col["amount"])  # a reason is given by validate_row itself
    ats, _ = parse.parse_datetime_column(col["at"])
    kinds: dict[str, str | None] = {"": "transfer"}  # blank: the contract's default
    currencies: dict[str, str | None] = {}
    options = ENUMS["transfer_kind"]
    ids, fa, ta, fn, tn = col["transfer_id"], col["from_account"], col["to_account"], col["from_name"], col["to_name"]
    cur, ch, memo, kind, merchant = col["currency"], col["channel"], col["memo"], col["kind"], col["merchant"]
    out: list[Row] = []
    for i in range(n):
        k = kinds.get(kind[i], "?")
        if k == "?":
            t = kind[i]
            k = kinds[t] = options.get(t.lower()) or options.get(t)
        c = currencies.get(cur[i], "?")
        if c == "?":
            try:
                c = parse.parse_currency(cur[i])
            except ValueError:
                c = None
            currencies[cur[i]] = c
        fen, at = fens[i], ats[i]
        if (not ids[i] or not fa[i] or not ta[i] or fa[i] == ta[i] or fen is None or fen <= 0 or at is None
                or k is None or k in CASH_KINDS or c is None or any(x[i] for x in extra_cols)):
            out.append(validate_row("transfers", src_file, int(rownums[i]), _Cells(headers, cells, i), mapping))
            continue
        row = Row("transfers", src_file, int(rownums[i]), _Cells(headers, cells, i))
        stamp, has_time = at
        row.values = {"transfer_id": ids[i], "from_account": fa[i], "to_account": ta[i], "from_name": fn[i] or None,
                      "to_name": tn[i] or None, "amount": fen, "at": stamp, "currency": c, "channel": ch[i] or None,
                      "memo": memo[i] or None, "kind": k, "merchant": merchant[i] or None, "at_has_time": has_time,
                      "on": stamp.date()}
        out.append(row)
    return out
