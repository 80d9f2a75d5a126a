"""Load bank and payment returns: read every file, pair the two sides of each transfer, write.

Guarantees (docs/statements.md): per file, read = loaded + paired + skipped + rejected;
both sides of one payment become one TRANSFER (same amount and currency, opposite
directions, the counterparty named by account or card number, times within
`tolerance` seconds or the same day when a side has no time; Tenpay sides by 交易单号);
ids are deterministic (a reload or an overlapping return adds nothing); holders are
linked by ID number only, with the reason kept; cash is a TRANSFER self-loop of the account with its cash `kind`.
"""
from __future__ import annotations

import csv
import json
import logging
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from graph import Graph

from .. import parse, writers
from ..readers import InputError
from . import store
from .normalise import AccountInfo, PersonInfo, Reject, Side, Skip, account, person, side_key, transaction
from .reading import Sniff, iter_rows, own_account_from_context, sniff

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
BATCH = 5000
TX_BATCH = 20000  # transfer rows per write transaction


@dataclass
class Prepared:
    """A return file checked before anything is written: its layout and own account."""

    sniff: Sniff
    own_default: str | None = None
    own_source: str = ""


@dataclass
class StatementResult:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    paired_sides: int = 0
    unpaired_sides: int = 0
    transfers: int = 0
    cash: int = 0
    persons_created: int = 0
    holder_links: int = 0
    balances: int = 0
    known_sides: int = 0  # sides an earlier load already wrote (a reload or an overlapping return)

    def totals(self) -> dict[str, int]:
        keys = ("read", "loaded", "paired", "skipped", "rejected")
        return {k: sum(f[k] for f in self.files.values()) for k in keys}

    def summary(self) -> dict[str, Any]:
        """Every field by name (the load's summary keeps it)."""
        return asdict(self)


def prepare(paths: list[Path], accounts: dict[str, str] | None = None) -> list[Prepared]:
    """Sniff every file; an unknown layout or an unknown own account is an InputError (nothing written)."""
    accounts = accounts or {}
    out = []
    errors = []
    for path in paths:
        s = sniff(path)
        if s.profile is None:
            errors.append(s.why_not())
            continue
        prep = Prepared(s)
        if s.profile.kind == "transactions" and "column" not in s.profile.own_account_from:
            override = accounts.get(path.name) or accounts.get("")
            prep.own_default, prep.own_source = own_account_from_context(s, override)
            if not prep.own_default:
                errors.append(f"{path.name} ({s.profile.name}): its own account is not in the preamble or the "
                              f"file name; give it with --account {path.name}=ACCOUNT")
        out.append(prep)
    if errors:
        raise InputError("\n".join(errors))
    return out


class _Rejects:
    def __init__(self, path: Path, load_id: str) -> None:
        self.path, self.load_id = path, load_id
        self._f: Any = None
        self._w: Any = None

    def write(self, file: str, row: int, profile: str, reason: str, cells: list[str], headers: list[str]) -> None:
        if self._w is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "w", newline="", encoding="utf-8-sig")
            self._w = csv.writer(self._f)
            self._w.writerow(["load_id", "file", "row", "profile", "reasons", "values"])
        values = {h or f"column{i + 1}": c for i, (h, c) in enumerate(zip(headers, cells)) if c}
        self._w.writerow([self.load_id, file, row, profile, reason, json.dumps(values, ensure_ascii=False)])

    def close(self) -> None:
        if self._f:
            self._f.close()


def _read(preps: list[Prepared], rejects: _Rejects, result: StatementResult,
          on_progress: Callable[[str, int], None] | None):
    sides: list[Side] = []
    accts: list[AccountInfo] = []
    persons: list[PersonInfo] = []
    for prep in preps:
        s, p = prep.sniff, prep.sniff.profile
        assert p is not None
        counts: dict[str, Any] = {"profile": p.name, "kind": p.kind, "read": 0, "loaded": 0, "paired": 0,
                                  "skipped": 0, "rejected": 0, "skipped_reasons": Counter()}
        if prep.own_default:
            counts["own_account"] = f"{prep.own_default} ({prep.own_source})"
        result.files[s.name] = counts
        nth: Counter = Counter()
        for i, cells in enumerate(iter_rows(s.path, s.encoding, s.delimiter)):
            if i <= s.header_index or not any(cells):
                continue
            row = i + 1  # as a spreadsheet or editor shows it
            counts["read"] += 1
            try:
                if p.kind == "transactions":
                    side = transaction(p, s.columns, cells, s.name, row, prep.own_default)
                    basis = side_key(side, 0)
                    nth[basis] += 1
                    side.key = basis if nth[basis] == 1 else side_key(side, nth[basis] - 1)
                    sides.append(side)
                elif p.kind == "accounts":
                    accts.append(account(p, s.columns, cells, s.name, row))
                    counts["loaded"] += 1
                else:
                    persons.append(person(p, s.columns, cells, s.name, row))
                    counts["loaded"] += 1
            except Skip as exc:
                counts["skipped"] += 1
                counts["skipped_reasons"][str(exc)] += 1
            except Reject as exc:
                counts["rejected"] += 1
                rejects.write(s.name, row, p.name, str(exc), cells, s.headers)
            if on_progress and counts["read"] % 50000 == 0:
                on_progress(s.name, counts["read"])
        if on_progress:
            on_progress(s.name, counts["read"])
    return sides, accts, persons


def _alias_map(g: Graph, sides: list[Side], accts: list[AccountInfo]) -> tuple[dict[str, str], dict[str, set]]:
    """Card / other numbers -> the account id (the account number when a return gives both)."""
    canon = store.aliases(g)
    own_aliases: dict[str, set] = defaultdict(set)
    pairs = [(a.account, a.card) for a in accts if a.account and a.card]
    pairs += [(s.own, s.own_card) for s in sides if s.own_card and s.own != s.own_card]
    for acc, card in pairs:
        acc = canon.get(acc, acc)
        canon[card] = acc
        own_aliases[acc].add(card)
    return canon, own_aliases


def _pair(sides: list[Side], tolerance: int) -> dict[str, str]:
    """out side key <-> in side key for the sides of one payment (both directions in the map)."""
    partner: dict[str, str] = {}
    by_order: dict[str, list[Side]] = defaultdict(list)
    for s in sides:
        if s.order_id and s.kind == "transfer":
            by_order[s.order_id].append(s)
    for group in by_order.values():
        outs = [s for s in group if s.out]
        ins = [s for s in group if not s.out]
        if len(outs) == 1 and len(ins) == 1 and outs[0].amount == ins[0].amount and outs[0].own != ins[0].own:
            partner[outs[0].key], partner[ins[0].key] = ins[0].key, outs[0].key
    buckets: dict[tuple, tuple[list[Side], list[Side]]] = defaultdict(lambda: ([], []))
    for s in sides:
        if s.cp is None or s.key in partner or s.kind != "transfer":
            continue
        k = (s.own, s.cp, s.amount, s.currency) if s.out else (s.cp, s.own, s.amount, s.currency)
        buckets[k][0 if s.out else 1].append(s)
    for outs, ins in buckets.values():
        if not outs or not ins:
            continue
        outs.sort(key=lambda s: (s.at, s.key))
        ins.sort(key=lambda s: (s.at, s.key))
        used = [False] * len(ins)
        for o in outs:
            for j, n in enumerate(ins):
                if used[j]:
                    continue
                if o.has_time and n.has_time:
                    ok = abs((n.at - o.at).total_seconds()) <= tolerance
                else:
                    ok = n.at.date() == o.at.date()
                if ok:
                    used[j] = True
                    partner[o.key], partner[n.key] = n.key, o.key
                    break
                if n.at > o.at and (n.at - o.at).total_seconds() > max(tolerance, 86400):
                    break
    return partner


def _side_props(s: Side, prefix: str) -> dict[str, Any]:
    return {f"{prefix}_side": s.key, f"{prefix}_file": s.file, f"{prefix}_row": s.row, f"{prefix}_serial": s.serial}


def _ends(out: Side | None, inn: Side | None) -> tuple[str, str, str | None, str | None, str | None, str | None]:
    """(from, to, from_name, to_name, from_id_number, to_id_number) of the transfer two sides make."""
    if out is not None:
        frm, to = out.own, (inn.own if inn else out.cp)
        from_name, to_name = out.own_name or (inn.cp_name if inn else None), (inn.own_name if inn else out.cp_name)
        return frm, to, from_name, to_name, None, (None if inn else out.cp_id)  # type: ignore[return-value]
    assert inn is not None
    return inn.cp, inn.own, inn.cp_name, inn.own_name, inn.cp_id, None  # type: ignore[return-value]


def _transfer_row(tid: str, out: Side | None, inn: Side | None) -> dict[str, Any]:
    main = out or inn
    assert main is not None
    frm, to, from_name, to_name, _, _ = _ends(out, inn)
    props = {"amount_fen": main.amount, "currency": main.currency, "at_has_time": main.has_time,
             "kind": main.kind, "source": "statement"}
    for k in ("memo", "channel", "merchant", "order_id"):
        v = getattr(main, k) or (getattr(inn, k) if inn and main is out else None)
        if v is not None:
            props[k] = v
    if from_name:
        props["from_name"] = from_name
    if to_name:
        props["to_name"] = to_name
    row: dict[str, Any] = {"key": tid, "from_account": frm, "to_account": to,
                           "at": main.at.isoformat(), "on": main.at.date().isoformat(),
                           "src_file": main.file, "src_row": main.row, "props": props}
    for prefix, s in (("out", out), ("in", inn)):
        sp = _side_props(s, prefix) if s else {f"{prefix}_{p}": None for p in store.SIDE_PROPS}
        row.update(sp)
        props.update({k: v for k, v in sp.items() if v is not None})
    return row


def load_statements(g: Graph, preps: list[Prepared], load_id: str, rejects_dir: Path,
                    tolerance: int = TOLERANCE_SECONDS,
                    on_progress: Callable[[str, int], None] | None = None) -> StatementResult:
    """Read, pair and write the prepared return files (see the module docstring)."""
    result = StatementResult()
    rejects = _Rejects(Path(rejects_dir) / "statements.csv", load_id)
    try:
        return _load(g, preps, load_id, rejects, result, tolerance, on_progress)
    finally:
        rejects.close()


def _load(g: Graph, preps: list[Prepared], load_id: str, rejects: _Rejects, result: StatementResult,
          tolerance: int, on_progress: Callable[[str, int], None] | None) -> StatementResult:
    sides, accts, persons = _read(preps, rejects, result, on_progress)
    canon, own_aliases = _alias_map(g, sides, accts)
    for s in sides:
        s.own = canon.get(s.own, s.own)
        if s.cp:
            s.cp = canon.get(s.cp, s.cp)
            if s.cp == s.own:
                s.cp = None  # a transfer between a card and its own account is not a transfer out
    # the same side twice in this load (overlapping returns): keep the first
    unique: dict[str, Side] = {}
    for s in sides:
        first = unique.setdefault(s.key, s)
        if first is not s:
            c = result.files[s.file]
            c["skipped"] += 1
            c["skipped_reasons"][f"same row as {first.file} row {first.row}"] += 1
    sides = list(unique.values())
    # a counterparty a statement names without any number (a WeChat bill's 交易对方): an unknown-holder
    # account keyed by the institution and the name as given, marked name_only (never linked to a holder)
    kinds0 = {p.sniff.name: p.sniff.profile for p in preps}
    name_only: set[str] = set()
    for s in sides:
        if s.cp is None and s.kind == "transfer" and s.cp_name:
            prof = kinds0[s.file]
            s.cp = f"{prof.institution or prof.name}:{s.cp_name}"  # type: ignore[union-attr]
            name_only.add(s.cp)
    # own accounts and their aliases
    kinds = {p.sniff.name: p.sniff.profile for p in preps}
    own: dict[str, dict[str, Any]] = {}
    for a in accts:
        key = canon.get(a.account or a.card, a.account or a.card)  # type: ignore[arg-type]
        prof = kinds[a.file]
        rec = own.setdefault(key, {"key": key, "kind": prof.account_kind, "institution": a.institution,  # type: ignore[union-attr]
                                   "opened_on": a.opened_on, "closed_on": a.closed_on, "aliases": set(),
                                   "src_file": a.file, "src_row": a.row})
        rec["aliases"] |= own_aliases.get(key, set())
    for s in sides:
        if s.own not in own:
            prof = kinds[s.file]
            own[s.own] = {"key": s.own, "kind": prof.account_kind, "institution": prof.institution,  # type: ignore[union-attr]
                          "opened_on": None, "closed_on": None, "aliases": own_aliases.get(s.own, set()),
                          "src_file": s.file, "src_row": s.row}
    # a card an earlier load saw as an unknown counterparty now belongs to an own account: fold it in first,
    # so a lone side below finds its partner on the account
    fold = [{"alias": al, "account": k, "src_file": r["src_file"], "src_row": r["src_row"]}
            for k, r in own.items() for al in sorted(r["aliases"])]
    present = writers.existing(g, "account", [f["alias"] for f in fold]) if fold else set()
    g.write_batches(store.Q_FOLD_ALIASES, [f for f in fold if f["alias"] in present], 500, load_id=load_id)
    partner = _pair(sides, tolerance)
    stored = store.existing_sides(g, list(unique))  # side key -> transfer id (a reload)
    attached: dict[str, str] = {}  # lone side -> transfer id its partner made in an earlier load
    lone = [s for s in sides if s.key not in partner and s.key not in stored and s.cp and s.kind == "transfer"]
    if lone:
        cand = store.partners(g, [{"side": s.key, "out": s.out, "amount": s.amount, "currency": s.currency,
                                   "from_account": s.own if s.out else s.cp, "to_account": s.cp if s.out else s.own,
                                   "has_time": s.has_time, "at": s.at.isoformat(),
                                   "on": s.at.date().isoformat()} for s in lone], tolerance)
        taken: set[str] = set()
        for r in cand:
            if r["side"] not in attached and r["transfer_id"] not in taken:
                attached[r["side"]] = r["transfer_id"]
                taken.add(r["transfer_id"])
    # holders by ID number
    holder_claims: dict[str, tuple[str, str, str, int]] = {}  # account -> (id number, reason, file, row)
    for a in accts:
        if a.holder_id:
            key = canon.get(a.account or a.card, a.account or a.card)  # type: ignore[arg-type]
            col = kinds[a.file].fields.get("holder_id_number", ("ID",))[0]  # type: ignore[union-attr]
            holder_claims.setdefault(key, (a.holder_id, f"{col} {a.holder_id} in {a.file} row {a.row}", a.file, a.row))
    for s in sides:
        if s.own_id and s.own not in holder_claims:
            holder_claims[s.own] = (s.own_id.upper(), f"交易方证件号码 {s.own_id} in {s.file} row {s.row}",
                                    s.file, s.row)
    cp_claims: dict[str, tuple[str, str, str, int]] = {}
    for s in sides:
        if s.cp and s.cp_id and s.cp not in own and s.cp not in cp_claims:
            cp_claims[s.cp] = (s.cp_id.upper(), f"对手证件号码 {s.cp_id} in {s.file} row {s.row}", s.file, s.row)
    ids = sorted({c[0] for c in holder_claims.values()} | {c[0] for c in cp_claims.values()})
    found = store.parties(g, ids) if ids else {}
    names = {p.id_number: p for p in persons}
    acct_names = {a.holder_id: (a.holder_name, a.holder_phone, a.file, a.row) for a in accts if a.holder_id}
    new_persons: dict[str, dict[str, Any]] = {}
    for acc, (idn, *_rest) in holder_claims.items():
        if found.get(idn) is not None or not parse.id_number_valid(idn):
            continue
        info = names.get(idn)
        if info:
            name, phone, addr, f, r = info.name, info.phone, info.address, info.file, info.row
        elif idn in acct_names and acct_names[idn][0]:
            name, phone, f, r = acct_names[idn]
            addr = None
        else:
            continue  # no name for this ID anywhere in the returns: the account keeps the number only
        new_persons[idn] = {"key": f"BANK-{idn}", "name": name, "id_number": idn, "valid": True, "phone": phone,
                            "address": addr, "src_file": f, "src_row": r}
        found[idn] = ("Person", f"BANK-{idn}")
    links: dict[str, list[dict]] = defaultdict(list)
    for claims in (holder_claims, cp_claims):
        for acc, (idn, reason, f, r) in claims.items():
            party = found.get(idn)
            if isinstance(party, tuple):
                links[party[0]].append({"account": acc, "party": party[1], "reason": reason,
                                        "src_file": f, "src_row": r, "pj": _entry(f, r, reason=reason),
                                        "hj": _entry(f, r, holder_id=party[1], holder_reason=reason)})
            elif party == "ambiguous":
                logger.warning("%s: ID %s matches more than one party; holder not linked", acc, idn)
    # which transfer each side makes or joins (the counts are kept here, once)
    by_key = {s.key: s for s in sides}
    plan: list[tuple[str, Side | None, Side | None]] = []
    cash: list[Side] = []
    written: set[str] = set()
    known_sides = 0
    done: set[str] = set()
    for s in sides:
        if s.key in done:
            continue
        c = result.files[s.file]
        done.add(s.key)
        if s.kind != "transfer":
            cash.append(s)
            c["loaded"] += 1
            continue
        mate = by_key.get(partner.get(s.key, ""))
        out, inn = (s, mate) if s.out else (mate, s)
        if mate is None and s.cp is None:
            c["rejected"] += 1  # a transfer with no counterparty and no cash mark cannot be drawn
            rejects.write(s.file, s.row, kinds[s.file].name, "counterparty: no account number, no name and not "  # type: ignore[union-attr]
                          "marked as cash", [], [])
            continue
        tid = (stored.get(out.key) if out else None) or (stored.get(inn.key) if inn else None) or \
            attached.get(s.key) or "S" + (out or inn).key  # type: ignore[union-attr]
        if tid not in written:
            written.add(tid)
            plan.append((tid, out, inn))
        if mate is not None:
            done.add(mate.key)
            result.files[out.file]["loaded"] += 1  # type: ignore[union-attr]
            result.files[inn.file]["paired"] += 1  # type: ignore[union-attr]
            result.paired_sides += 2
        elif s.key in attached:
            c["paired"] += 1
            result.paired_sides += 1
        else:
            c["loaded"] += 1
            if s.key in stored:
                known_sides += 1
            else:
                result.unpaired_sides += 1
    del done, by_key
    # every account the load touches, merged once with all its rows said (names, ID numbers, aliases)
    acc_rows = _account_rows(own, plan, name_only)
    # writes: bank-known persons, accounts, folded card nodes, holders, transfers, cash, balances
    tag = f"{load_id}|statements|"
    for r in new_persons.values():
        r["pj"] = _entry(r["src_file"], r["src_row"], name=r["name"], id_number=r["id_number"],
                         id_number_valid=True, phone=r["phone"], address=r["address"], known_from="bank_return")
    g.write_batches(store.Q_BANK_PERSONS, list(new_persons.values()), BATCH, load_id=load_id, tag=tag)
    g.write_batches(store.Q_ACCOUNTS, acc_rows, BATCH, load_id=load_id, tag=tag)
    for lab, rows in sorted(links.items()):
        g.write_batches(store.q_holders(lab), rows, BATCH, load_id=load_id, tag=tag,
                        htag=f"{load_id}|statements_holder|")
    g.write_batches(store.Q_TRANSFERS, (_with_entry(_transfer_row(tid, out, inn)) for tid, out, inn in plan),
                    TX_BATCH, load_id=load_id, tag=tag)
    c_rows = [_with_entry(_transfer_row("C" + s.key, s, None) | {"to_account": s.own}) for s in cash]
    g.write_batches(store.Q_CASH, c_rows, TX_BATCH, load_id=load_id, tag=tag)
    # balances: the last one of each day per account
    last: dict[tuple[str, str], Side] = {}
    for s in sides:
        if s.balance is None or s.balance < 0:
            continue
        k = (s.own, s.at.date().isoformat())
        prev = last.get(k)
        if prev is None or (s.at, s.file, s.row) >= (prev.at, prev.file, prev.row):
            last[k] = s
    bal_rows = [{"key": f"{a}|{d}", "account_id": a, "as_of": s.at.date(), "props": {"balance_fen": s.balance},
                 "src_file": s.file, "src_row": s.row} for (a, d), s in sorted(last.items())]
    for r in bal_rows:  # per-load provenance, so `ingest unload` takes back exactly this load's balances
        r["pj"], r["pe"] = writers.prov_entry("balances", r)
    g.write_batches(writers.Q_BALANCES, bal_rows, BATCH, load_id=load_id, tag=f"{load_id}|balances|")
    result.transfers, result.cash = len(written), len(c_rows)
    result.persons_created = len(new_persons)
    result.holder_links = sum(len(v) for v in links.values())
    result.balances = len(bal_rows)
    result.known_sides = known_sides
    for c in result.files.values():
        c["skipped_reasons"] = dict(c["skipped_reasons"])
        assert c["read"] == c["loaded"] + c["paired"] + c["skipped"] + c["rejected"], c
    logger.info("statements: %d transfers, %d cash, %d paired sides, %d unpaired", result.transfers,
                result.cash, result.paired_sides, result.unpaired_sides)
    return result


def _entry(file: str, row: int, **values: Any) -> str:
    """The JSON of a `prov` entry (ingest/writers.py): the source and what this load stated."""
    props = {k: v for k, v in values.items() if v is not None and v != []}
    return writers.prov_entry("statements", {"src_file": file, "src_row": row, "props": props})[0]


def _with_entry(row: dict[str, Any]) -> dict[str, Any]:
    """A transfer row with its `prov` entry: the sides this load gave and the values they carry."""
    row["pj"] = writers.prov_entry("transfers", row)[0]
    return row


def _account_rows(own: dict[str, dict[str, Any]], plan: list[tuple[str, Side | None, Side | None]],
                  name_only: set[str]) -> list[dict[str, Any]]:
    """One row per account the load touches: its own accounts and every transfer's two ends."""
    recs: dict[str, dict[str, Any]] = {}

    def rec(key: str, file: str, row: int) -> dict[str, Any]:
        r = recs.get(key)
        if r is None:
            base = own.get(key)
            r = recs[key] = {"key": key, "kind": None, "institution": None, "opened_on": None, "closed_on": None,
                             "aliases": [], "queried": False, "src_file": file, "src_row": row,
                             "stmt_names": [], "stmt_id_numbers": [], "name_only": key in name_only}
            if base:
                r.update({k: base[k] for k in ("kind", "institution", "opened_on", "closed_on", "src_file",
                                               "src_row")}, queried=True, aliases=sorted(base["aliases"]))
        return r

    for key, base in own.items():
        rec(key, base["src_file"], base["src_row"])
    for _tid, out, inn in plan:
        main = out or inn
        assert main is not None
        frm, to, from_name, to_name, from_idn, to_idn = _ends(out, inn)
        for key, name, idn in ((frm, from_name, from_idn), (to, to_name, to_idn)):
            r = rec(key, main.file, main.row)
            if name and name not in r["stmt_names"] and len(r["stmt_names"]) < writers.MAX_NAMES:
                r["stmt_names"].append(name)
            if idn and idn not in r["stmt_id_numbers"]:
                r["stmt_id_numbers"].append(idn)
    for r in recs.values():
        r["pj"] = _entry(r["src_file"], r["src_row"], kind=r["kind"], institution=r["institution"],
                         opened_on=r["opened_on"], closed_on=r["closed_on"], aliases=r["aliases"],
                         queried=r["queried"] or None, stmt_names=r["stmt_names"],
                         stmt_id_numbers=r["stmt_id_numbers"], name_only=r["name_only"] or None)
    return list(recs.values())
