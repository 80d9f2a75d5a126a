"""The generated world as an investigator receives it: contract tables for persons, cases,
relations, companies, assets and prison accounts, plus bank and payment query returns.

Why: the statement loader must rebuild the same graph from returns as from contract
tables: exactly one TRANSFER per real transfer, and the same leads. Every bank account
gets a 公安 资金查控 return (交易明细信息 + 账户信息 with a card number alias, GB18030) or a
纪委/监委 查询反馈 return; every payment account a 财付通 TenpayTrades / TenpayRegInfo return.
The receiving side's time lags the paying side's by up to `MAX_SKEW` seconds, and a
counterparty on a police return is named by its card number on half the rows.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import shutil
import tempfile
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ingest.parse import format_fen, parse_datetime, parse_money_fen
from ingest.statements import header_row

from synth.generate import generate

logger = logging.getLogger(__name__)

MAX_SKEW = 120
KEEP = ("persons", "relations", "companies", "company_roles", "inmates", "assets", "asset_transfers", "cases")
# the header rows come from the profiles (ingest/profiles/*.toml `headers`): one home
POLICE_TX = header_row("police_transactions")
POLICE_ACC = header_row("police_accounts")
JIWEI = header_row("jiwei_feedback")
TENPAY = header_row("tenpay_trades")
TENPAY_REG = header_row("tenpay_reginfo")
TX_ZH = {"流水号": "transfer_id", "付款账号": "from_account", "收款账号": "to_account", "付款户名": "from_name",
         "收款户名": "to_name", "金额": "amount", "交易时间": "at", "币种": "currency", "渠道": "channel", "摘要": "memo"}


def _h(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


def card_of(account: str) -> str:
    """A deterministic card number for a bank account (the alias 账户信息 lists)."""
    return "62" + str(_h("card" + account) % 10**17).zfill(17)


def _read(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{TX_ZH.get(k, k): v for k, v in r.items()} for r in rows]


def _layout(account: str, kind: str) -> str:
    if kind == "payment":
        return "tenpay"
    return "police" if _h(account) % 2 == 0 else "jiwei"


def write_returns(out_dir: Path, seed: int, persons: int, transfers: int | None = None,
                  as_of: date = date(2025, 10, 31)) -> dict[str, Any]:
    """Generate a world and write it as contract tables plus returns; returns a summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        summary = generate(src, seed, persons, transfers, as_of)
        for t in KEEP:
            if (src / f"{t}.csv").exists():
                shutil.copy(src / f"{t}.csv", out_dir / f"{t}.csv")
        shutil.copy(src / "ground_truth.json", out_dir / "ground_truth.json")
        people = {r["person_id"]: r for r in _read(src / "persons.csv")}
        companies = {r["company_id"]: r for r in _read(src / "companies.csv")}
        accounts = _read(src / "accounts.csv")
        txs = _read(src / "transfers.csv") + _read(src / "transfers_bank2.csv", "gb18030")
        balances = _read(src / "balances.csv")
    returned = {a["account_id"]: a for a in accounts if a["kind"] in ("bank", "payment")}
    kept = [a for a in accounts if a["account_id"] not in returned]
    _write(out_dir / "accounts.csv", ["account_id", "holder_id", "kind", "institution", "opened_on", "closed_on"], kept)
    kept_ids = {a["account_id"] for a in kept}
    _write(out_dir / "balances.csv", ["account_id", "as_of", "balance"],
           [b for b in balances if b["account_id"] in kept_ids])

    def holder(acc: dict) -> tuple[str, str, str]:
        hid = acc["holder_id"]
        if hid in people:
            p = people[hid]
            return p["name"], p["id_number"], p.get("phone", "")
        c = companies[hid]
        return c["name"], hid, ""

    police: dict[str, list[list[str]]] = defaultdict(list)
    jiwei: dict[str, list[list[str]]] = defaultdict(list)
    tenpay: list[list[str]] = []
    rest: list[dict] = []
    real = 0
    for t in txs:
        fa, ta = returned.get(t["from_account"]), returned.get(t["to_account"])
        payment_fx = t["currency"] not in ("", "CNY") and any(a and a["kind"] == "payment" for a in (fa, ta))
        if (fa is None and ta is None) or payment_fx:
            rest.append(t)
            continue
        real += 1
        fen = parse_money_fen(t["amount"])
        at, has_time = parse_datetime(t["at"])
        skew = _h(t["transfer_id"]) % (MAX_SKEW + 1) if has_time else 0
        for acc, out in ((fa, True), (ta, False)):
            if acc is None:
                continue
            own = acc["account_id"]
            cp = t["to_account"] if out else t["from_account"]
            cp_acc = returned.get(cp)
            cp_name = t["to_name"] if out else t["from_name"]
            when = at + timedelta(seconds=0 if out else skew)
            name, idn, _ = holder(acc)
            serial = f"{t['transfer_id']}{'D' if out else 'C'}"
            lay = _layout(own, acc["kind"])
            if lay == "police":
                named = card_of(cp) if cp_acc and _layout(cp, cp_acc["kind"]) == "police" and \
                    _h(t["transfer_id"]) % 2 else cp
                r = dict.fromkeys(POLICE_TX, "")
                r.update({"交易卡号": card_of(own), "交易账号": own, "交易方户名": name, "交易方证件号码": idn,
                          "交易时间": when.strftime("%Y%m%d%H%M%S" if has_time else "%Y%m%d"),
                          "交易金额": format_fen(fen, grouped=False), "收付标志": "出" if out else "进",
                          "交易对手账卡号": named, "对手户名": cp_name, "摘要说明": t["memo"],
                          "交易币种": t["currency"] or "CNY", "交易是否成功": "成功", "交易流水号": serial,
                          "交易类型": t["channel"]})
                police[acc.get("institution") or "bank"].append([r[h] for h in POLICE_TX])
            elif lay == "jiwei":
                r = dict.fromkeys(JIWEI, "")
                r.update({"查询对象": name, "反馈单位": acc.get("institution", ""), "查询项": "交易明细",
                          "查询账户": own, "本方账号": own, "交易类型": t["channel"], "借贷标志": "借" if out else "贷",
                          "币种": t["currency"] or "CNY", "交易金额": format_fen(fen, grouped=False),
                          "交易时间": when.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"),
                          "交易流水号": serial, "交易对方姓名": cp_name, "交易对方账户": cp, "交易摘要": t["memo"],
                          "交易是否成功": "是"})
                jiwei[acc.get("institution") or "bank"].append([r[h] for h in JIWEI])
            else:
                r = dict.fromkeys(range(len(TENPAY)), "")
                vals = {"用户ID": own, "交易单号": t["transfer_id"], "用户侧账号名称": name, "借贷类型": "出" if out else "入",
                        "交易业务类型": t["channel"], "交易用途类型": t["memo"],
                        "交易时间": when.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"),
                        "交易金额(分)": str(fen), "用户侧网银联单号": serial, "对手方ID": cp, "对手侧账户名称": cp_name}
                for i, h in enumerate(TENPAY):
                    if h in vals and not (h == "网联/银联"):
                        r[i] = vals[h]
                tenpay.append([r[i] for i in range(len(TENPAY))])
    files: dict[str, int] = {}
    for inst, rows in sorted(police.items()):
        name = f"{inst}_交易明细信息.csv"
        _rows(out_dir / name, POLICE_TX, rows, "gb18030")
        files[name] = len(rows)
    for inst, rows in sorted(jiwei.items()):
        name = f"{inst}_查询反馈.csv"
        _rows(out_dir / name, JIWEI, [[str(i)] + r[1:] for i, r in enumerate(rows, 1)], "utf-8")
        files[name] = len(rows)
    # 账户信息 for every bank account (the 纪委 template names no holder ID): card alias on police returns
    by_inst: dict[str, list[dict]] = defaultdict(list)
    for a in returned.values():
        if a["kind"] == "bank":
            by_inst[a.get("institution") or "bank"].append(a)
    for inst, accs in sorted(by_inst.items()):
        _rows(out_dir / f"{inst}_账户信息.csv", POLICE_ACC,
              [[holder(a)[0], holder(a)[1],
                card_of(a["account_id"]) if _layout(a["account_id"], "bank") == "police" else "", a["account_id"],
                inst, "正常", a.get("opened_on", "").replace("-", ""), a.get("closed_on", "").replace("-", ""), "人民币"]
               for a in sorted(accs, key=lambda a: a["account_id"])], "gb18030")
    if tenpay:
        _rows(out_dir / "TenpayTrades.txt", TENPAY, tenpay, "utf-8", "\t")
        files["TenpayTrades.txt"] = len(tenpay)
        pays = sorted((a for a in returned.values() if a["kind"] == "payment"), key=lambda a: a["account_id"])
        _rows(out_dir / "TenpayRegInfo.txt", TENPAY_REG,
              [["正常", a["account_id"], holder(a)[0], (a.get("opened_on") or "") and a["opened_on"] + " 00:00:00",
                holder(a)[1], holder(a)[2], "已绑定", "", ""] for a in pays], "utf-8", "\t")
    _write(out_dir / "transfers.csv", ["transfer_id", "from_account", "to_account", "from_name", "to_name", "amount",
                                       "at", "currency", "channel", "memo"], rest)
    out = {"out_dir": str(out_dir), "seed": seed, "transfers": len(txs), "in_returns": real,
           "contract_transfers": len(rest), "return_files": files, "generator": summary["tables"]}
    (out_dir / "returns_summary.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def _write(path: Path, cols: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c, "") for c in cols])


def _rows(path: Path, header: list[str], rows: list[list[str]], encoding: str, delimiter: str = ",") -> None:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)


def run(args: argparse.Namespace) -> int:
    """CLI entry for `python -m ingest generate DIR --as-returns`."""
    try:
        summary = write_returns(args.dir, args.seed, args.persons, args.transfers, args.as_of)
    except ValueError as e:
        print(f"error: {e}")
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0
