"""Synthetic contract folder with planted concealment cases, decoys and ground truth.

Why: detection patterns, the UI and the benchmarks need data whose right answers are
known. `generate()` writes a contract folder (/work/shared/data-contract.md) with a
realistic background population plus, for every pattern of
/work/shared/detection-spec.md, planted cases that meet the definition with the
default parameters by a clear margin and decoys that miss it by one condition.
`ground_truth.json` lists both. docs/generator.md documents every construction.

Transfers are streamed day by day (only one day's rows are in memory), so a
million rows cost little memory. The same seed gives the same bytes.
"""
from __future__ import annotations

import argparse
import bisect
import csv
import json
import logging
import math
import random
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from . import names
from ingest.parse import format_fen

logger = logging.getLogger(__name__)

PATTERNS = (
    "post_filing_transfer_to_related", "layered_chain", "round_trip", "fan_out_dispersal",
    "below_value_conveyance", "above_value_purchase", "sham_divorce", "shell_company_transfer",
    "small_fine_capacity",
)
#: The detection spec's defaults the plants and decoys are built against (money in yuan).
DEFAULT_PARAMS = {
    "post_filing_transfer_to_related": {"min_total": 10_000},
    "layered_chain": {"max_intermediates": 4, "max_gap_days": 7, "min_ratio": 0.5, "max_ratio": 1.05,
                      "max_degree": 200, "min_amount": 10_000},
    "round_trip": {"max_intermediates": 4, "max_days": 60, "min_ratio": 0.5, "max_ratio": 1.05, "min_amount": 10_000},
    "fan_out_dispersal": {"window_days": 30, "min_recipients": 5, "min_each": 10_000},
    "below_value_conveyance": {"ratio": 0.7},
    "above_value_purchase": {"ratio": 1.3},
    "sham_divorce": {"before_days": 90, "window_days": 180, "min_total": 10_000},
    "shell_company_transfer": {"min_total": 10_000, "min_share_pct": 5},
    "small_fine_capacity": {"lenient": 800, "ordinary": 600, "probation": 400, "strict": 300},
}
#: Monthly spending standard per treatment level, in yuan (detection-spec defaults).
LEVEL_STD_YUAN = {"lenient": 800, "ordinary": 600, "probation": 400, "strict": 300}
FINE_KINDS = ("criminal_fine", "confiscation", "restitution")
#: Background person-to-person / unknown-counterparty payments never exceed this (fen),
#: so no background hop can continue a planted hop of >= 20,000 yuan within the 0.5 ratio.
BG_P2P_MAX = 500_000
PURCHASE_MAX = 300_000

HEADERS = {
    "persons": ["person_id", "name", "id_number", "gender", "birth_date", "phone", "address"],
    "relations": ["person_id", "other_person_id", "relation", "since", "until"],
    "companies": ["company_id", "name", "registered_on"],
    "company_roles": ["person_id", "company_id", "role", "share_pct", "since", "until"],
    "accounts": ["account_id", "holder_id", "kind", "institution", "opened_on", "closed_on"],
    "balances": ["account_id", "as_of", "balance"],
    "inmates": ["person_id", "inmate_no", "prison", "admitted_on", "release_on", "treatment_level"],
    "transfers": ["transfer_id", "from_account", "to_account", "from_name", "to_name", "amount",
                  "at", "currency", "channel", "memo"],
    "assets": ["asset_id", "kind", "owner_id", "acquired_on", "description", "appraised_value",
               "appraised_on"],
    "asset_transfers": ["transfer_id", "asset_id", "from_id", "to_id", "on", "price", "registry_ref"],
    "cases": ["case_no", "debtor_id", "kind", "court", "filed_on", "served_on", "judged_on",
              "effective_on", "enforcement_filed_on", "amount_due", "amount_paid", "creditor"],
}
#: The GB18030 bank export uses the contract's Chinese headers.
TRANSFER_HEADERS_ZH = ["流水号", "付款账号", "收款账号", "付款户名", "收款户名", "金额", "交易时间",
                       "币种", "渠道", "摘要"]


def yuan(fen: int) -> str:
    """Integer fen as a plain yuan string: 1234567 -> '12345.67'."""
    return format_fen(fen, grouped=False)


def yuan_zh(fen: int) -> str:
    """Integer fen as a Chinese statement amount: 1234567 -> '¥12,345.67'."""
    return format_fen(fen, "¥")


def _d(x: date | None) -> str:
    return x.isoformat() if x else ""


def months_left(as_of: date, release_on: date) -> int:
    """Remaining months as the detection spec counts them (ceil of days / 30.4375)."""
    days = (release_on - as_of).days
    return 0 if days <= 0 else math.ceil(days / 30.4375)


class _World:
    """Everything except the background transfers, built in memory (it is small)."""

    def __init__(self, rng: random.Random, persons: int, as_of: date, probe: bool = False) -> None:
        self.rng = rng
        self.as_of = as_of
        self.data_start = date(as_of.year - 2, 1, 1)
        self.n_persons = persons
        ids = list(range(1, persons + 1))
        rng.shuffle(ids)
        self._pids = ids
        self._probe = probe
        self.persons: list[dict] = []
        self.person: dict[str, dict] = {}
        self.relations: list[dict] = []
        self.companies: list[dict] = []
        self.company: dict[str, dict] = {}
        self.roles: list[dict] = []
        self.accounts: list[dict] = []
        self.acct_name: dict[str, str] = {}
        self.acct_inst: dict[str, str] = {}
        self.acct_holder: dict[str, str] = {}
        self.holder_accts: dict[str, list[str]] = defaultdict(list)
        self.balances: list[dict] = []
        self.inmates: list[dict] = []
        self.assets: list[dict] = []
        self.asset_owner: dict[str, str] = {}
        self.asset_transfers: list[dict] = []
        self.cases: list[dict] = []
        self.plant_tx: dict[date, list[dict]] = defaultdict(list)
        self.planted: list[dict] = []
        self.decoys: list[dict] = []
        self.debtor_start: dict[str, date] = {}
        self.scene_persons: set[str] = set()
        self.scene_debtors: set[str] = set()
        self.group_of: dict[str, int] = {}     # person -> household group
        self.used_numbers: set[str] = set()
        self.used_idnums: set[str] = set()
        self._case_seq: dict[tuple, int] = {}
        self._at_seq = 0
        self._asset_seq = 0
        self._uscc_seq = 0
        self._inmate_seq = 0
        # background pools
        self.bg_person_accts: list[str] = []      # payers/payees for p2p, unknown, purchases
        self.scene_debtor_accts: list[str] = []   # purchase-only payers
        self.support_links: list[tuple[str, str]] = []
        self.salaries: list[tuple[str, str, int]] = []
        self.merchant_accts: list[str] = []
        self.merchant_bank: dict[str, str] = {}
        self.operating_accts: list[str] = []
        self.prison_deposits: list[tuple[str, str]] = []
        self.prison_accts_bg: list[str] = []
        self.prison_store: dict[str, str] = {}
        self.unknown_pool: list[tuple[str, str]] = []
        self.foreign_pool: list[tuple[str, str]] = []

    # ----------------------------------------------------------------- basics
    def rdate(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def money(self, lo_yuan: int, hi_yuan: int, cents: bool = False) -> int:
        fen = self.rng.randint(lo_yuan, hi_yuan) * 100
        return fen + (self.rng.randint(0, 99) if cents else 0)

    def new_pid(self) -> str:
        if self._probe:
            self.n_persons += 1
            return f"Q{self.n_persons:07d}"
        if not self._pids:
            raise ValueError(f"persons={self.n_persons} is too small for the planted cases; use more")
        return f"P{self._pids.pop():07d}"

    def person_new(self, gender: str | None = None, birth: date | None = None,
                   surname: str | None = None, addr: str | None = None, scene: bool = False,
                   group: int | None = None) -> str:
        rng = self.rng
        gender = gender or rng.choice("MF")
        birth = birth or self.rdate(date(1955, 1, 1), date(1998, 12, 31))
        while True:
            seq = rng.randint(0, 499) * 2 + (1 if gender == "M" else 0)
            idn = names.id_number(rng.choice(names.AREA_CODES), birth, seq)
            if idn not in self.used_idnums:
                self.used_idnums.add(idn)
                break
        pid = self.new_pid()
        row = {"person_id": pid, "name": names.person_name(rng, gender, surname), "id_number": idn,
               "gender": gender, "birth_date": birth.isoformat(),
               "phone": names.phone(rng) if rng.random() < 0.9 else "", "address": addr or names.address(rng)}
        self.persons.append(row)
        self.person[pid] = row
        self.group_of[pid] = group if group is not None else len(self.group_of) + 1_000_000
        if scene:
            self.scene_persons.add(pid)
        return pid

    def name_of(self, holder: str) -> str:
        return self.person[holder]["name"] if holder in self.person else self.company[holder]["name"]

    def relate(self, a: str, b: str, relation: str, since: date | None = None,
               until: date | None = None) -> None:
        self.relations.append({"person_id": a, "other_person_id": b, "relation": relation,
                               "since": _d(since), "until": _d(until)})

    def _number(self, kind: str, inst: str) -> str:
        rng = self.rng
        while True:
            if kind == "bank":
                bin_ = dict(names.BANKS)[inst]
                num = bin_ + "".join(str(rng.randint(0, 9)) for _ in range(13))
            elif kind == "payment":
                num = ("2088" if inst == "支付宝" else "WX") + f"{rng.randint(0, 10**12 - 1):012d}"
            elif kind == "prison":
                num = f"JY{rng.randint(0, 10**10 - 1):010d}"
            elif kind == "securities":
                num = f"3{rng.randint(0, 10**11 - 1):011d}"
            else:  # foreign
                num = f"HK{rng.randint(0, 10**12 - 1):012d}"
            if num not in self.used_numbers:
                self.used_numbers.add(num)
                return num

    def account(self, holder: str, kind: str, inst: str | None = None, opened: date | None = None,
                closed: date | None = None) -> str:
        rng = self.rng
        if inst is None:
            inst = {"bank": lambda: rng.choice(names.BANKS)[0], "payment": lambda: rng.choice(("支付宝", "财付通")),
                    "securities": lambda: rng.choice(names.SECURITIES), "prison": lambda: rng.choice(names.PRISONS)[0]}[kind]()
        num = self._number(kind, inst)
        opened = opened or self.rdate(date(2008, 1, 1), self.data_start - timedelta(days=30))
        self.accounts.append({"account_id": num, "holder_id": holder, "kind": kind, "institution": inst,
                              "opened_on": _d(opened), "closed_on": _d(closed)})
        self.acct_name[num] = self.name_of(holder)
        self.acct_inst[num] = inst
        self.acct_holder[num] = holder
        self.holder_accts[holder].append(num)
        return num

    def unknown_account(self, name: str | None = None) -> str:
        """An account that appears only in statements (not in accounts.csv)."""
        num = self._number("bank", self.rng.choice(names.BANKS[:6])[0])
        self.acct_name[num] = name or names.person_name(self.rng, self.rng.choice("MF"))
        self.acct_inst[num] = ""
        return num

    def company_new(self, industry: str | None = None, name: str | None = None,
                    registered: date | None = None) -> str:
        rng = self.rng
        self._uscc_seq += 1
        body = "9111" + rng.choice(("0101", "0102", "0105", "0106", "0108", "0112", "0114", "0115")) + \
            "".join(rng.choice(names.USCC_CHARS) for _ in range(5)) + f"{self._uscc_seq:04d}"
        cid = names.uscc(body)
        row = {"company_id": cid, "name": name or names.company_name(rng, industry),
               "registered_on": _d(registered or self.rdate(date(2000, 1, 1), date(2021, 12, 31)))}
        self.companies.append(row)
        self.company[cid] = row
        return cid

    def role(self, pid: str, cid: str, role: str, share: float | None = None,
             since: date | None = None, until: date | None = None) -> None:
        self.roles.append({"person_id": pid, "company_id": cid, "role": role,
                           "share_pct": "" if share is None else f"{share:g}",
                           "since": _d(since), "until": _d(until)})

    def case(self, debtor: str, kind: str, start: date, *, served: bool = True,
             paid_full: bool = False, due: int | None = None, paid: int | None = None) -> dict:
        """A case whose litigation start is `start` (served_on, or filed_on when served is False)."""
        rng = self.rng
        criminal = kind in FINE_KINDS
        if served:
            filed = start - timedelta(days=rng.randint(8, 30))
            served_on: date | None = start
        else:
            filed, served_on = start, None
        judged = start + timedelta(days=rng.randint(60, 150))
        effective = judged + timedelta(days=rng.randint(12, 30))
        enforcement = effective + timedelta(days=rng.randint(20, 90))
        court, code = rng.choice(names.COURTS)
        key = (filed.year, code, criminal)
        seq = self._case_seq.get(key, rng.randint(20, 200)) + rng.randint(1, 40)
        self._case_seq[key] = seq
        case_no = f"({filed.year}){code}{'刑初' if criminal else '民初'}{seq}号"
        if due is None:
            due = self.money(20_000, 300_000) if criminal else self.money(80_000, 3_000_000)
        if paid is None:
            paid = due if paid_full else (0 if rng.random() < 0.6 else due * rng.randint(5, 40) // 100)
        creditor = "" if criminal else (names.company_name(rng) if rng.random() < 0.5 else
                                        names.person_name(rng, rng.choice("MF")))
        row = {"case_no": case_no, "debtor_id": debtor, "kind": kind, "court": court,
               "filed_on": _d(filed), "served_on": _d(served_on),
               "judged_on": _d(judged if judged <= self.as_of else None),
               "effective_on": _d(effective if effective <= self.as_of else None),
               "enforcement_filed_on": _d(enforcement if enforcement <= self.as_of else None),
               "amount_due": yuan(due), "amount_paid": yuan(paid), "creditor": creditor,
               "_start": start, "_due": due, "_paid": paid}
        self.cases.append(row)
        prev = self.debtor_start.get(debtor)
        self.debtor_start[debtor] = min(prev, filed) if prev else filed
        return row

    def tx(self, src: str, dst: str, fen: int, on: date, *, currency: str = "CNY",
           memo: str = "转账", channel: str | None = None) -> dict:
        """Schedule a planted transfer; its id is given when the day is written."""
        if not (self.data_start <= on <= self.as_of):
            raise AssertionError(f"planted transfer outside data range: {on}")
        t = {"from": src, "to": dst, "fen": fen, "on": on, "secs": self.rng.randint(9 * 3600, 17 * 3600),
             "currency": currency, "memo": memo, "channel": channel or self.rng.choice(("网银", "手机银行", "柜面")),
             "id": None}
        self.plant_tx[on].append(t)
        return t

    def asset(self, owner: str, kind: str, appraised: int | None, acquired: date | None = None,
              appraised_on: date | None = None, description: str | None = None) -> str:
        rng = self.rng
        self._asset_seq += 1
        acquired = acquired or self.rdate(date(2005, 1, 1), date(2021, 12, 31))
        if kind == "real_estate":
            aid = f"京({acquired.year}){rng.choice(names.DISTRICTS)}不动产权第{self._asset_seq:07d}号"
            desc = description or f"{names.address(rng)} 住宅 {rng.randint(45, 180)}㎡"
        elif kind == "vehicle":
            aid = f"京{rng.choice('ABCEFGHJKLMNPQ')}{self._asset_seq:05d}"
            desc = description or rng.choice(("小型轿车", "SUV", "小型普通客车", "货车"))
        elif kind == "equity":
            aid = f"GQ{self._asset_seq:08d}"
            desc = description or "有限公司股权"
        else:
            aid = f"QT{self._asset_seq:08d}"
            desc = description or rng.choice(("名表", "字画", "黄金首饰", "收藏品"))
        if appraised is not None and appraised_on is None:
            appraised_on = self.rdate(max(acquired, date(2021, 1, 1)), self.as_of - timedelta(days=400))
        self.assets.append({"asset_id": aid, "kind": kind, "owner_id": owner, "acquired_on": _d(acquired),
                            "description": desc, "appraised_value": "" if appraised is None else yuan(appraised),
                            "appraised_on": _d(appraised_on) if appraised is not None else "",
                            "_appraised": appraised})
        self.asset_owner[aid] = owner
        return aid

    def convey(self, aid: str, src: str, dst: str, on: date, price: int | None) -> dict:
        if self.asset_owner[aid] != src:
            raise AssertionError(f"{src} does not own {aid}")
        self._at_seq += 1
        row = {"transfer_id": f"BDC{on.year}{self._at_seq:07d}", "asset_id": aid, "from_id": src, "to_id": dst,
               "on": _d(on), "price": "" if price is None else yuan(price),
               "registry_ref": f"登记{on:%Y%m%d}{self.rng.randint(1000, 9999)}"}
        self.asset_transfers.append(row)
        self.asset_owner[aid] = dst
        return row

    # ------------------------------------------------------ ground-truth records
    def plant(self, pattern: str, subject: str, case: dict, *, txs: list[dict] = (),
              ats: list[dict] = (), accounts: list[str] = (), counterparties: list[str] = (),
              note: str = "", **extra: Any) -> None:
        self.planted.append({"pattern": pattern, "subject_id": subject, "case_no": case["case_no"],
                             "transfer_ids": list(txs), "asset_transfer_ids": [a["transfer_id"] for a in ats],
                             "account_ids": list(accounts), "counterparties": list(counterparties),
                             "note": note, **extra})

    def decoy(self, pattern: str, subject: str, case: dict, why: str, *, txs: list[dict] = (),
              ats: list[dict] = (), note: str = "") -> None:
        self.decoys.append({"pattern": pattern, "subject_id": subject, "case_no": case["case_no"],
                            "transfer_ids": list(txs), "asset_transfer_ids": [a["transfer_id"] for a in ats],
                            "why": why, "note": note})

    # -------------------------------------------------------------- scene parts
    def start_date(self, latest_gap: int = 214) -> date:
        """A litigation start leaving room for post-start windows before as_of."""
        return self.rdate(self.as_of - timedelta(days=655), self.as_of - timedelta(days=latest_gap))

    def family(self, *members: str, debtor_gender: str | None = None, married_since: date | None = None) -> dict:
        """A scene household around a debtor: debtor + the requested members, related as named."""
        rng = self.rng
        g = debtor_gender or rng.choice("MF")
        grp = len(self.group_of) + 2_000_000
        addr = names.address(rng)
        surname = rng.choice(names.SURNAMES)
        birth = self.rdate(date(1962, 1, 1), date(1980 if "child" in members else 1990, 12, 31))
        fam: dict[str, str] = {"debtor": self.person_new(g, birth, surname, addr, True, grp)}
        d = fam["debtor"]
        self.scene_debtors.add(d)
        for m in members:
            if m == "spouse":
                p = self.person_new("F" if g == "M" else "M", birth + timedelta(days=rng.randint(-1500, 1500)),
                                    None, addr, True, grp)
                self.relate(d, p, "spouse", married_since or self.rdate(date(2000, 1, 1), date(2016, 12, 31)))
            elif m == "child":
                p = self.person_new(None, min(birth + timedelta(days=rng.randint(8000, 10000)), date(2004, 6, 1)),
                                    surname if g == "M" else None, addr, True, grp)
                if rng.random() < 0.5:
                    self.relate(d, p, "child")
                else:
                    self.relate(p, d, "parent")
            elif m == "parent":
                p = self.person_new(None, birth - timedelta(days=rng.randint(8000, 11000)), surname, None, True, grp)
                self.relate(d, p, "parent")
            elif m == "sibling":
                p = self.person_new(None, birth + timedelta(days=rng.randint(-2500, 2500)), surname, None, True, grp)
                self.relate(d, p, "sibling")
            else:  # free-standing person in the scene (relation set by the caller)
                p = self.person_new(None, None, None, None, True, grp)
            fam[m] = p
        for pid in fam.values():
            self.account(pid, "bank")
        self.account(d, "payment")
        for key, pid in fam.items():
            if key == "debtor":
                self.scene_debtor_accts.extend(self.holder_accts[pid])
            else:
                self.bg_person_accts.extend(self.holder_accts[pid])
        return fam

    def acct(self, holder: str) -> str:
        """The holder's first bank account."""
        for a in self.holder_accts[holder]:
            if self.accounts_kind(a) == "bank":
                return a
        return self.holder_accts[holder][0]

    def accounts_kind(self, num: str) -> str:
        inst = self.acct_inst[num]
        if inst in dict(names.BANKS):
            return "bank"
        if inst in ("支付宝", "财付通"):
            return "payment"
        if inst in names.SECURITIES:
            return "securities"
        return "prison"

    def scene_company(self) -> tuple[str, str]:
        """A small company with one bank account and no background activity (shells, debtors)."""
        cid = self.company_new(registered=self.rdate(date(2008, 1, 1), date(2013, 12, 31)))
        return cid, self.account(cid, "bank")

    def bg_unrelated(self, k: int) -> list[str]:
        """k distinct background persons (not in any scene, not debtors, holding an account)."""
        return self.rng.sample(self.bg_free, k)


# =============================================================== plant scenes

def _scenes(w: _World, k: int, kd: int) -> None:
    """Plant k cases per pattern and kd decoys of each decoy kind."""
    for name, fn in _PLANTERS:
        for i in range(k):
            fn(w, i)
        for why, dfn in _DECOYS[name]:
            for _ in range(kd):
                dfn(w)


def _chain(w: _World, src: str, hops: list[tuple[str, int, int]], start_day: date, memo: str = "转账") -> list[dict]:
    """Transfers along accounts: hops = [(to_account, fen, days_after_previous)]."""
    out, cur, day = [], src, start_day
    for dst, fen, gap in hops:
        day = day + timedelta(days=gap)
        out.append(w.tx(cur, dst, fen, day, memo=memo))
        cur = dst
    return out


# --- post_filing_transfer_to_related -----------------------------------------
def _p_post_filing(w: _World, i: int) -> None:
    rng = w.rng
    S = w.start_date()
    v = i % 6
    if v == 3:  # company debtor, money to the legal representative's spouse
        fam = w.family("spouse")
        rep, wife = fam["debtor"], fam["spouse"]
        w.scene_debtors.discard(rep)
        co, co_acct = w.scene_company()
        w.role(rep, co, "legal_rep", None, date(2015, 3, 1))
        c = w.case(co, "civil_enforcement", S)
        t = [w.tx(co_acct, w.acct(wife), w.money(60_000, 400_000), S + timedelta(days=rng.randint(5, 60)), memo="往来款")]
        w.plant("post_filing_transfer_to_related", co, c, txs=t, accounts=[co_acct, w.acct(wife)], counterparties=[wife],
                note="company debtor pays the legal representative's spouse after service")
        return
    member = {0: "spouse", 1: "child", 2: "sibling", 4: "parent", 5: "ex"}[v]
    fam = w.family("spouse" if member == "ex" else member)
    d = fam["debtor"]
    if member == "ex":
        ex = fam["spouse"]
        w.relations[-1]["relation"] = "former_spouse"
        w.relations[-1]["since"] = _d(w.rdate(date(2003, 1, 1), date(2012, 12, 31)))
        w.relations[-1]["until"] = _d(w.rdate(date(2015, 1, 1), date(2019, 12, 31)))
        r = ex
    else:
        r = fam[member]
    c = w.case(d, rng.choice(("civil_enforcement", "criminal_fine", "restitution")), S, served=(v != 2))
    n = rng.randint(1, 3)
    days = sorted(rng.sample(range(1, 90), n))
    t = [w.tx(w.acct(d), w.acct(r), w.money(25_000, 200_000), S + timedelta(days=x), memo=rng.choice(("生活费", "转账", "借款")))
         for x in days]
    w.plant("post_filing_transfer_to_related", d, c, txs=t, accounts=[w.acct(d), w.acct(r)], counterparties=[r],
            note=f"{len(t)} transfer(s) to {member} after litigation start")


def _dp_before(w: _World) -> None:
    fam = w.family("spouse")
    d, r = fam["debtor"], fam["spouse"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S)
    t = [w.tx(w.acct(d), w.acct(r), w.money(60_000, 200_000), S - timedelta(days=1))]
    w.decoy("post_filing_transfer_to_related", d, c, "before litigation start", txs=t,
            note="paid to spouse the day before served_on (after filed_on)")


def _dp_under(w: _World) -> None:
    fam = w.family("child")
    d, r = fam["debtor"], fam["child"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S)
    t = [w.tx(w.acct(d), w.acct(r), 400_000, S + timedelta(days=5)),
         w.tx(w.acct(d), w.acct(r), 450_000, S + timedelta(days=20))]
    w.decoy("post_filing_transfer_to_related", d, c, "under amount", txs=t, note="8,500 yuan in total to a child")


def _dp_unrelated(w: _World) -> None:
    fam = w.family("spouse")
    d = fam["debtor"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S)
    x = w.bg_unrelated(1)[0]
    t = [w.tx(w.acct(d), w.acct(x), w.money(60_000, 200_000), S + timedelta(days=10), memo="货款")]
    w.decoy("post_filing_transfer_to_related", d, c, "unrelated recipient", txs=t)


def _dp_ended(w: _World) -> None:
    fam = w.family("spouse", "other")
    d, a = fam["debtor"], fam["other"]
    S = w.start_date()
    w.relate(d, a, "associate", date(2016, 5, 1), S - timedelta(days=40))
    c = w.case(d, "civil_enforcement", S)
    t = [w.tx(w.acct(d), w.acct(a), w.money(60_000, 200_000), S + timedelta(days=10))]
    w.decoy("post_filing_transfer_to_related", d, c, "relation ended before the transfer", txs=t,
            note="associate relation until 40 days before service")


def _dp_not_begun(w: _World) -> None:
    fam = w.family("other")
    d, a = fam["debtor"], fam["other"]
    S = w.start_date()
    w.relate(d, a, "spouse", S + timedelta(days=120))
    c = w.case(d, "civil_enforcement", S)
    t = [w.tx(w.acct(d), w.acct(a), w.money(60_000, 200_000), S + timedelta(days=10))]
    w.decoy("post_filing_transfer_to_related", d, c, "relation began after the transfer", txs=t,
            note="married 120 days after service; paid 10 days after service")


def _dp_paid(w: _World) -> None:
    fam = w.family("child")
    d, r = fam["debtor"], fam["child"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S, paid_full=True)
    t = [w.tx(w.acct(d), w.acct(r), w.money(60_000, 200_000), S + timedelta(days=10))]
    w.decoy("post_filing_transfer_to_related", d, c, "paid case", txs=t)


def _dp_noncny(w: _World) -> None:
    fam = w.family("spouse")
    d, r = fam["debtor"], fam["spouse"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S)
    t = [w.tx(w.acct(d), w.acct(r), w.money(20_000, 80_000), S + timedelta(days=10), currency="USD")]
    w.decoy("post_filing_transfer_to_related", d, c, "non-CNY", txs=t, note="USD transfer to spouse")


# --- layered_chain ------------------------------------------------------------
def _p_layered(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 4
    fam = w.family("spouse", "child", "sibling")
    d = fam["debtor"]
    S = w.start_date()
    c = w.case(d, rng.choice(("civil_enforcement", "restitution")), S, served=(v != 1))
    a0 = w.money(50_000, 400_000)
    if v == 2:  # ends at a company where the sibling is legal representative
        co, end = w.scene_company()
        w.role(fam["sibling"], co, "legal_rep", None, date(2018, 1, 1))
        cp = co
        inter = [w.unknown_account() for _ in range(3)]
    elif v == 3:  # intermediaries are fresh accounts of unrelated background persons
        cp = fam["child"]
        end = w.acct(cp)
        inter = [w.account(x, "bank", opened=S - timedelta(days=rng.randint(30, 300))) for x in w.bg_unrelated(2)]
    else:
        cp = fam["spouse"] if v == 0 else fam["child"]
        end = w.acct(cp)
        inter = [w.unknown_account() for _ in range(2 if v == 0 else 1)]
    amounts, cur = [], a0
    for _ in range(len(inter) + 1):
        amounts.append(cur)
        cur = cur * rng.randint(93, 99) // 100
    path = inter + [end]
    hops = [(acc, amt, rng.randint(1, 4)) for acc, amt in zip(path, amounts)]
    t = _chain(w, w.acct(d), hops, S + timedelta(days=rng.randint(3, 60)))
    w.plant("layered_chain", d, c, txs=t, accounts=[w.acct(d)] + path, counterparties=[cp],
            note=f"{len(inter)} unrelated intermediar{'y' if len(inter) == 1 else 'ies'}, ends at "
                 f"{'tied company' if v == 2 else 'relative'}")


def _layer_decoy(w: _World, why: str, *, inter: int = 2, ratio: tuple[int, int] = (93, 99), gap: tuple[int, int] = (1, 4),
                 first: int | None = None, start_offset: int | None = None, end_unrelated: bool = False,
                 busy: bool = False, reorder: bool = False) -> None:
    rng = w.rng
    fam = w.family("spouse")
    d, r = fam["debtor"], fam["spouse"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S)
    end = w.acct(w.bg_unrelated(1)[0]) if end_unrelated else w.acct(r)
    path = ([w.busy_merchant] if busy else [w.unknown_account() for _ in range(inter)]) + [end]
    amt = first or w.money(40_000, 200_000)
    t0 = S + timedelta(days=start_offset if start_offset is not None else rng.randint(5, 60))
    t, cur, src = [], amt, w.acct(d)
    day = t0
    for j, acc in enumerate(path):
        if j:
            cur = cur * rng.randint(*ratio) // 100
            day = day + timedelta(days=rng.randint(*gap))
        t.append(w.tx(src, acc, cur, day))
        src = acc
    if reorder:  # the relative is paid two days before the debtor sends anything
        last = t[-1]
        w.plant_tx[last["on"]].remove(last)
        last["on"] = t0 - timedelta(days=2)
        w.plant_tx[last["on"]].append(last)
    w.decoy("layered_chain", d, c, why, txs=t)


_LAYER_DECOYS = [
    ("busy intermediary", lambda w: _layer_decoy(w, "busy intermediary (> max_degree)", busy=True)),
    ("gap", lambda w: _layer_decoy(w, "hop gap above max_gap_days", inter=1, gap=(12, 20))),
    ("ratio low", lambda w: _layer_decoy(w, "ratio below min_ratio", inter=1, ratio=(25, 40))),
    ("ratio high", lambda w: _layer_decoy(w, "ratio above max_ratio", inter=1, ratio=(120, 150))),
    ("before", lambda w: _layer_decoy(w, "before litigation start", start_offset=-1)),
    ("unrelated end", lambda w: _layer_decoy(w, "unrelated recipient", end_unrelated=True)),
    ("under", lambda w: _layer_decoy(w, "under amount", inter=1, first=800_000)),
    ("too long", lambda w: _layer_decoy(w, "more than max_intermediates", inter=5)),
    ("order", lambda w: _layer_decoy(w, "not time-ordered", inter=1, reorder=True)),
]


# --- round_trip -----------------------------------------------------------------
def _p_round_trip(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 4
    S = w.start_date()
    if v == 3:
        fam = w.family("spouse")
        rep = fam["debtor"]
        w.scene_debtors.discard(rep)
        subj, src = w.scene_company()
        w.role(rep, subj, "legal_rep", None, date(2016, 1, 1))
        c = w.case(subj, "civil_enforcement", S)
        back = w.account(subj, "bank", opened=S + timedelta(days=2))
    else:
        fam = w.family("spouse")
        subj = fam["debtor"]
        src = w.acct(subj)
        c = w.case(subj, rng.choice(("civil_enforcement", "confiscation")), S, served=(v != 1))
        back = src if v == 1 else w.account(subj, "securities", opened=S + timedelta(days=3))
    inter = [w.unknown_account() for _ in range((2, 1, 3, 2)[v])]
    a0 = w.money(60_000, 500_000)
    amounts, cur = [], a0
    for _ in range(len(inter) + 1):
        amounts.append(cur)
        cur = cur * rng.randint(92, 99) // 100
    # one gap above layered_chain's 7 days: a reading of "related party" that includes the debtor
    # himself still does not turn a round trip into a layered chain
    gaps = [rng.randint(0, 3), rng.randint(9, 14)] + [rng.randint(1, 6) for _ in inter[1:]]
    hops = [(acc, amt, gap) for acc, amt, gap in zip(inter + [back], amounts, gaps)]
    t = _chain(w, src, hops, S + timedelta(days=rng.randint(4, 60)))
    w.plant("round_trip", subj, c, txs=t, accounts=[src] + inter + [back], counterparties=inter,
            note=f"out and back through {len(inter)} unknown account(s) within {(t[-1]['on'] - t[0]['on']).days} days")


def _rt_decoy(w: _World, why: str, *, inter: int = 2, ratio: tuple[int, int] = (92, 99), gap: tuple[int, int] = (2, 12),
              first: int | None = None, start_offset: int | None = None, paid: bool = False,
              elsewhere: bool = False) -> None:
    rng = w.rng
    fam = w.family("spouse")
    d = fam["debtor"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S, paid_full=paid)
    end = w.acct(w.bg_unrelated(1)[0]) if elsewhere else w.acct(d)
    path = [w.unknown_account() for _ in range(inter)] + [end]
    cur = first or w.money(60_000, 300_000)
    day = S + timedelta(days=start_offset if start_offset is not None else rng.randint(5, 40))
    t, src = [], w.acct(d)
    for j, acc in enumerate(path):
        if j:
            cur = cur * rng.randint(*ratio) // 100
            day = day + timedelta(days=rng.randint(*gap))
        t.append(w.tx(src, acc, cur, day))
        src = acc
    w.decoy("round_trip", d, c, why, txs=t)


_RT_DECOYS = [
    ("too long", lambda w: _rt_decoy(w, "outside window (> max_days)", inter=2, gap=(36, 40))),
    ("before", lambda w: _rt_decoy(w, "before litigation start", start_offset=-1)),
    ("ratio", lambda w: _rt_decoy(w, "ratio below min_ratio", inter=1, ratio=(25, 40))),
    ("under", lambda w: _rt_decoy(w, "under amount", first=800_000)),
    ("paid", lambda w: _rt_decoy(w, "paid case", paid=True)),
    ("too many", lambda w: _rt_decoy(w, "more than max_intermediates", inter=5, gap=(2, 6))),
    ("elsewhere", lambda w: _rt_decoy(w, "does not return (ends at an unrelated person)", elsewhere=True)),
]


# --- fan_out_dispersal -------------------------------------------------------
def _p_fan_out(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 3
    fam = w.family("spouse")
    d = fam["debtor"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S, served=(v != 1))
    base = S + timedelta(days=rng.randint(3, 60))
    n_people = (6, 5, 6)[v]
    people = w.bg_unrelated(n_people)
    recips = [w.acct(p) for p in people]
    cps: list[str] = list(people)
    if v == 1:
        extra = [w.unknown_account() for _ in range(2)]
        recips += extra
        cps += extra
    t = []
    for j, acc in enumerate(recips):
        if v == 2 and j == 0:  # one recipient reaches min_each only in total
            t.append(w.tx(w.acct(d), acc, w.money(6_000, 7_000), base))
            t.append(w.tx(w.acct(d), acc, w.money(6_000, 7_000), base + timedelta(days=4)))
        else:
            t.append(w.tx(w.acct(d), acc, w.money(15_000, 60_000), base + timedelta(days=rng.randint(0, 20)),
                          memo=rng.choice(("借款", "还款", "转账", "货款"))))
    w.plant("fan_out_dispersal", d, c, txs=t, accounts=[w.acct(d)] + recips, counterparties=cps,
            note=f"{len(recips)} unrelated recipients within 21 days")


def _fan_decoy(w: _World, why: str, *, n: int = 6, each: tuple[int, int] = (15_000, 40_000), spacing: int | None = None,
               start_offset: int | None = None, paid: bool = False, per_holder: int = 1, small: int = 0) -> None:
    rng = w.rng
    fam = w.family("spouse")
    d = fam["debtor"]
    S = w.start_date(latest_gap=260)
    c = w.case(d, "civil_enforcement", S, paid_full=paid)
    people = w.bg_unrelated(n // per_holder)
    recips = []
    for p in people:
        recips.append(w.acct(p))
        for _ in range(per_holder - 1):
            recips.append(w.account(p, "bank"))
    base = S + timedelta(days=start_offset if start_offset is not None else rng.randint(3, 30))
    t = []
    for j, acc in enumerate(recips):
        day = base + timedelta(days=j * spacing if spacing else rng.randint(0, 20))
        fen = w.money(6_000, 8_000) if j < small else w.money(*each)
        t.append(w.tx(w.acct(d), acc, fen, day))
    w.decoy("fan_out_dispersal", d, c, why, txs=t)


_FAN_DECOYS = [
    ("few", lambda w: _fan_decoy(w, "fewer than min_recipients above min_each", n=6, small=2)),
    ("spread", lambda w: _fan_decoy(w, "outside window (spread over 65 days)", n=6, spacing=13)),
    ("holders", lambda w: _fan_decoy(w, "same holders (6 accounts, 3 persons)", n=6, per_holder=2)),
    ("before", lambda w: _fan_decoy(w, "before litigation start", n=6, start_offset=-22)),
    ("under", lambda w: _fan_decoy(w, "under amount", n=6, each=(6_000, 8_000))),
    ("paid", lambda w: _fan_decoy(w, "paid case", n=6, paid=True)),
]


# --- below_value_conveyance / above_value_purchase -------------------------------
def _p_below(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 4
    S = w.start_date()
    when = S + timedelta(days=rng.randint(5, 120))
    if v == 2:  # company debtor gives a vehicle to the legal representative's child
        fam = w.family("child")
        rep = fam["debtor"]
        w.scene_debtors.discard(rep)
        subj, _ = w.scene_company()
        w.role(rep, subj, "legal_rep", None, date(2014, 1, 1))
        c = w.case(subj, "civil_enforcement", S)
        appr = w.money(150_000, 600_000)
        aid = w.asset(subj, "vehicle", appr)
        to, price = fam["child"], appr * rng.randint(10, 30) // 100
    else:
        fam = w.family("child", "spouse")
        subj = fam["debtor"]
        c = w.case(subj, rng.choice(("civil_enforcement", "criminal_fine", "confiscation")), S, served=(v != 1))
        appr = w.money(1_500_000, 8_000_000)
        aid = w.asset(subj, "real_estate", appr)
        if v == 0:
            to, price = fam["child"], None
        elif v == 1:
            to, price = w.bg_unrelated(1)[0], appr * rng.randint(25, 50) // 100
        else:
            to, _ = w.scene_company()
            w.role(fam["spouse"], to, "shareholder", 60, date(2019, 1, 1))
            price = appr * rng.randint(30, 55) // 100
    at = w.convey(aid, subj, to, when, price)
    w.plant("below_value_conveyance", subj, c, ats=[at], counterparties=[to],
            note="gift (blank price)" if price is None else f"price {price * 100 // appr}% of appraisal")


def _below_decoy(w: _World, why: str, *, pct: int | None = 30, appraised: bool = True, offset: int | None = None,
                 paid: bool = False, to_debtor: bool = False) -> None:
    rng = w.rng
    fam = w.family("child")
    d = fam["debtor"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S, paid_full=paid)
    appr = w.money(1_000_000, 5_000_000)
    when = S + timedelta(days=offset if offset is not None else rng.randint(5, 120))
    price = None if pct is None else appr * pct // 100
    if to_debtor:
        seller = w.bg_unrelated(1)[0]
        aid = w.asset(seller, "real_estate", appr)
        at = w.convey(aid, seller, d, when, price)
    else:
        aid = w.asset(d, "real_estate", appr if appraised else None)
        at = w.convey(aid, d, fam["child"], when, price)
    w.decoy("below_value_conveyance", d, c, why, ats=[at])


_BELOW_DECOYS = [
    ("ratio", lambda w: _below_decoy(w, "ratio just outside the bound (75% of appraisal)", pct=75)),
    ("no appraisal", lambda w: _below_decoy(w, "no appraisal", pct=None, appraised=False)),
    ("before", lambda w: _below_decoy(w, "before litigation start", offset=-1)),
    ("paid", lambda w: _below_decoy(w, "paid case", paid=True)),
    ("to debtor", lambda w: _below_decoy(w, "conveyed to, not by, the debtor", to_debtor=True)),
]


def _p_above(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 3
    S = w.start_date()
    when = S + timedelta(days=rng.randint(5, 120))
    if v == 2:  # company debtor buys equity from another company at 3x
        fam = w.family("spouse")
        rep = fam["debtor"]
        w.scene_debtors.discard(rep)
        subj, _ = w.scene_company()
        w.role(rep, subj, "legal_rep", None, date(2014, 1, 1))
        seller, _ = w.scene_company()
        c = w.case(subj, "civil_enforcement", S)
        appr = w.money(100_000, 800_000)
        aid = w.asset(seller, "equity", appr)
        price = appr * rng.randint(250, 320) // 100
    else:
        fam = w.family("sibling")
        subj = fam["debtor"]
        c = w.case(subj, rng.choice(("civil_enforcement", "restitution")), S, served=(v != 1))
        seller = fam["sibling"] if v == 1 else w.bg_unrelated(1)[0]
        appr = w.money(80_000, 400_000)
        aid = w.asset(seller, rng.choice(("vehicle", "other")), appr)
        price = appr * rng.randint(160, 250) // 100
    at = w.convey(aid, seller, subj, when, price)
    w.plant("above_value_purchase", subj, c, ats=[at], counterparties=[seller],
            note=f"bought at {price * 100 // appr}% of appraisal")


def _above_decoy(w: _World, why: str, *, pct: int = 200, appraised: bool = True, offset: int | None = None,
                 paid: bool = False, debtor_sells: bool = False) -> None:
    rng = w.rng
    fam = w.family("spouse")
    d = fam["debtor"]
    S = w.start_date()
    c = w.case(d, "civil_enforcement", S, paid_full=paid)
    appr = w.money(80_000, 400_000)
    when = S + timedelta(days=offset if offset is not None else rng.randint(5, 120))
    other = w.bg_unrelated(1)[0]
    if debtor_sells:
        aid = w.asset(d, "vehicle", appr)
        at = w.convey(aid, d, other, when, appr * pct // 100)
    else:
        aid = w.asset(other, "vehicle", appr if appraised else None)
        at = w.convey(aid, other, d, when, appr * pct // 100)
    w.decoy("above_value_purchase", d, c, why, ats=[at])


_ABOVE_DECOYS = [
    ("ratio", lambda w: _above_decoy(w, "ratio just outside the bound (125% of appraisal)", pct=125)),
    ("before", lambda w: _above_decoy(w, "before litigation start", offset=-1)),
    ("sells", lambda w: _above_decoy(w, "debtor sells high (not a purchase)", debtor_sells=True)),
    ("no appraisal", lambda w: _above_decoy(w, "no appraisal", appraised=False)),
    ("paid", lambda w: _above_decoy(w, "paid case", paid=True)),
]


# --- sham_divorce -----------------------------------------------------------------
def _divorce_family(w: _World, d_date: date, spelled_former: bool) -> dict:
    fam = w.family("spouse", married_since=w.rdate(date(2003, 1, 1), date(2015, 12, 31)))
    rel = w.relations[-1]
    rel["until"] = _d(d_date)
    if spelled_former:
        rel["relation"] = "former_spouse"
    return fam


def _p_sham(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 3
    S = w.start_date(latest_gap=240)
    d_date = S + timedelta(days=(rng.randint(10, 40), -rng.randint(20, 60), rng.randint(30, 60))[v])
    fam = _divorce_family(w, d_date, spelled_former=(v == 1))
    d, ex = fam["debtor"], fam["spouse"]
    c = w.case(d, rng.choice(("civil_enforcement", "criminal_fine")), S, served=(v != 2))
    first = max(S, d_date)
    if v == 1:  # money; also a post-filing transfer to a (former-spouse) relative
        t = [w.tx(w.acct(d), w.acct(ex), w.money(80_000, 300_000), first + timedelta(days=rng.randint(3, 40)), memo="离婚财产分割"),
             w.tx(w.acct(d), w.acct(ex), w.money(30_000, 100_000), first + timedelta(days=rng.randint(41, 120)))]
        w.plant("sham_divorce", d, c, txs=t, accounts=[w.acct(d), w.acct(ex)], counterparties=[ex],
                note=f"divorced {(d_date - S).days:+d} days from litigation start; money to former spouse")
        w.plant("post_filing_transfer_to_related", d, c, txs=t, accounts=[w.acct(d), w.acct(ex)], counterparties=[ex],
                note="the sham_divorce plant's money: a former spouse is always related")
        return
    aid = w.asset(d, rng.choice(("real_estate", "vehicle", "other")), None)
    at = w.convey(aid, d, ex, first + timedelta(days=rng.randint(5, 120)), None)
    w.plant("sham_divorce", d, c, ats=[at], counterparties=[ex],
            note=f"divorced {(d_date - S).days:+d} days from litigation start; unappraised asset given to former spouse")


def _sham_decoy(w: _World, why: str, *, d_off: int, conv_after_d: int | None = None, money: tuple[int, int] | None = None,
                paid: bool = False) -> None:
    rng = w.rng
    S = w.start_date(latest_gap=260)
    d_date = S + timedelta(days=d_off)
    fam = _divorce_family(w, d_date, spelled_former=rng.random() < 0.5)
    d, ex = fam["debtor"], fam["spouse"]
    c = w.case(d, "civil_enforcement", S, paid_full=paid)
    if money:
        when, fen = money
        t = [w.tx(w.acct(d), w.acct(ex), fen, S + timedelta(days=when))]
        if fen < 1_000_000:
            t.append(w.tx(w.acct(d), w.acct(ex), fen, S + timedelta(days=when + 3)))
        w.decoy("sham_divorce", d, c, why, txs=t)
    else:
        aid = w.asset(d, "vehicle", None)
        at = w.convey(aid, d, ex, d_date + timedelta(days=conv_after_d), None)
        w.decoy("sham_divorce", d, c, why, ats=[at])


_SHAM_DECOYS = [
    ("old divorce", lambda w: _sham_decoy(w, "divorce more than before_days before litigation start", d_off=-200, conv_after_d=220)),
    ("outside", lambda w: _sham_decoy(w, "outside window (> window_days after divorce)", d_off=10, conv_after_d=215)),
    ("before", lambda w: _sham_decoy(w, "before litigation start", d_off=-40, money=(-10, 6_000_000))),
    ("under", lambda w: _sham_decoy(w, "under amount", d_off=10, money=(20, 400_000))),
    ("paid", lambda w: _sham_decoy(w, "paid case", d_off=10, conv_after_d=20, paid=True)),
]


# --- shell_company_transfer --------------------------------------------------------
def _p_shell(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 4
    S = w.start_date()
    co, co_acct = w.scene_company()
    if v == 3:  # company debtor; its legal representative also runs the shell
        fam = w.family("spouse")
        rep = fam["debtor"]
        w.scene_debtors.discard(rep)
        subj, src = w.scene_company()
        w.role(rep, subj, "legal_rep", None, date(2015, 1, 1))
        w.role(rep, co, "legal_rep", None, date(2019, 6, 1))
        c = w.case(subj, "civil_enforcement", S)
        note = "company debtor pays a company run by its own legal representative"
    else:
        fam = w.family("sibling", "spouse")
        subj = fam["debtor"]
        src = w.acct(subj)
        c = w.case(subj, rng.choice(("civil_enforcement", "confiscation")), S, served=(v != 1))
        if v == 0:
            w.role(fam["sibling"], co, "legal_rep", None, date(2018, 4, 1))
            note = "company whose legal representative is the debtor's sibling"
        elif v == 1:
            w.role(subj, co, "shareholder", 30, date(2017, 2, 1))
            note = "company in which the debtor holds 30%"
        else:
            w.role(fam["spouse"], co, "shareholder", None, date(2019, 9, 1))
            note = "company in which the spouse is shareholder (share_pct blank counts)"
    n = rng.randint(1, 3)
    t = [w.tx(src, co_acct, w.money(40_000, 400_000), S + timedelta(days=x), memo=rng.choice(("货款", "投资款", "往来款")))
         for x in sorted(rng.sample(range(2, 100), n))]
    w.plant("shell_company_transfer", subj, c, txs=t, accounts=[src, co_acct], counterparties=[co], note=note)


def _shell_decoy(w: _World, why: str, *, role_until: int | None = None, role_since: int | None = None,
                 share: float | None = None, fen: int | None = None, offset: int = 10, paid: bool = False) -> None:
    fam = w.family("sibling")
    d = fam["debtor"]
    S = w.start_date()
    co, co_acct = w.scene_company()
    since = S + timedelta(days=role_since) if role_since is not None else date(2018, 1, 1)
    until = S + timedelta(days=role_until) if role_until is not None else None
    w.role(fam["sibling"], co, "shareholder" if share is not None else "legal_rep", share, since, until)
    c = w.case(d, "civil_enforcement", S, paid_full=paid)
    t = [w.tx(w.acct(d), co_acct, fen or w.money(60_000, 300_000), S + timedelta(days=offset), memo="货款")]
    w.decoy("shell_company_transfer", d, c, why, txs=t)


_SHELL_DECOYS = [
    ("ended", lambda w: _shell_decoy(w, "role ended before the transfer", role_until=-60)),
    ("share", lambda w: _shell_decoy(w, "share below min_share_pct (3%)", share=3)),
    ("under", lambda w: _shell_decoy(w, "under amount", fen=800_000)),
    ("before", lambda w: _shell_decoy(w, "before litigation start", offset=-1)),
    ("not begun", lambda w: _shell_decoy(w, "role began after the transfer", role_since=60)),
    ("paid", lambda w: _shell_decoy(w, "paid case", paid=True)),
]


# --- small_fine_capacity -----------------------------------------------------------
def _inmate(w: _World, level: str | None, *, n_accounts: int = 1, release_days: tuple[int, int] = (240, 1400),
            relative: bool = True) -> tuple[str, list[str], int, dict]:
    """A scene inmate with prison account(s); returns (pid, accounts, months_left, inmate row)."""
    rng = w.rng
    fam = w.family("parent") if relative else w.family()
    pid = fam["debtor"]
    prison, code = rng.choice(names.PRISONS)
    admitted = w.rdate(w.as_of - timedelta(days=1500), w.as_of - timedelta(days=200))
    release = w.as_of + timedelta(days=rng.randint(*release_days))
    w._inmate_seq += 1
    row = {"person_id": pid, "inmate_no": f"11{code}{w._inmate_seq:07d}", "prison": prison,
           "admitted_on": _d(admitted), "release_on": _d(release), "treatment_level": level or "",
           "_admitted": admitted}
    w.inmates.append(row)
    accts = [w.account(pid, "prison", prison, opened=admitted) for _ in range(n_accounts)]
    if relative:
        w.prison_deposits.append((w.acct(fam["parent"]), accts[0]))
    return pid, accts, months_left(w.as_of, release), row


def _month_ends(lo: date, hi: date) -> list[date]:
    out = []
    y, m = lo.year, lo.month
    while True:
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        if end > hi:
            return out
        if end >= lo:
            out.append(end)
        y, m = nxt.year, nxt.month


def _balances(w: _World, acct: str, admitted: date, final: int, *, early_high: int | None = None,
              future: int | None = None) -> None:
    """Monthly balance rows ending (on or before as_of) at `final` fen."""
    rng = w.rng
    ends = _month_ends(max(admitted, w.data_start), w.as_of)
    if not ends:
        ends = [w.as_of]
    n = len(ends)
    for j, e in enumerate(ends):
        if j == n - 1:
            v = final
        elif early_high is not None and j >= n - 4:
            v = early_high
        else:
            v = int(final * (0.3 + 0.7 * j / max(1, n - 1)) * rng.uniform(0.85, 1.1))
        w.balances.append({"account_id": acct, "as_of": _d(e), "balance": yuan(max(0, v))})
    if future is not None:
        w.balances.append({"account_id": acct, "as_of": _d(w.as_of + timedelta(days=15)), "balance": yuan(future)})


def _fine_case(w: _World, pid: str, inmate: dict, kind: str = "criminal_fine", *, paid_full: bool = False,
               due: int | None = None, paid: int | None = None) -> dict:
    start = inmate["_admitted"] - timedelta(days=w.rng.randint(200, 400))
    return w.case(pid, kind, start, served=False, paid_full=paid_full, due=due, paid=paid)


def _bg_inmate(w: _World, pid: str) -> None:
    """Make a background person an inmate whose balance cannot cover the fine (or who owes none)."""
    rng = w.rng
    level = rng.choice(names.TREATMENT_LEVELS + (None,))
    prison, code = rng.choice(names.PRISONS)
    admitted = w.rdate(w.as_of - timedelta(days=1500), w.as_of - timedelta(days=200))
    release = w.as_of + timedelta(days=rng.randint(200, 2000))
    w._inmate_seq += 1
    row = {"person_id": pid, "inmate_no": f"11{code}{w._inmate_seq:07d}", "prison": prison,
           "admitted_on": _d(admitted), "release_on": _d(release), "treatment_level": level or "",
           "_admitted": admitted}
    w.inmates.append(row)
    acct = w.account(pid, "prison", prison, opened=admitted)
    w.prison_accts_bg.append(acct)
    projected = LEVEL_STD_YUAN[level or "ordinary"] * 100 * months_left(w.as_of, release)
    r = rng.random()
    if r < 0.3:
        bal = w.money(100, 20_000)
    else:
        _fine_case(w, pid, row, paid_full=r < 0.55, due=w.money(2_000, 50_000))
        bal = projected * rng.randint(5, 60) // 100
    _balances(w, acct, admitted, bal)


def _p_fine(w: _World, i: int) -> None:
    rng = w.rng
    v = i % 6
    level = (None, "lenient", "ordinary", "probation", "strict", "ordinary")[v]
    full = v % 2 == 0
    pid, accts, months, row = _inmate(w, level, n_accounts=2 if v == 4 else 1)
    std = LEVEL_STD_YUAN[level or "ordinary"] * 100
    projected = std * months
    if v == 3:  # two open cases, unpaid allocated oldest first
        c1 = _fine_case(w, pid, row, "criminal_fine", due=w.money(5_000, 20_000), paid=0)
        c2 = _fine_case(w, pid, row, "confiscation", due=w.money(8_000, 30_000), paid=0)
        cases = [c1, c2]
    else:
        due = w.money(5_000, 60_000)
        paid = 0 if rng.random() < 0.5 else due * rng.randint(10, 40) // 100
        cases = [_fine_case(w, pid, row, rng.choice(FINE_KINDS), due=due, paid=paid)]
    unpaid = sum(c["_due"] - c["_paid"] for c in cases)
    if full:
        bal = projected + unpaid + max(200_000, (projected + unpaid) // 5)
        lead, rec = "can_pay_in_full", unpaid
    else:
        bal = projected + unpaid * rng.randint(30, 70) // 100
        lead, rec = "can_pay_in_part", bal - projected
    split = [bal] if len(accts) == 1 else [bal * 2 // 3, bal - bal * 2 // 3]
    for a, b in zip(accts, split):
        _balances(w, a, row["_admitted"], b)
    oldest = min(cases, key=lambda c: (c["filed_on"], c["case_no"]))
    w.plant("small_fine_capacity", pid, oldest, accounts=accts, counterparties=[],
            note=f"{lead}: balance {yuan(bal)}, projected {yuan(projected)} ({months} months, {level or 'blank'} level), "
                 f"unpaid {yuan(unpaid)}", lead=lead, recoverable_fen=rec, balance_fen=bal, projected_fen=projected,
            unpaid_fen=unpaid, case_nos=[c["case_no"] for c in cases])


def _fine_decoy(w: _World, why: str, kind: str) -> None:
    rng = w.rng
    level = "lenient" if kind == "level" else rng.choice(names.TREATMENT_LEVELS)
    pid, accts, months, row = _inmate(w, level)
    projected = LEVEL_STD_YUAN[level] * 100 * months
    due = w.money(3_000, 20_000)
    early_high = future = None
    if kind == "low":
        c = _fine_case(w, pid, row, due=due, paid=0)
        bal = projected * rng.randint(30, 70) // 100
    elif kind == "paid":
        c = _fine_case(w, pid, row, paid_full=True, due=due)
        bal = projected + due * 3
    elif kind == "civil":
        c = _fine_case(w, pid, row, "civil_enforcement", due=due, paid=0)
        bal = projected + due * 3
    elif kind == "latest":
        c = _fine_case(w, pid, row, due=due, paid=0)
        bal = projected * rng.randint(30, 70) // 100
        early_high = projected + due * 3
    elif kind == "future":
        c = _fine_case(w, pid, row, due=due, paid=0)
        bal = projected * rng.randint(30, 70) // 100
        future = projected + due * 3
    else:  # level: enough under the ordinary standard, not under lenient
        ordinary = LEVEL_STD_YUAN["ordinary"] * 100 * months
        due = max(100_000, min(due, (projected - ordinary) // 3))
        c = _fine_case(w, pid, row, due=due, paid=0)
        bal = projected - (projected - ordinary - due) // 2
    _balances(w, accts[0], row["_admitted"], bal, early_high=early_high, future=future)
    w.decoy("small_fine_capacity", pid, c, why, note=f"balance {yuan(bal)}, projected {yuan(projected)}")


_FINE_DECOYS = [
    ("low", lambda w: _fine_decoy(w, "balance below projected spending", "low")),
    ("paid", lambda w: _fine_decoy(w, "paid case", "paid")),
    ("civil", lambda w: _fine_decoy(w, "case kind not a property penalty (civil_enforcement)", "civil")),
    ("latest", lambda w: _fine_decoy(w, "latest balance before as_of below projected (older rows high)", "latest")),
    ("future", lambda w: _fine_decoy(w, "only a balance row after as_of is high", "future")),
    ("level", lambda w: _fine_decoy(w, "enough under the ordinary standard, not under the inmate's lenient level", "level")),
]

_PLANTERS = [
    ("post_filing_transfer_to_related", _p_post_filing), ("layered_chain", _p_layered),
    ("round_trip", _p_round_trip), ("fan_out_dispersal", _p_fan_out),
    ("below_value_conveyance", _p_below), ("above_value_purchase", _p_above),
    ("sham_divorce", _p_sham), ("shell_company_transfer", _p_shell), ("small_fine_capacity", _p_fine),
]
_DECOYS = {
    "post_filing_transfer_to_related": [("before", _dp_before), ("under", _dp_under), ("unrelated", _dp_unrelated),
                                        ("ended", _dp_ended), ("not begun", _dp_not_begun), ("paid", _dp_paid),
                                        ("non-CNY", _dp_noncny)],
    "layered_chain": _LAYER_DECOYS, "round_trip": _RT_DECOYS, "fan_out_dispersal": _FAN_DECOYS,
    "below_value_conveyance": _BELOW_DECOYS, "above_value_purchase": _ABOVE_DECOYS,
    "sham_divorce": _SHAM_DECOYS, "shell_company_transfer": _SHELL_DECOYS, "small_fine_capacity": _FINE_DECOYS,
}


# ========================================================== background population

def _background_people(w: _World, reserve: int) -> list[list[str]]:
    """Households of background persons until only `reserve` person ids are left."""
    rng = w.rng
    households: list[list[str]] = []
    gid = 0
    while len(w._pids) > reserve:
        gid += 1
        grp = gid
        left = len(w._pids) - reserve
        addr = names.address(rng)
        g = rng.choice("MF")
        surname = rng.choice(names.SURNAMES)
        hb = w.rdate(date(1950, 1, 1), date(1999, 12, 31))
        head = w.person_new(g, hb, surname, addr, group=grp)
        members = [head]
        r = rng.random()
        if left >= 2 and r < 0.75:
            sp = w.person_new("F" if g == "M" else "M", hb + timedelta(days=rng.randint(-1500, 1500)), None, addr, group=grp)
            married = w.rdate(max(hb + timedelta(days=22 * 365), date(1975, 1, 1)), date(2022, 12, 31))
            if rng.random() < 0.06:  # divorced long ago, either spelling
                until = w.rdate(married + timedelta(days=400), date(2022, 6, 30))
                w.relate(head, sp, rng.choice(("former_spouse", "spouse")), married, until)
            else:
                w.relate(head, sp, "spouse", married)
            members.append(sp)
            kids = []
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                if len(w._pids) <= reserve:
                    break
                kb = hb + timedelta(days=rng.randint(21 * 365, 38 * 365))
                if kb > date(2022, 1, 1):
                    continue
                kid = w.person_new(None, kb, surname if g == "M" else None, addr, group=grp)
                w.relate(kid, head, "parent") if rng.random() < 0.5 else w.relate(head, kid, "child")
                w.relate(kid, sp, "parent")
                for other in kids:
                    w.relate(kid, other, "sibling")
                kids.append(kid)
                members.append(kid)
        if len(w._pids) > reserve and rng.random() < 0.15:
            par = w.person_new(None, hb - timedelta(days=rng.randint(20 * 365, 35 * 365)), surname, None, group=grp)
            w.relate(head, par, "parent")
            members.append(par)
        households.append(members)
    # a few cross-household ties (associates, other relatives)
    flat = [p for h in households for p in h]
    for _ in range(len(flat) // 40):
        a, b = rng.sample(flat, 2)
        if w.group_of[a] != w.group_of[b]:
            w.relate(a, b, rng.choice(("associate", "relative")), w.rdate(date(2005, 1, 1), date(2022, 1, 1)))
            w.group_of[b] = w.group_of[a] = min(w.group_of[a], w.group_of[b])
    return households


def _build_background(w: _World, households: list[list[str]], scale: int) -> None:
    rng = w.rng
    adults = [p for h in households for p in h if w.person[p]["birth_date"] < "2006-01-01"]
    # companies: employers/suppliers, merchants (busy payment accounts), prison stores, debtor companies
    n_oper = max(6, scale // 60)
    n_merch = max(8, scale // 120)
    role_holders = rng.sample(adults, min(len(adults) // 3, n_oper + n_merch))
    business_groups = {w.group_of[p] for p in role_holders}
    operating = []
    for j in range(n_oper):
        cid = w.company_new()
        operating.append(cid)
        for _ in range(rng.randint(1, 2)):
            w.operating_accts.append(w.account(cid, "bank"))
        holder = role_holders[j % len(role_holders)]
        w.role(holder, cid, "legal_rep", None, w.rdate(date(2010, 1, 1), date(2021, 1, 1)))
        w.role(holder, cid, "shareholder", rng.choice((51, 60, 70, 100)), w.rdate(date(2010, 1, 1), date(2021, 1, 1)))
    for j in range(n_merch):
        cid = w.company_new(name=f"北京{rng.choice(names.COMPANY_WORDS)}{rng.choice(names.SHOP_KINDS)}有限公司")
        pay = w.account(cid, "payment", "支付宝" if j % 2 == 0 else "财付通")
        bank = w.account(cid, "bank")
        w.merchant_accts.append(pay)
        w.merchant_bank[pay] = bank
        w.role(role_holders[(n_oper + j) % len(role_holders)], cid, "legal_rep", None, date(2015, 1, 1))
    w.busy_merchant = w.merchant_accts[0]
    for prison, _ in names.PRISONS:
        cid = w.company_new(name=f"{prison}服务社")
        w.prison_store[prison] = w.account(cid, "bank")
    # person accounts, salaries, support links
    for h in households:
        for p in h:
            if w.person[p]["birth_date"] >= "2006-01-01":
                continue
            w.account(p, "bank")
            if rng.random() < 0.6:
                w.account(p, "payment")
            if rng.random() < 0.2:
                w.account(p, "bank")
            if rng.random() < 0.05:
                w.account(p, "securities")
            if rng.random() < 0.01:  # an old closed account: no activity
                w.account(p, "bank", opened=date(2009, 3, 1), closed=date(2018, 6, 30))
                w.holder_accts[p].pop()
            w.bg_person_accts.extend(w.holder_accts[p])
    free = [p for p in adults if w.holder_accts[p]]
    # debtors-to-be must not be, or be related to, anyone holding a role (shops would be tied companies)
    holders_set = set(role_holders)
    near_roles = set(role_holders)
    for rel in w.relations:
        if rel["person_id"] in holders_set or rel["other_person_id"] in holders_set:
            near_roles.update((rel["person_id"], rel["other_person_id"]))
    candidates = [p for p in free if w.group_of[p] not in business_groups and p not in near_roles]
    # background inmates: no fine, fine paid, or balance well below projected spending
    inmates = rng.sample(candidates, min(len(candidates) // 4, max(5, scale // 60)))
    for pid in inmates:
        _bg_inmate(w, pid)
    inmate_set = set(inmates)
    # clean debtors (open cases, no concealment): not from households holding company roles
    candidates = [p for p in candidates if p not in inmate_set]
    clean = rng.sample(candidates, max(3, len(candidates) // 60)) if candidates else []
    for p in clean:
        w.case(p, rng.choice(("civil_enforcement", "criminal_fine", "restitution")), w.start_date(latest_gap=30))
    clean_set = set(clean)
    for _ in range(max(2, scale // 1500)):
        cid, _acct = w.scene_company()
        w.role(rng.choice(candidates or free), cid, "legal_rep", None, date(2016, 1, 1))
        w.case(cid, "civil_enforcement", w.start_date(latest_gap=30))
    w.bg_free = [p for p in free if p not in clean_set and p not in inmate_set]
    for p in free:
        if p not in inmate_set and rng.random() < 0.55:
            w.salaries.append((rng.choice(w.operating_accts), w.acct(p), w.money(3_500, 30_000)))
    for rel in w.relations:
        a, b = rel["person_id"], rel["other_person_id"]
        if a in w.scene_persons or b in w.scene_persons or a in inmate_set or b in inmate_set:
            continue
        if w.holder_accts.get(a) and w.holder_accts.get(b) and rel["relation"] != "former_spouse" and not rel["until"]:
            w.support_links.append((w.acct(a), w.acct(b)))
            w.support_links.append((w.acct(b), w.acct(a)))
    for rel in w.relations:  # family deposits into background inmates' prison accounts
        a, b = rel["person_id"], rel["other_person_id"]
        for inm, other in ((a, b), (b, a)):
            if inm in inmate_set and w.holder_accts.get(other) and other not in inmate_set:
                w.prison_deposits.append((w.acct(other), w.holder_accts[inm][-1]))
    # unknown counterparties named on statements (utilities, landlords, platforms) and foreign ones
    for j in range(max(20, scale // 30)):
        name = rng.choice(("北京市自来水集团有限责任公司", "国网北京市电力公司", "北京燃气集团有限责任公司",
                           "中国移动通信集团北京有限公司")) if j % 5 == 0 else names.person_name(rng, rng.choice("MF"))
        w.unknown_pool.append((w.unknown_account(name), name))
    for j in range(8):
        num = w._number("foreign", "")
        name = rng.choice(("HSBC HK CUSTOMER", "BOC HONG KONG CLIENT", "DBS SG CLIENT", "CITIBANK NA CLIENT"))
        w.acct_name[num] = name
        w.foreign_pool.append((num, name))
    # background assets and fair-price conveyances among non-debtors
    owners = w.bg_free
    for p in rng.sample(owners, len(owners) // 3):
        kind = rng.choice(("real_estate", "real_estate", "vehicle", "vehicle", "other"))
        appr = w.money(1_000_000, 9_000_000) if kind == "real_estate" else w.money(30_000, 400_000)
        w.asset(p, kind, appr if rng.random() < 0.8 else None)
    for cid in operating:
        if rng.random() < 0.5:
            w.asset(cid, "real_estate", w.money(3_000_000, 20_000_000))
    for a in rng.sample(w.assets, len(w.assets) // 12):
        if a["owner_id"] not in owners or w.asset_owner[a["asset_id"]] != a["owner_id"]:
            continue
        buyer = rng.choice(owners)
        if buyer == a["owner_id"]:
            continue
        appr = a["_appraised"]
        price = None if appr is None else appr * rng.randint(88, 112) // 100
        w.convey(a["asset_id"], a["owner_id"], buyer, w.rdate(w.data_start, w.as_of), price)


# =============================================================== streaming transfers

class _Stream:
    """Writes transfers day by day: background rows drawn per day plus that day's planted rows."""

    KINDS = (("purchase", 42), ("salary", 14), ("support", 10), ("p2p", 8), ("unknown_out", 10),
             ("unknown_in", 4), ("company", 6), ("settlement", 2), ("prison_in", 1.5), ("prison_out", 1.5),
             ("foreign", 1))

    def __init__(self, w: _World) -> None:
        self.w = w
        self.rng = w.rng
        self.kinds = [k for k, _ in self.KINDS]
        cum, tot = [], 0.0
        for _, wt in self.KINDS:
            tot += wt
            cum.append(tot)
        self.kind_cum, self.kind_tot = cum, tot
        mcum, t = [], 0.0
        for j in range(len(w.merchant_accts)):
            t += 1.0 / (j + 1) ** 1.1
            mcum.append(t)
        self.m_cum, self.m_tot = mcum, t
        inside = {r["person_id"] for r in w.inmates}  # inmates pay only from prison accounts
        self.person_payers = [a for a in w.bg_person_accts if w.acct_holder[a] not in inside]
        self.purchase_payers = self.person_payers + [a for a in w.scene_debtor_accts if w.acct_holder[a] not in inside]
        self.restricted: dict[str, date] = {}
        for a, h in w.acct_holder.items():
            if h in w.debtor_start:
                self.restricted[a] = w.debtor_start[h]
        self.degree: dict[str, int] = defaultdict(int)

    def merchant(self) -> str:
        return self.w.merchant_accts[bisect.bisect_left(self.m_cum, self.rng.random() * self.m_tot)]

    def row(self, day: date) -> tuple:
        """One background transfer: (from, to, fen, currency, channel, memo)."""
        rng, w = self.rng, self.w
        kind = self.kinds[bisect.bisect_left(self.kind_cum, rng.random() * self.kind_tot)]
        if kind == "salary" and w.salaries:
            src, dst, base = rng.choice(w.salaries)
            return src, dst, base + rng.randint(-base // 20, base // 20), "CNY", "网银", "工资"
        if kind == "support" and w.support_links:
            src, dst = rng.choice(w.support_links)
            if self._free(src, day):
                return src, dst, rng.randint(200, 5_000) * 100, "CNY", rng.choice(names.CHANNELS[:2]), rng.choice(("生活费", "转账", "红包"))
        elif kind == "p2p":
            src = rng.choice(self.person_payers)
            dst = rng.choice(self.person_payers)
            if src != dst and self._free(src, day):
                return src, dst, rng.randint(50, BG_P2P_MAX // 100) * 100, "CNY", rng.choice(names.CHANNELS), rng.choice(("转账", "还款", "借款", "AA"))
        elif kind == "unknown_out":
            src = rng.choice(self.person_payers)
            if self._free(src, day):
                dst, _ = rng.choice(w.unknown_pool)
                return src, dst, rng.randint(3_000, BG_P2P_MAX), "CNY", rng.choice(names.CHANNELS[:2]), rng.choice(("房租", "缴费", "转账", "物业费"))
        elif kind == "unknown_in":
            src, _ = rng.choice(w.unknown_pool)
            return src, rng.choice(self.person_payers), rng.randint(1_000, 300_000), "CNY", "网银", rng.choice(("退款", "转账", "报销"))
        elif kind == "company" and len(w.operating_accts) > 1:
            src, dst = rng.sample(w.operating_accts, 2)
            if w.acct_holder[src] != w.acct_holder[dst]:
                return src, dst, rng.randint(5_000, 500_000) * 100, "CNY", "网银", rng.choice(("货款", "服务费", "工程款"))
        elif kind == "settlement":
            src = self.merchant()
            return src, w.merchant_bank[src], rng.randint(100_000, 2_000_000) * 100, "CNY", "网银", "结算"
        elif kind == "prison_in" and w.prison_deposits:
            src, dst = rng.choice(w.prison_deposits)
            if self._free(src, day):
                return src, dst, rng.randint(200, 2_000) * 100, "CNY", "网银", "亲属汇款"
        elif kind == "prison_out" and w.prison_accts_bg:
            src = rng.choice(w.prison_accts_bg)
            return src, w.prison_store[w.acct_inst[src]], rng.randint(1_000, 30_000), "CNY", "狱内消费", "购物"
        elif kind == "foreign":
            src = rng.choice(self.person_payers)
            if self._free(src, day):
                dst, _ = rng.choice(w.foreign_pool)
                return src, dst, rng.randint(100, 3_000) * 100, rng.choice(("USD", "HKD", "EUR")), "网银", "境外汇款"
        # purchase: the fallback, and the only outflow of a debtor after litigation start
        src = rng.choice(self.purchase_payers)
        fen = min(PURCHASE_MAX, int(rng.lognormvariate(5.0, 1.1) * 100) + 100)
        return src, self.merchant(), fen, "CNY", rng.choice(("支付宝", "微信支付", "POS")), "消费"

    def _free(self, acct: str, day: date) -> bool:
        start = self.restricted.get(acct)
        return start is None or day < start


def _day_counts(total: int, start: date, days: int, rng: random.Random) -> list[int]:
    weights = []
    for i in range(days):
        d = start + timedelta(days=i)
        weights.append((0.7 if d.weekday() >= 5 else 1.0) * (1 + 0.4 * i / days) * rng.uniform(0.8, 1.2))
    tot = sum(weights)
    out, acc, prev = [], 0.0, 0
    for wt in weights:
        acc += wt * total / tot
        cur = round(acc)
        out.append(cur - prev)
        prev = cur
    return out


def _write_transfers(w: _World, out_dir: Path, total: int) -> dict[str, int]:
    rng = w.rng
    st = _Stream(w)
    n_plant = sum(len(v) for v in w.plant_tx.values())
    bg_total = total - n_plant
    if bg_total < 0:
        raise ValueError(f"transfers={total} is below the {n_plant} planted transfers")
    days = (w.as_of - w.data_start).days + 1
    counts = _day_counts(bg_total, w.data_start, days, rng)
    written = {"transfers": 0, "transfers_bank2": 0}
    with open(out_dir / "transfers.csv", "w", newline="", encoding="utf-8") as f1, \
            open(out_dir / "transfers_bank2.csv", "w", newline="", encoding="gb18030") as f2:
        c1, c2 = csv.writer(f1), csv.writer(f2)
        c1.writerow(HEADERS["transfers"])
        c2.writerow(TRANSFER_HEADERS_ZH)
        holder_names = w.acct_name
        for i in range(days):
            day = w.data_start + timedelta(days=i)
            rows = []
            for _ in range(counts[i]):
                src, dst, fen, cur, ch, memo = st.row(day)
                secs = -1 if rng.random() < 0.1 else rng.randint(0, 86399)
                rows.append((secs, src, dst, fen, cur, ch, memo, None))
            for t in w.plant_tx.get(day, ()):
                rows.append((t["secs"], t["from"], t["to"], t["fen"], t["currency"], t["channel"], t["memo"], t))
            rows.sort(key=lambda r: r[0])
            ds = day.isoformat()
            ds2 = f"{day.year}/{day.month}/{day.day}"
            for seq, (secs, src, dst, fen, cur, ch, memo, t) in enumerate(rows, 1):
                tid = f"TX{day:%Y%m%d}{seq:06d}"
                if t is not None:
                    t["id"] = tid
                st.degree[src] += 1
                st.degree[dst] += 1
                hms = "" if secs < 0 else f" {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
                if w.acct_inst.get(src) == names.BANK2_INSTITUTION:
                    c2.writerow((tid, src, dst, holder_names[src], holder_names[dst], yuan_zh(fen), ds2 + hms,
                                 cur, ch, memo))
                    written["transfers_bank2"] += 1
                else:
                    c1.writerow((tid, src, dst, holder_names[src], holder_names[dst], yuan(fen), ds + hms,
                                 cur, ch, memo))
                    written["transfers"] += 1
    w.degree = st.degree
    return written


# ===================================================================== public API

def _write_table(out_dir: Path, table: str, rows: list[dict]) -> int:
    cols = HEADERS[table]
    with open(out_dir / f"{table}.csv", "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow(cols)
        for r in rows:
            cw.writerow([r.get(c, "") for c in cols])
    return len(rows)


def _scale(persons: int) -> tuple[int, int]:
    k = max(3, min(40, persons // 500))
    return k, max(1, k // 3)


def generate(out_dir: Path, seed: int, persons: int, transfers: int | None = None,
             as_of: date = date(2025, 10, 31), realistic: bool = False, entities: bool = False) -> dict:
    """Write a contract folder with planted cases, decoys and ground_truth.json; return a summary.

    Deterministic for (seed, persons, transfers, as_of, realistic). `transfers` defaults to
    persons * 30 (background rows). `realistic` adds synth.realistic's busy debtors, honest
    decoys and the v2 patterns' cases (contract v1.1 files). `entities` adds synth.entities'
    duplicates (a second source, `persons_second.csv`) and namesakes.
    """
    from synth.realistic import V2_PATTERNS, add_realistic
    t0 = time.monotonic()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    total_tx = persons * 30 if transfers is None else transfers
    rng = random.Random(seed)
    w = _World(rng, persons, as_of)
    k, kd = _scale(persons)
    # the scenes' persons are taken after the background's: count them on a throw-away world
    probe = _World(random.Random(seed), 0, as_of, probe=True)
    probe.bg_free = [probe.person_new() for _ in range(40)]
    for p in probe.bg_free:
        probe.account(p, "bank")
    probe.busy_merchant = "X"
    _scenes(probe, k, kd)
    if realistic:
        add_realistic(probe, k, kd)
    if entities:
        from synth.entities import add_entities
        add_entities(probe, k)
    need = len(probe.persons) + len(getattr(probe, "persons_second", [])) - 40
    if persons < need + 60:
        raise ValueError(f"persons={persons} is too small: the planted cases need {need} persons plus background")
    households = _background_people(w, need)
    _build_background(w, households, persons)
    _scenes(w, k, kd)
    layer = add_realistic(w, k, kd) if realistic else None
    ent_gt = add_entities(w, k) if entities else None
    written = _write_transfers(w, out_dir, total_tx)
    # planted decoy through the busy merchant: the merchant's degree must exceed max_degree
    if w.degree.get(w.busy_merchant, 0) <= 200 and total_tx >= persons * 5:
        logger.warning("busy merchant has only %d transfers", w.degree.get(w.busy_merchant, 0))
    counts = {
        "persons": _write_table(out_dir, "persons", w.persons),
        "relations": _write_table(out_dir, "relations", w.relations),
        "companies": _write_table(out_dir, "companies", w.companies),
        "company_roles": _write_table(out_dir, "company_roles", w.roles),
        "accounts": _write_table(out_dir, "accounts", w.accounts),
        "balances": _write_table(out_dir, "balances", w.balances),
        "inmates": _write_table(out_dir, "inmates", w.inmates),
        "assets": _write_table(out_dir, "assets", w.assets),
        "asset_transfers": _write_table(out_dir, "asset_transfers", w.asset_transfers),
        "cases": _write_table(out_dir, "cases", w.cases),
        "transfers": written["transfers"] + written["transfers_bank2"],
    }
    if layer is not None:
        extra = layer.write(out_dir)
        counts["transfers"] += extra.pop("transfers_realistic")
        counts.update(extra)
    for rec in w.planted + w.decoys:
        rec["transfer_ids"] = [t["id"] for t in rec["transfer_ids"]]
    if ent_gt is not None:
        from synth.entities import write_second
        counts["persons_second"] = write_second(w, out_dir, HEADERS["persons"])
        for rec in ent_gt["duplicates"] + ent_gt["namesakes"]:
            rec["transfers"] = [t["id"] for t in rec["transfers"]]
    gt = {"seed": seed, "as_of": as_of.isoformat(), "persons": persons, "transfers": counts["transfers"],
          "realistic": realistic,
          "parameters": DEFAULT_PARAMS,
          "busy_account_degree": {w.busy_merchant: w.degree.get(w.busy_merchant, 0)},
          "planted": w.planted, "decoys": w.decoys}
    if ent_gt is not None:
        gt["entities"] = ent_gt
    (out_dir / "ground_truth.json").write_text(json.dumps(gt, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary = {"out_dir": str(out_dir), "seed": seed, "as_of": as_of.isoformat(), "tables": counts,
               "files": {"transfers.csv": written["transfers"], "transfers_bank2.csv": written["transfers_bank2"]},
               "planted": {p: sum(1 for r in w.planted if r["pattern"] == p) for p in PATTERNS + V2_PATTERNS},
               "decoys": {p: sum(1 for r in w.decoys if r["pattern"] == p) for p in PATTERNS + V2_PATTERNS},
               "seconds": round(time.monotonic() - t0, 2)}
    logger.info("generated %s", summary)
    return summary


def register(subparsers: Any) -> None:
    """Add the `generate` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser("generate", help="write a synthetic contract folder with planted cases and ground truth")
    p.add_argument("dir", type=Path, help="output folder (created)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--persons", type=int, required=True)
    p.add_argument("--transfers", type=int, default=None, help="default: persons * 30")
    p.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 10, 31), dest="as_of",
                   help="the scan date the planted cases are built for (YYYY-MM-DD)")
    p.add_argument("--realistic", action="store_true",
                   help="busy debtors (payroll, rent, loans, support, bills), honest decoys and the v2 patterns")
    p.add_argument("--entities", action="store_true",
                   help="plant duplicate records (same ID number, a second source) and namesakes (entity resolution)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """CLI entry: generate and print the summary as JSON."""
    try:
        summary = generate(args.dir, args.seed, args.persons, args.transfers, args.as_of, realistic=args.realistic,
                           entities=getattr(args, "entities", False))
    except ValueError as e:
        print(f"error: {e}")
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0
