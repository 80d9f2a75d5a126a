"""The realistic layer of the generator (`generate --realistic`): debtors who live busy lives.

Why: a generator whose debtors fall silent after filing lets any "money out after litigation
start" rule score perfectly. Real debtors keep paying staff, rent, loans and family, and pay
large legitimate bills (hospital, school, the court). This layer adds, on top of the base
generator's world:
- honest busy debtors of every kind (business owners with a payroll, parents paying support,
  employees with a salary and a raise, borrowers with a bank mortgage, debtors whose
  consumption ban was lifted), recorded as decoys of the pattern they would trip without
  baselines and the v2 rules;
- concealment planted inside that activity: a large transfer to the spouse amid a payroll,
  support that jumps after service, a burst of new payees amid a payroll;
- planted cases and near-miss decoys of the four v2 patterns (cash withdrawals, income
  redirection, spending under a consumption ban, sham mortgages), v1.1 columns and tables
  (`kind`, `merchant`, restrictions, encumbrances) included.

It builds on the base generator's `_World` (persons, accounts, cases, ground-truth records)
through its methods only, and writes its own files: `transfers_realistic.csv` (a second
transfers file, contract v1.1 columns), `restrictions.csv`, `encumbrances.csv`.
docs/generator.md and docs/detection.md describe every construction.
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingest.parse import format_fen

logger = logging.getLogger(__name__)

TRANSFER_COLUMNS = ["transfer_id", "from_account", "to_account", "from_name", "to_name", "amount", "at",
                    "currency", "channel", "memo", "kind", "merchant"]
RESTRICTION_COLUMNS = ["subject_id", "kind", "ordered_on", "lifted_on", "case_no", "target"]
ENCUMBRANCE_COLUMNS = ["encumbrance_id", "asset_id", "kind", "holder_id", "registered_on", "amount", "released_on"]

#: The v2 patterns this layer plants and the base patterns it adds busy cases and honest decoys for.
V2_PATTERNS = ("cash_withdrawal_after_litigation", "income_redirection", "restricted_consumption",
               "sham_encumbrance")

#: Merchants (company name, merchant name on statements); the first two groups are restricted.
AIRLINES = (("中国国际航空股份有限公司", "中国国际航空"), ("中国东方航空股份有限公司", "东方航空"),
            ("中国南方航空股份有限公司", "南方航空"))
HOTELS = (("北京王府井希尔顿酒店有限公司", "北京王府井希尔顿酒店"), ("三亚亚龙湾万豪度假酒店有限公司", "三亚万豪度假酒店"),
          ("上海浦东香格里拉大酒店有限公司", "浦东香格里拉大酒店"))
EVERYDAY = (("北京物美商业集团股份有限公司", "物美超市"), ("北京华联综合超市股份有限公司", "华联超市"),
            ("北京全聚德餐饮有限公司", "全聚德"), ("国药控股北京大药房有限公司", "国大药房"),
            ("中国石化销售股份有限公司北京分公司", "中国石化加油站"))
BILLS = (("北京协和医院", "住院押金"), ("北京市第八十中学", "学费"), ("北京市朝阳区人民法院", "诉讼费"),
         ("北京大学第三医院", "手术费"), ("北京市海淀外国语实验学校", "学费"))


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


@dataclass
class Layer:
    """What this layer adds to the world: v1.1 transfers, restrictions, encumbrances."""

    w: Any
    tx_rows: list[dict] = field(default_factory=list)
    restrictions: list[dict] = field(default_factory=list)
    encumbrances: list[dict] = field(default_factory=list)
    merchants: dict[str, str] = field(default_factory=dict)   # account -> merchant name
    _seq: int = 0
    _enc: int = 0

    # -------------------------------------------------------------- primitives
    def tx(self, src: str | None, dst: str | None, fen: int, on: date, *, memo: str = "转账",
           kind: str = "transfer", merchant: str = "", channel: str = "手机银行") -> dict:
        """One transfer of this layer; clipped to the data range by the callers' dates."""
        w = self.w
        if not (w.data_start <= on <= w.as_of):
            raise AssertionError(f"realistic transfer outside data range: {on}")
        self._seq += 1
        t = {"id": f"RX{self._seq:08d}", "from": src, "to": dst, "fen": fen, "on": on,
             "secs": w.rng.randint(8 * 3600, 21 * 3600), "memo": memo, "kind": kind,
             "merchant": merchant or (self.merchants.get(dst, "") if dst else ""), "channel": channel}
        self.tx_rows.append(t)
        return t

    def cash(self, acct: str, fen: int, on: date) -> dict:
        return self.tx(acct, None, fen, on, memo="ATM取现", kind="cash_withdrawal", channel="ATM")

    def monthly(self, src: str, dst: str, fen: int, first: date, last: date, *, memo: str,
                jitter: int = 0, day: int | None = None) -> list[dict]:
        """A payment every calendar month from `first` to `last` (same day of month), +-jitter %."""
        rng = self.w.rng
        out = []
        d = first if day is None else first.replace(day=min(day, 28))
        if d < first:  # the payday of the first month is already past: start the next month
            d = _add_months(d, 1)
        while d <= last:
            if d >= self.w.data_start:
                amt = fen if not jitter else fen * rng.randint(100 - jitter, 100 + jitter) // 100
                out.append(self.tx(src, dst, amt, d, memo=memo))
            d = _add_months(d, 1)
        return out

    def org(self, name: str, merchant: str | None = None) -> str:
        """A company with one bank account (a merchant name on payments to it when given)."""
        cid = self.w.company_new(name=name)
        acct = self.w.account(cid, "bank")
        if merchant:
            self.merchants[acct] = merchant
        return acct

    def restriction(self, subject: str, kind: str, ordered: date, *, lifted: date | None = None,
                    case: dict | None = None, target: str = "") -> dict:
        r = {"subject_id": subject, "kind": kind, "ordered_on": ordered.isoformat(),
             "lifted_on": lifted.isoformat() if lifted else "", "case_no": case["case_no"] if case else "",
             "target": target}
        self.restrictions.append(r)
        return r

    def encumbrance(self, asset: str, holder: str, on: date, fen: int | None, kind: str = "mortgage") -> str:
        self._enc += 1
        eid = f"DY{on.year}{self._enc:07d}"
        self.encumbrances.append({"encumbrance_id": eid, "asset_id": asset, "kind": kind, "holder_id": holder,
                                  "registered_on": on.isoformat(),
                                  "amount": "" if fen is None else format_fen(fen, grouped=False), "released_on": ""})
        return eid

    def record(self, which: str, pattern: str, subject: str, case: dict, txs: list[dict] = (),
               encs: list[str] = (), why: str = "", note: str = "", **extra: Any) -> None:
        """A planted case or a decoy in the base generator's ground truth."""
        rec = {"pattern": pattern, "subject_id": subject, "case_no": case["case_no"],
               "transfer_ids": list(txs), "asset_transfer_ids": [], "encumbrance_ids": list(encs),
               "note": note, "layer": "realistic", **extra}
        if which == "plant":
            self.w.planted.append(rec)
        else:
            rec["why"] = why
            self.w.decoys.append(rec)

    # --------------------------------------------------------------- write
    def write(self, out_dir: Path) -> dict[str, int]:
        """transfers_realistic.csv, restrictions.csv, encumbrances.csv; row counts."""
        w = self.w
        rows = sorted(self.tx_rows, key=lambda t: (t["on"], t["secs"], t["id"]))
        with open(out_dir / "transfers_realistic.csv", "w", newline="", encoding="utf-8") as f:
            cw = csv.writer(f)
            cw.writerow(TRANSFER_COLUMNS)
            for t in rows:
                s = t["secs"]
                at = f"{t['on'].isoformat()} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
                cw.writerow([t["id"], t["from"] or "", t["to"] or "",
                             w.acct_name.get(t["from"], "") if t["from"] else "",
                             w.acct_name.get(t["to"], "") if t["to"] else "",
                             format_fen(t["fen"], grouped=False), at, "CNY", t["channel"], t["memo"], t["kind"],
                             t["merchant"]])
        for name, cols, data in (("restrictions", RESTRICTION_COLUMNS, self.restrictions),
                                 ("encumbrances", ENCUMBRANCE_COLUMNS, self.encumbrances)):
            with open(out_dir / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                cw = csv.writer(f)
                cw.writerow(cols)
                for r in data:
                    cw.writerow([r.get(c, "") for c in cols])
        return {"transfers_realistic": len(rows), "restrictions": len(self.restrictions),
                "encumbrances": len(self.encumbrances)}


# ===================================================================== households
@dataclass
class Busy:
    """A busy debtor's household and the activity it keeps up."""

    fam: dict
    case: dict
    start: date
    acct: str
    first: date          # first month of regular activity (13 months before litigation start)
    support: list[dict] = field(default_factory=list)
    payroll: list[dict] = field(default_factory=list)
    salary_src: str | None = None


def _busy(L: Layer, *, payroll: int = 0, support: bool = True, salary: bool = True,
          bills: bool = True, members: tuple[str, ...] = ("spouse", "parent"), latest_gap: int = 240) -> Busy:
    """A debtor with a household and the ordinary activity of one, before and after litigation start."""
    w, rng = L.w, L.w.rng
    fam = w.family(*members)
    d = fam["debtor"]
    S = w.start_date(latest_gap=latest_gap)
    case = w.case(d, "civil_enforcement", S)
    acct = w.acct(d)
    first = max(w.data_start, _add_months(S, -13)).replace(day=rng.randint(1, 28))
    b = Busy(fam, case, S, acct, first)
    end = w.as_of
    # payroll: staff known only by name on the statement (holder unknown: counted by account)
    for _ in range(payroll):
        staff = w.unknown_account()
        b.payroll += L.monthly(acct, staff, w.money(6_000, 18_000), first, end, memo="工资", jitter=5, day=5)
    # rent and a loan repayment to the bank
    landlord = w.unknown_account()
    L.monthly(acct, landlord, w.money(3_000, 8_000), first, end, memo="房租", day=1)
    L.monthly(acct, L.bank, w.money(2_000, 9_000), first, end, memo="贷款还款", day=20)
    # support to a parent (a related person): the same each month, before and after
    if support and "parent" in fam:
        b.support = L.monthly(acct, w.acct(fam["parent"]), w.money(1_500, 5_000), first, end, memo="生活费",
                              jitter=8, day=12)
    # salary into the debtor's usual account
    if salary:
        b.salary_src = L.org(f"北京{rng.choice(('华信', '恒通', '鑫达', '博瑞'))}"
                                         f"{rng.choice(('科技', '商贸', '物流', '建材'))}有限公司{w.rng.randint(1, 999)}号")
        L.monthly(b.salary_src, acct, w.money(8_000, 25_000), first, end, memo="工资", jitter=3, day=25)
    # everyday spending and a little cash
    d0 = first
    while d0 <= end:
        for _ in range(2):
            m = rng.choice(L.everyday)
            day = d0 + timedelta(days=rng.randint(0, 27))
            if day <= end:
                L.tx(acct, m, rng.randint(50, 800) * 100 + rng.randint(0, 99), day, memo="消费", channel="POS")
        if rng.random() < 0.6:
            day = d0 + timedelta(days=rng.randint(0, 27))
            if day <= end:
                L.cash(acct, rng.randint(3, 20) * 100 * 100, day)
        d0 = _add_months(d0, 1)
    # large legitimate bills after litigation start: hospital, school, the court (months apart)
    if bills:
        for j, (name, memo) in enumerate(rng.sample(BILLS, 3)):
            day = S + timedelta(days=20 + 45 * j + rng.randint(0, 10))
            if day <= end:
                L.tx(acct, L.bill_acct[name], w.money(12_000, 60_000), day, memo=memo)
    return b


def _after(b: Busy, lo: int, hi: int, rng: Any, as_of: date) -> date:
    return min(as_of, b.start + timedelta(days=rng.randint(lo, hi)))


# ======================================================= base patterns, busy
def _busy_post_filing(L: Layer, i: int) -> None:
    w, rng = L.w, L.w.rng
    if i % 2 == 0:  # support that jumps after service
        b = _busy(L, payroll=0)
        k = w.acct(b.fam["parent"])
        txs = [L.tx(b.acct, k, w.money(20_000, 45_000), _after(b, 30 + 31 * j, 40 + 31 * j, rng, w.as_of),
                    memo="生活费") for j in range(2)]
        L.record("plant", "post_filing_transfer_to_related", b.fam["debtor"], b.case, txs,
                 note="support to a parent jumps after service (baseline payee, excess counted)")
    else:  # a large transfer to the spouse amid a payroll
        b = _busy(L, payroll=rng.randint(4, 7), members=("spouse", "parent"))
        txs = [L.tx(b.acct, w.acct(b.fam["spouse"]), w.money(80_000, 300_000), _after(b, 20, 90, rng, w.as_of),
                    memo="转账")]
        L.record("plant", "post_filing_transfer_to_related", b.fam["debtor"], b.case, txs,
                 note="a large transfer to the spouse amid a payroll")


def _busy_fan_out(L: Layer, i: int) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=rng.randint(5, 8), bills=False)
    base = _after(b, 20, 120, rng, w.as_of - timedelta(days=25))
    txs = [L.tx(b.acct, w.unknown_account(), w.money(20_000, 60_000), base + timedelta(days=rng.randint(0, 18)),
                memo=rng.choice(("借款", "还款", "货款"))) for _ in range(6)]
    L.record("plant", "fan_out_dispersal", b.fam["debtor"], b.case, txs,
             note="six new payees within 19 days amid a payroll of baseline payees")


def _honest_owner(L: Layer) -> None:
    b = _busy(L, payroll=L.w.rng.randint(5, 9))
    post = [t for t in L.tx_rows if t["from"] == b.acct and t["on"] >= b.start and t["kind"] == "transfer"]
    L.record("decoy", "fan_out_dispersal", b.fam["debtor"], b.case, post, why="honest business owner: payroll, "
             "rent, loan and bills after litigation start", honest=True)


def _honest_parent(L: Layer) -> None:
    b = _busy(L, payroll=0)
    post = [t for t in b.support if t["on"] >= b.start]
    L.record("decoy", "post_filing_transfer_to_related", b.fam["debtor"], b.case, post,
             why="honest parent: the same monthly support before and after service", honest=True)


# ======================================================= cash withdrawals
def _plant_cash(L: Layer, i: int) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    if i % 2 == 0:  # a burst of withdrawals within two weeks
        base = _after(b, 30, 150, rng, w.as_of - timedelta(days=20))
        txs = [L.cash(b.acct, w.money(15_000, 30_000), base + timedelta(days=rng.randint(0, 14))) for _ in range(4)]
        note = "four withdrawals of 15,000-30,000 within 15 days"
    else:  # the Yongjia pattern: single withdrawals while the house is seized
        house = w.asset(b.fam["debtor"], "real_estate", w.money(1_500_000, 5_000_000))
        seized = _after(b, 60, 120, rng, w.as_of - timedelta(days=60))
        L.restriction(b.fam["debtor"], "asset_seizure", seized, case=b.case, target=house)
        txs = [L.cash(b.acct, w.money(10_500, 20_000), seized + timedelta(days=10 + 25 * j)) for j in range(2)]
        note = "withdrawals of 10,500-20,000 while the house is seized (25 days apart)"
    L.record("plant", "cash_withdrawal_after_litigation", b.fam["debtor"], b.case, txs, note=note)


def _decoy_cash_below(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    base = _after(b, 30, 150, rng, w.as_of - timedelta(days=20))
    txs = [L.cash(b.acct, 1_400_000, base + timedelta(days=7 * j)) for j in range(3)]
    L.record("decoy", "cash_withdrawal_after_litigation", b.fam["debtor"], b.case, txs,
             why="withdrawals below the threshold: 42,000 in 15 days, no freeze")


def _decoy_cash_frozen_small(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    frozen = _after(b, 40, 120, rng, w.as_of - timedelta(days=60))
    L.restriction(b.fam["debtor"], "account_freeze", frozen, case=b.case, target=b.acct)
    txs = [L.cash(b.acct, w.money(8_000, 9_500), frozen + timedelta(days=20))]
    L.record("decoy", "cash_withdrawal_after_litigation", b.fam["debtor"], b.case, txs,
             why="a withdrawal below min_single while the account is frozen")


def _decoy_cash_before(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    txs = [L.cash(b.acct, w.money(20_000, 30_000), b.start - timedelta(days=d)) for d in (3, 9, 15)]
    L.record("decoy", "cash_withdrawal_after_litigation", b.fam["debtor"], b.case, txs,
             why="large withdrawals the weeks before litigation start")


def _honest_cash(L: Layer) -> None:
    b = _busy(L, payroll=0)
    post = [t for t in L.tx_rows if t["from"] == b.acct and t["kind"] == "cash_withdrawal" and t["on"] >= b.start]
    L.record("decoy", "cash_withdrawal_after_litigation", b.fam["debtor"], b.case, post,
             why="honest: a little cash every month", honest=True)


# ======================================================= income redirection
def _plant_income(L: Layer, i: int) -> None:
    w, rng = L.w, L.w.rng
    if i % 2 == 0:  # the employer pays the salary to the spouse after service
        employer = L.org(f"北京远航实业有限公司{rng.randint(1000, 9999)}")
        b = _busy(L, payroll=0, salary=False, members=("spouse", "parent"))
        L.monthly(employer, b.acct, w.money(9_000, 20_000), b.first, b.start - timedelta(days=1), memo="工资", day=25)
        fen = w.money(9_000, 20_000)
        txs = L.monthly(employer, w.acct(b.fam["spouse"]), fen, b.start + timedelta(days=5), w.as_of,
                        memo="工资", day=25)
        note = "salary paid to the spouse's account after service"
    else:  # Jingkou: the pension account is frozen, the pension goes to a new account
        fund = L.org(f"北京市社会保险基金管理中心{rng.randint(100, 999)}")
        b = _busy(L, payroll=0, salary=False)
        pen = w.money(2_500, 6_000)
        frozen = _after(b, 60, 120, rng, w.as_of - timedelta(days=200))
        L.monthly(fund, b.acct, pen, b.first, frozen, memo="养老金", day=15)
        L.restriction(b.fam["debtor"], "account_freeze", frozen, case=b.case, target=b.acct)
        new = w.account(b.fam["debtor"], "bank", opened=frozen + timedelta(days=20))
        txs = L.monthly(fund, new, pen, frozen + timedelta(days=35), w.as_of, memo="养老金", day=15)
        note = "pension moved to an account opened after the freeze"
    L.record("plant", "income_redirection", b.fam["debtor"], b.case, txs, note=note)


def _decoy_raise(L: Layer) -> None:
    w = L.w
    employer = L.org(f"北京金桥商贸有限公司{w.rng.randint(1000, 9999)}")
    b = _busy(L, payroll=0, salary=False)
    L.monthly(employer, b.acct, w.money(8_000, 12_000), b.first, b.start - timedelta(days=1), memo="工资", day=25)
    txs = L.monthly(employer, b.acct, w.money(14_000, 20_000), b.start + timedelta(days=3), w.as_of, memo="工资",
                    day=25)
    L.record("decoy", "income_redirection", b.fam["debtor"], b.case, txs,
             why="a raise from the same employer into the same account", honest=True)


def _decoy_spouse_colleague(L: Layer) -> None:
    w = L.w
    employer = L.org(f"北京润泽物流有限公司{w.rng.randint(1000, 9999)}")
    b = _busy(L, payroll=0, salary=False)
    L.monthly(employer, b.acct, w.money(8_000, 12_000), b.first, w.as_of, memo="工资", day=25)
    txs = L.monthly(employer, w.acct(b.fam["spouse"]), w.money(6_000, 9_000), b.first, w.as_of, memo="工资", day=25)
    L.record("decoy", "income_redirection", b.fam["debtor"], b.case, [t for t in txs if t["on"] >= b.start],
             why="the spouse works for the same employer and was paid before litigation too", honest=True)


# ======================================================= consumption ban
def _plant_ban(L: Layer, i: int) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    ordered = _after(b, 90, 150, rng, w.as_of - timedelta(days=60))
    L.restriction(b.fam["debtor"], "consumption_ban", ordered, case=b.case)
    day = ordered + timedelta(days=rng.randint(10, 40))
    txs = [L.tx(b.acct, rng.choice(L.airlines), w.money(900, 4_000), day, memo="机票", channel="支付宝"),
           L.tx(b.acct, rng.choice(L.hotels), w.money(800, 3_000), day + timedelta(days=rng.randint(0, 3)),
                memo="住宿", channel="POS")]
    L.record("plant", "restricted_consumption", b.fam["debtor"], b.case, txs,
             note="an air ticket and a hotel under a consumption ban")


def _decoy_ban_lifted(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    ordered = _after(b, 40, 80, rng, w.as_of - timedelta(days=120))
    lifted = ordered + timedelta(days=rng.randint(20, 40))
    L.restriction(b.fam["debtor"], "consumption_ban", ordered, lifted=lifted, case=b.case)
    txs = [L.tx(b.acct, rng.choice(L.airlines), w.money(900, 4_000), lifted + timedelta(days=rng.randint(0, 20)),
                memo="机票")]
    L.record("decoy", "restricted_consumption", b.fam["debtor"], b.case, txs,
             why="a flight after the ban was lifted (the lifting day included)")


def _decoy_ban_everyday(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    ordered = _after(b, 60, 120, rng, w.as_of - timedelta(days=90))
    L.restriction(b.fam["debtor"], "consumption_ban", ordered, case=b.case)
    flights_before = [L.tx(b.acct, rng.choice(L.airlines), w.money(900, 4_000), ordered - timedelta(days=d),
                           memo="机票") for d in (3, 30)]
    post = [t for t in L.tx_rows if t["from"] == b.acct and t["on"] >= ordered and t["kind"] == "transfer"]
    L.record("decoy", "restricted_consumption", b.fam["debtor"], b.case, flights_before + post,
             why="under a ban only supermarkets, pharmacies, rent and bills; flights only before the ban",
             honest=True)


# ======================================================= sham encumbrance
def _plant_encumbrance(L: Layer, i: int) -> None:
    w, rng = L.w, L.w.rng
    if i % 2 == 0:  # mortgage to a sibling after litigation start
        b = _busy(L, payroll=0, members=("spouse", "parent", "sibling"))
        appr = w.money(1_500_000, 6_000_000)
        house = w.asset(b.fam["debtor"], "real_estate", appr)
        on = _after(b, 20, 120, rng, w.as_of)
        eid = L.encumbrance(house, b.fam["sibling"], on, appr * rng.randint(60, 95) // 100)
        note = "mortgage to a sibling after litigation start"
    else:  # the Zhejiang pattern: to a friend (no recorded relation), before the suit, no money
        b = _busy(L, payroll=0)
        appr = w.money(1_500_000, 6_000_000)
        house = w.asset(b.fam["debtor"], "real_estate", appr)
        friend = w.person_new()
        w.account(friend, "bank")
        on = b.start - timedelta(days=rng.randint(40, 120))
        eid = L.encumbrance(house, friend, on, appr * rng.randint(80, 100) // 100)
        note = "mortgage of most of the value to a friend 40-120 days before the suit, no money from the friend"
    L.record("plant", "sham_encumbrance", b.fam["debtor"], b.case, encs=[eid], note=note)


def _decoy_bank_mortgage(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    appr = w.money(1_500_000, 6_000_000)
    house = w.asset(b.fam["debtor"], "real_estate", appr)
    on = b.start - timedelta(days=rng.randint(20, 150))
    loan = appr * rng.randint(50, 70) // 100
    eid = L.encumbrance(house, w.acct_holder[L.bank], on, loan)
    paid = L.tx(L.bank, b.acct, loan, on + timedelta(days=rng.randint(1, 20)), memo="个人经营贷款发放")
    L.record("decoy", "sham_encumbrance", b.fam["debtor"], b.case, [paid], encs=[eid],
             why="a mortgage to the bank with the loan paid out", honest=True)


def _decoy_enc_old(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0, members=("spouse", "parent", "sibling"))
    appr = w.money(1_500_000, 6_000_000)
    house = w.asset(b.fam["debtor"], "real_estate", appr)
    on = max(w.data_start, b.start - timedelta(days=rng.randint(200, 330)))
    eid = L.encumbrance(house, b.fam["sibling"], on, appr // 2)
    L.record("decoy", "sham_encumbrance", b.fam["debtor"], b.case, encs=[eid],
             why="a mortgage to a sibling registered before the 180-day lookback")


def _decoy_enc_small(L: Layer) -> None:
    w, rng = L.w, L.w.rng
    b = _busy(L, payroll=0)
    appr = w.money(1_500_000, 6_000_000)
    house = w.asset(b.fam["debtor"], "real_estate", appr)
    other = w.person_new()
    w.account(other, "bank")
    eid = L.encumbrance(house, other, _after(b, 10, 100, rng, w.as_of), appr * rng.randint(15, 40) // 100)
    L.record("decoy", "sham_encumbrance", b.fam["debtor"], b.case, encs=[eid],
             why="an unrelated lender secured for under half the value")


PLANTERS = (("post_filing_transfer_to_related", _busy_post_filing), ("fan_out_dispersal", _busy_fan_out),
            ("cash_withdrawal_after_litigation", _plant_cash), ("income_redirection", _plant_income),
            ("restricted_consumption", _plant_ban), ("sham_encumbrance", _plant_encumbrance))
DECOYS = (_honest_owner, _honest_parent, _decoy_cash_below, _decoy_cash_frozen_small, _decoy_cash_before,
          _honest_cash, _decoy_raise, _decoy_spouse_colleague, _decoy_ban_lifted, _decoy_ban_everyday,
          _decoy_bank_mortgage, _decoy_enc_old, _decoy_enc_small)


def add_realistic(w: Any, k: int, kd: int) -> Layer:
    """Plant k busy / v2 cases per pattern and 2 x kd of every decoy kind into the world `w`."""
    L = Layer(w)
    rng = w.rng
    L.bank = L.org(f"中国{rng.choice(('工商', '建设', '农业'))}银行股份有限公司北京分行")
    L.airlines = [L.org(n, m) for n, m in AIRLINES]
    L.hotels = [L.org(n, m) for n, m in HOTELS]
    L.everyday = [L.org(n, m) for n, m in EVERYDAY]
    L.bill_acct = {n: L.org(n) for n, _ in BILLS}
    for _name, fn in PLANTERS:
        for i in range(k):
            fn(L, i)
    for fn in DECOYS:
        for _ in range(2 * kd):
            fn(L)
    logger.info("realistic layer: %d transfers, %d restrictions, %d encumbrances", len(L.tx_rows),
                len(L.restrictions), len(L.encumbrances))
    return L
