"""Pre-litigation baselines (detection spec v2, "Baselines"): what a debtor paid each
recipient regularly before litigation started is the yardstick for what it pays after.

For a case (debtor and litigation start) and a recipient (a person or company by holder,
an account when the holder is unknown) the baseline window is the `baseline_days` before
litigation start. A recipient paid in at least `baseline_min_months` distinct calendar months
of the window is a baseline payee; its baseline is the median of those months' totals.
After litigation start only the monthly money beyond `baseline_factor` x baseline counts.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from fractions import Fraction


logger = logging.getLogger(__name__)


def month_key(day: dt.date) -> int:
    """A calendar month as yyyymm (the unit of baselines and excess)."""
    return day.year * 100 + day.month


def median_fen(values: list[int]) -> int:
    """Median in whole fen (the lower-rounded mean of the two middle values for an even count)."""
    v = sorted(values)
    n = len(v)
    if n == 0:
        return 0
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2


@dataclass(frozen=True)
class Baseline:
    """One recipient's baseline for one case: the months paid, their totals and the median."""

    payee: str
    window_start: dt.date
    window_end: dt.date            # the day before litigation start
    months: tuple[int, ...]        # yyyymm of every month with a payment
    monthly_fen: tuple[int, ...]   # the totals of those months
    median_fen: int

    @classmethod
    def from_months(cls, payee: str, litigation_start: dt.date, baseline_days: int,
                    monthly: list[tuple[int, int]]) -> "Baseline":
        """The baseline of a payee from its (yyyymm, total fen) months in the window (one home:
        fan_out_dispersal's and post_filing_transfer_to_related's reads, which get the months in
        their own walk)."""
        months = sorted((int(m), int(f)) for m, f in monthly)
        return cls(payee, litigation_start - dt.timedelta(days=baseline_days), litigation_start - dt.timedelta(days=1),
                   tuple(m for m, _ in months), tuple(f for _, f in months), median_fen([f for _, f in months]))

    def threshold_fen(self, factor: float) -> int:
        """What a month may carry before money counts as excess: ceil(factor x median)."""
        f = Fraction(str(factor)) * self.median_fen
        return -(-f.numerator // f.denominator)

    def as_dict(self, factor: float | None = None) -> dict:
        """What a lead shows: payee, window, months, median (and factor with the resulting
        monthly threshold when the pattern counts excess)."""
        out = {"payee": self.payee, "window_start": self.window_start.isoformat(),
               "window_end": self.window_end.isoformat(),
               "months": [f"{m // 100:04d}-{m % 100:02d}" for m in self.months],
               "monthly_fen": list(self.monthly_fen), "median_fen": self.median_fen}
        if factor is not None:
            out.update(factor=factor, threshold_fen=self.threshold_fen(factor))
        return out


@dataclass
class Baselines:
    """Baseline payees per case_no: {case_no: {payee: Baseline}}."""

    by_case: dict[str, dict[str, Baseline]] = field(default_factory=dict)

    def get(self, case_no: str, payee: str | None) -> Baseline | None:
        if payee is None:
            return None
        return self.by_case.get(case_no, {}).get(payee)


def _months_text(months: list[str], cap: int = 12) -> str:
    """The months of a baseline, the first `cap` of them and how many more."""
    shown = ", ".join(months[:cap])
    return shown + (f" (+{len(months) - cap})" if len(months) > cap else "")


def describe(details: dict | None, lang: str = "zh") -> list[str]:
    """The baseline a lead was judged against, as sentences for the lead page and the package
    (one home, so the dashboard, subject page, investigation page and PDF say the same thing):
    the related payee's baseline and threshold (post_filing_transfer_to_related), the usual payer
    (income_redirection) or the baseline payees that fan_out_dispersal did not count."""
    from ingest.parse import format_fen

    d = details or {}
    zh = lang != "en"
    out: list[str] = []
    b = d.get("baseline")
    if isinstance(b, dict) and "median_fen" in b:
        months = list(b.get("months") or [])
        if zh:
            s = (f"基线：收款人 {b['payee']} 在 {b.get('window_start')} 至 {b.get('window_end')} 间有 {len(months)} 个月"
                 f"收款（{_months_text(months)}），月中位数 {format_fen(b['median_fen'], '¥')}")
            if b.get("threshold_fen") is not None:
                s += f"；每月超过 {b.get('factor')} 倍即 {format_fen(b['threshold_fen'], '¥')} 的部分才计入"
        else:
            s = (f"Baseline: payee {b['payee']} was paid in {len(months)} months from {b.get('window_start')} to "
                 f"{b.get('window_end')} ({_months_text(months)}), median {format_fen(b['median_fen'], '¥')} a month")
            if b.get("threshold_fen") is not None:
                s += (f"; only what went beyond {b.get('factor')} x median = "
                      f"{format_fen(b['threshold_fen'], '¥')} a month counts")
        out.append(s + ("。" if zh else "."))
        ex = d.get("excess_months") or []
        if ex:
            parts = [f"{m['month']} {format_fen(m['paid_fen'], '¥')}→{format_fen(m['excess_fen'], '¥')}" for m in ex]
            out.append(("超出基线的月份（支付额→计入额）：" if zh else "Months over baseline (paid → counted): ")
                       + ("；" if zh else "; ").join(parts))
    elif isinstance(b, dict):  # income_redirection: the usual payer and the accounts it paid
        months = list(b.get("months") or [])
        accts = ", ".join(b.get("usual_accounts") or [])
        if zh:
            out.append(f"基线：付款人 {b['payee']} 在诉讼开始前 {b.get('window_days')} 天内有 {len(months)} 个月"
                       f"（{_months_text(months)}）向被执行人账户 {accts} 付款，合计 {format_fen(b.get('paid_fen') or 0, '¥')}。")
        else:
            out.append(f"Baseline: payer {b['payee']} paid the debtor's account(s) {accts} in {len(months)} months "
                       f"({_months_text(months)}) of the {b.get('window_days')} days before litigation start, "
                       f"{format_fen(b.get('paid_fen') or 0, '¥')} in all.")
    excluded = d.get("baseline_payees_excluded") or []
    if excluded:
        parts = [f"{e['payee']}（{len(e.get('months') or [])} 个月，月中位数 {format_fen(e['median_fen'], '¥')}）" if zh
                 else f"{e['payee']} ({len(e.get('months') or [])} months, median {format_fen(e['median_fen'], '¥')})"
                 for e in excluded]
        out.append(("未计入的基线收款人（诉讼开始前经常付款）：" + "；".join(parts)) if zh
                   else ("Baseline payees not counted (paid regularly before litigation start): " + "; ".join(parts)))
    return out
