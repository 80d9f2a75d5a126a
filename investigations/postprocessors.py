"""Pattern post-processors: the Python half of a pattern, named in its `.cypher` metadata.

Each takes the run context and the rows of the pattern's query and returns raw hits
(dicts with subject, case, amount, counterparties, dates, evidence, relation and
explanations); `investigations.runner` adds stage, lead id and score.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from graph import Graph
from graph.traversal import DegreeCache, transfer_subgraphs

from .baseline import Baseline, Baselines, month_key
from .leads import yuan
from . import labels, queries
from .related import DEFAULT_MIN_SHARE_PCT, UNRELATED_CLOSENESS, Relatedness, Tie, relation_fields
from .measures import KIND_ZH, in_force

logger = logging.getLogger(__name__)

#: Most paths one debtor may yield in a path search (a bound; the result says when it is hit).
MAX_PATHS_PER_SUBJECT = 200
#: Most edges pulled for one debtor's path search.
MAX_EDGES_PER_SUBJECT = 20000
#: The work and time budget of one pattern's path search (all subjects together; the time counts the
#: search itself, not fetching the subgraphs): when either runs out the search stops, the result is
#: marked truncated and a note says where it stopped.
PATH_SEARCH_STEPS = 2_000_000
PATH_SEARCH_SECONDS = 30.0


@dataclass
class Context:
    """What a post-processor gets: the graph, parsed params (money in yuan), query params
    (money in fen, as_of), the as_of date, and notes / truncation it may report."""

    graph: Graph
    pattern_id: str
    params: dict[str, Any]
    query: dict[str, Any]
    as_of: dt.date
    timeout: float = 120.0
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
    #: Reads one scan may share between patterns (same inputs, same answer): path-search
    #: subgraphs and account degrees. A fresh dict per run when not given.
    cache: dict = field(default_factory=dict)

    def relatedness(self, debtor_ids: list[str]) -> Relatedness:
        """Relatedness of these debtors (read once per scan for the same debtors and share threshold).

        One read for more debtors answers the same for each of them (each debtor's relations,
        holders and their roles are read whole), so a cached one for a superset is reused."""
        share = float(self.params.get("min_share_pct", DEFAULT_MIN_SHARE_PCT))
        want = frozenset(debtor_ids)
        key = ("relatedness", tuple(sorted(want)), share)
        if key not in self.cache:
            for k, v in list(self.cache.items()):  # a copy: a scan's other patterns may add keys meanwhile
                if isinstance(k, tuple) and k[0] == "relatedness" and k[2] == share and want <= frozenset(k[1]):
                    return v
            self.cache[key] = Relatedness(self.graph, debtor_ids, share, timeout=self.timeout)
        return self.cache[key]

    def open_debtors(self) -> list[str]:
        """The debtors of the cases every money pattern anchors on (open at as_of, litigation
        started), restricted to the run's subject; read once per scan."""
        key = ("open_debtors", self.as_of, self.query.get("subject_id"))
        if key not in self.cache:
            self.cache[key] = [r["id"] for r in self.graph.read(
                queries.Q_POSTPROCESSORS_OPEN_DEBTORS,
                {"as_of": self.as_of, "subject_id": self.query.get("subject_id")}, timeout=self.timeout)]
        return self.cache[key]


def _subject(row: dict) -> dict:
    return {"subject_id": row["subject_id"], "subject_kind": row["subject_kind"],
            "subject_name": row.get("subject_name")}


def _rel_fields(tie: Tie | None) -> dict:
    """The lead's relation fields: the one definition in `related.relation_fields`."""
    return relation_fields(tie)


def _transfer_doc(r: dict) -> dict:
    return {"transfer_id": r["transfer_id"], "from_account": r["from_account"], "to_account": r["to_account"],
            "amount_fen": r["amount_fen"], "at": r["at"], "on": r["on"]}


# -- totals to a related party ------------------------------------------------------------
def _over_baseline(items: list[tuple[dict, Tie]], threshold: int) -> tuple[list[tuple[dict, Tie]], list[dict], int]:
    """Per calendar month, the money beyond `threshold`: the month's transfers (each with the part
    of the excess it carries, the latest transfers first: the money beyond the usual is the last
    paid), the per-month figures and the total excess."""
    months: dict[int, list[tuple[dict, Tie]]] = defaultdict(list)
    for r, tie in items:
        months[month_key(r["on"])].append((r, tie))
    kept: list[tuple[dict, Tie]] = []
    per_month = []
    total_excess = 0
    for ym in sorted(months):
        its = months[ym]
        paid = sum(r["amount_fen"] for r, _ in its)
        excess = paid - threshold
        if excess <= 0:
            continue
        total_excess += excess
        per_month.append({"month": f"{ym // 100:04d}-{ym % 100:02d}", "paid_fen": paid, "excess_fen": excess})
        left = excess
        counted: dict[str, int] = {}
        for r, _ in sorted(its, key=lambda x: (x[0]["at"], x[0]["transfer_id"]), reverse=True):
            c = min(left, r["amount_fen"])
            counted[r["transfer_id"]] = c
            left -= c
        for r, tie in its:
            kept.append((dict(r, counted_fen=counted[r["transfer_id"]]), tie))
    return kept, per_month, total_excess


def _baselines_of_rows(ctx: Context, rows: list[dict]) -> Baselines:
    """The baselines from a read's column `base` (per case: [payee, [[yyyymm, fen], ...]] of the
    payee's transfers in the baseline window), with the params baseline_days / baseline_min_months."""
    days, need = int(ctx.params["baseline_days"]), int(ctx.params["baseline_min_months"])
    out = Baselines()
    done: set[str] = set()
    for r in rows:
        case = r["case"]
        if case["case_no"] in done:
            continue
        done.add(case["case_no"])
        for payee, items in r.get("base") or []:
            monthly: dict[int, int] = defaultdict(int)
            for ym, fen in items:
                monthly[ym] += fen
            if len(monthly) >= need:
                out.by_case.setdefault(case["case_no"], {})[payee] = Baseline.from_months(
                    payee, case["litigation_start"], days, list(monthly.items()))
    return out


def _grouped_to_party(ctx: Context, rows: list[dict], want: str, baselines: bool = False) -> list[dict]:
    rel = ctx.relatedness(sorted({r["subject_id"] for r in rows}))
    groups: dict[tuple, list[tuple[dict, Tie]]] = defaultdict(list)
    ties: dict[tuple, Tie | None] = {}   # a monthly payee asks the same (debtor, holder, day) often
    for r in rows:
        k = (r["subject_id"], r["holder_id"], r["on"])
        if k not in ties:
            ties[k] = rel.tie(*k)
        tie = ties[k]
        if tie is None or tie.kind != want:
            continue
        groups[(r["subject_id"], r["case"]["case_no"], r["holder_id"])].append((r, tie))
    # the baselines the read computed in its own walk (spec v2: a baseline payee counts its excess)
    bl = _baselines_of_rows(ctx, rows) if baselines else None
    hits = []
    factor = ctx.params.get("baseline_factor")
    for (_sid, case_no, holder), items in groups.items():
        base = bl.get(case_no, holder) if bl is not None else None
        extra: dict[str, Any] = {}
        if base is not None:
            items, per_month, total = _over_baseline(items, base.threshold_fen(factor))
            if not items:
                continue
            extra = {"baseline": base.as_dict(factor), "excess_months": per_month}
        else:
            total = sum(r["amount_fen"] for r, _ in items)
        if total < ctx.query["min_total_fen"]:
            continue
        first = items[0][0]
        tie = max((t for _, t in items), key=lambda t: t.closeness)
        name = first["holder_name"] or holder
        ev = {"transfer_ids": [r["transfer_id"] for r, _ in items],
              "asset_transfer_ids": [],
              "account_ids": sorted({r["from_account"] for r, _ in items} | {r["to_account"] for r, _ in items}),
              "balance_rows": []}
        what_en = "related person" if want == "related_person" else "tied company"
        what_zh = "关系人" if want == "related_person" else "关联企业"
        en = (f"After litigation start ({first['case']['litigation_start']}), {len(items)} transfer(s) "
              f"totalling {yuan(total)} yuan went from the debtor's accounts to {name} ({holder}), "
              f"a {what_en}: {tie.description_en}.")
        zh = (f"诉讼开始（{first['case']['litigation_start']}）后，被执行人账户向{what_zh}{name}（{holder}，"
              f"{tie.description_zh}）转款{len(items)}笔，合计{yuan(total)}元。")
        if base is not None:
            paid = sum(r["amount_fen"] for r, _ in items)
            en = (f"After litigation start ({first['case']['litigation_start']}), the debtor paid {name} ({holder}, "
                  f"a {what_en}: {tie.description_en}) {yuan(paid)} yuan in {len(extra['excess_months'])} month(s) "
                  f"above the usual. Baseline: paid in {len(base.months)} months of the {ctx.params['baseline_days']} "
                  f"days before litigation start, median {yuan(base.median_fen)} yuan a month; only what went beyond "
                  f"{factor} x that ({yuan(base.threshold_fen(factor))} yuan) a month counts: {yuan(total)} yuan.")
            zh = (f"诉讼开始（{first['case']['litigation_start']}）后，被执行人向{what_zh}{name}（{holder}，"
                  f"{tie.description_zh}）在{len(extra['excess_months'])}个月内转款{yuan(paid)}元，超出以往水平。"
                  f"基线：诉讼开始前{ctx.params['baseline_days']}天内有{len(base.months)}个月向其付款，月中位数"
                  f"{yuan(base.median_fen)}元；每月仅超过其{factor}倍（{yuan(base.threshold_fen(factor))}元）的部分计入，"
                  f"合计{yuan(total)}元。")
        hits.append({
            **_subject(first), "case": first["case"], "amount_fen": total,
            "counterparties": [holder], "counterparty_names": [name],
            "first_at": items[0][0]["at"], "last_at": items[-1][0]["at"],
            "first_on": items[0][0]["on"], "evidence": ev, **_rel_fields(tie),
            "transfers": [dict(_transfer_doc(r), **({"counted_fen": r["counted_fen"]} if "counted_fen" in r else {}))
                          for r, _ in items],
            **extra,
            "explanation_en": en, "explanation_zh": zh,
        })
    return hits


# -- pre-steps: query parameters a pattern's read needs before it runs -----------------------
def tie_candidates(ctx: Context) -> dict[str, Any]:
    """`$parties`: per open-case debtor, the person (post_filing_transfer_to_related) or company
    (shell_company_transfer) records that could be tied to it on some day (Relatedness, dates
    ignored). The candidate read then follows only transfers into those parties' accounts, and
    the post-processor still decides the tie at each transfer's day: the same hits, a far smaller read."""
    kind = {"post_filing_transfer_to_related": "related_person", "shell_company_transfer": "tied_company"}[ctx.pattern_id]
    debtors = ctx.open_debtors()
    rel = ctx.relatedness(debtors)
    parties = {d: rel.possible_parties(d, kind) for d in debtors}
    return {"parties": {d: p for d, p in parties.items() if p}}


#: Pre-steps by name (a pattern's metadata "pre"): they return extra query parameters.
PRE: dict[str, Callable[[Context], dict[str, Any]]] = {"tie_candidates": tie_candidates}


def post_filing_transfer_to_related(ctx: Context, rows: list[dict]) -> list[dict]:
    """Keep transfers whose recipient is a related person at the transfer date; total per recipient;
    for a baseline payee only the monthly excess over baseline_factor x its baseline (spec v2)."""
    return _grouped_to_party(ctx, rows, "related_person", baselines=True)


def shell_company_transfer(ctx: Context, rows: list[dict]) -> list[dict]:
    """Keep transfers whose recipient is a tied company at the transfer date; total per company."""
    return _grouped_to_party(ctx, rows, "tied_company")


# -- fan out ----------------------------------------------------------------------------
def fan_out_dispersal(ctx: Context, rows: list[dict]) -> list[dict]:
    """Sliding windows of window_days calendar days (start day + window_days - 1) per debtor
    and case; the best window (most qualifying recipients, then most money) is a hit, its
    transfers are taken out, and the search repeats for further bursts."""
    rel = ctx.relatedness(sorted({r["subject_id"] for r in rows}))
    W = ctx.params["window_days"]
    min_n = ctx.params["min_recipients"]
    min_each = ctx.query["min_each_fen"]
    per_case: dict[tuple, list[dict]] = defaultdict(list)
    skipped: dict[tuple, dict[str, Any]] = defaultdict(dict)
    # days of transfers that can never qualify but still start windows (recipients under min_each)
    starts: dict[tuple, set[dt.date]] = defaultdict(set)
    ties: dict[tuple, bool] = {}

    def related(sid: str, holder: str | None, day: dt.date) -> bool:
        k = (sid, holder, day)
        if k not in ties:
            tie = rel.tie(sid, holder, day)
            ties[k] = tie is not None and tie.kind == "related_person"
        return ties[k]

    done: set[tuple] = set()
    for r in rows:
        ck = (r["subject_id"], r["case"]["case_no"])
        if ck not in done:   # the case's other recipients and baseline payees (the read's `days`)
            done.add(ck)
            monthly = dict((p, m) for p, m in r.get("base_monthly") or [])
            for key, holder, is_base, days in r.get("days") or []:
                eligible = [d for d in days if not related(r["subject_id"], holder, d)]
                if not eligible:
                    continue
                if is_base:   # a recipient paid regularly before litigation (payroll, rent): spec v2
                    skipped[ck][key] = Baseline.from_months(key, r["case"]["litigation_start"],
                                                            int(ctx.params["baseline_days"]), monthly[key])
                else:
                    starts[ck].update(eligible)
        if related(r["subject_id"], r["holder_id"], r["on"]):
            continue
        per_case[ck].append(dict(r, _key=r["holder_id"] or f"account:{r['to_account']}"))
    hits = []
    for (_sid, _cno), items in per_case.items():
        items.sort(key=lambda r: (r["on"], r["at"], r["transfer_id"]))
        remaining = items
        while True:
            best = None
            for start in sorted({r["on"] for r in remaining} | starts[(_sid, _cno)]):
                end = start + dt.timedelta(days=W - 1)
                win = [r for r in remaining if start <= r["on"] <= end]
                per: dict[str, int] = defaultdict(int)
                for r in win:
                    per[r["_key"]] += r["amount_fen"]
                qual = {k for k, v in per.items() if v >= min_each}
                if len(qual) >= min_n:
                    chosen = [r for r in win if r["_key"] in qual]
                    cand = (len(qual), sum(r["amount_fen"] for r in chosen), start, chosen, qual)
                    if best is None or cand[:2] > best[:2]:
                        best = cand
            if best is None:
                break
            n, total, start, chosen, qual = best
            first = chosen[0]
            names = {}
            for r in chosen:
                names[r["_key"]] = r["holder_name"] or r["_key"]
            cps = sorted(qual)
            hits.append({
                **_subject(first), "case": first["case"], "amount_fen": total,
                "counterparties": cps, "counterparty_names": [names[k] for k in cps],
                "first_at": chosen[0]["at"], "last_at": chosen[-1]["at"], "first_on": chosen[0]["on"],
                "evidence": {"transfer_ids": [r["transfer_id"] for r in chosen], "asset_transfer_ids": [],
                             "account_ids": sorted({r["from_account"] for r in chosen} | {r["to_account"] for r in chosen}),
                             "balance_rows": []},
                "relation": "unrelated", "relation_en": "recipients other than related persons",
                "relation_zh": "关系人以外的收款人", "closeness": UNRELATED_CLOSENESS,
                "window_start": start, "window_end": start + dt.timedelta(days=W - 1), "recipients": n,
                "transfers": [_transfer_doc(r) for r in chosen],
                "baseline_payees_excluded": [b.as_dict() for _k, b in sorted(skipped[(_sid, _cno)].items())],
                "explanation_en": (f"Within {W} days from {start}, after litigation start ({first['case']['litigation_start']}), "
                                   f"the debtor paid {n} distinct recipients other than related persons at least "
                                   f"{yuan(min_each)} yuan each, {yuan(total)} yuan in all ({len(chosen)} transfers)."
                                   + (f" {len(skipped[(_sid, _cno)])} recipient(s) paid regularly before litigation "
                                      f"start (baseline payees) were not counted." if skipped[(_sid, _cno)] else "")),
                "explanation_zh": (f"诉讼开始（{first['case']['litigation_start']}）后，自{start}起{W}天内，被执行人向{n}个关系人以外的"
                                   f"收款人各转款不少于{yuan(min_each)}元，合计{yuan(total)}元（{len(chosen)}笔）。"
                                   + (f"诉讼开始前经常付款的{len(skipped[(_sid, _cno)])}个收款人（基线收款人）未计入。"
                                      if skipped[(_sid, _cno)] else "")),
            })
            used = {r["transfer_id"] for r in chosen}
            remaining = [r for r in remaining if r["transfer_id"] not in used]
    return hits


# -- conveyances ------------------------------------------------------------------------
def conveyance(ctx: Context, rows: list[dict]) -> list[dict]:
    """One hit per conveyance; adds the counterparty's relation to the debtor at that day."""
    rel = ctx.relatedness(sorted({r["subject_id"] for r in rows}))
    below = ctx.pattern_id == "below_value_conveyance"
    hits = []
    for r in rows:
        tie = rel.tie(r["subject_id"], r["counterparty_id"], r["on"])
        rf = _rel_fields(tie)
        cp = r["counterparty_name"] or r["counterparty_id"]
        price, appr = r["price_fen"], r["appraised_value_fen"]
        pct = 100 * price / appr
        gift = not r["price_given"]
        if below:
            en = (f"On {r['on']}, after litigation start ({r['case']['litigation_start']}), the debtor conveyed asset "
                  f"{r['asset_id']} ({r['asset_kind']}) appraised at {yuan(appr)} yuan to {cp} "
                  f"({r['counterparty_id']}, {rf['relation_en']}) for "
                  f"{'no consideration' if gift else yuan(price) + ' yuan'} ({pct:.0f}% of value, under "
                  f"{ctx.params['ratio']:.0%}); {yuan(r['amount_fen'])} yuan of value left the debtor.")
            zh = (f"诉讼开始（{r['case']['litigation_start']}）后，被执行人于{r['on']}将评估价值{yuan(appr)}元的财产"
                  f"{r['asset_id']}转让给{cp}（{r['counterparty_id']}，{rf['relation_zh']}），对价"
                  f"{'为零（无偿）' if gift else yuan(price) + '元'}，为评估价值的{pct:.0f}%，低于{ctx.params['ratio']:.0%}；"
                  f"减少责任财产{yuan(r['amount_fen'])}元。")
        else:
            en = (f"On {r['on']}, after litigation start ({r['case']['litigation_start']}), the debtor bought asset "
                  f"{r['asset_id']} ({r['asset_kind']}) appraised at {yuan(appr)} yuan from {cp} "
                  f"({r['counterparty_id']}, {rf['relation_en']}) for {yuan(price)} yuan ({pct:.0f}% of value, above "
                  f"{ctx.params['ratio']:.0%}); {yuan(r['amount_fen'])} yuan paid over value.")
            zh = (f"诉讼开始（{r['case']['litigation_start']}）后，被执行人于{r['on']}以{yuan(price)}元从{cp}"
                  f"（{r['counterparty_id']}，{rf['relation_zh']}）受让评估价值{yuan(appr)}元的财产{r['asset_id']}，"
                  f"为评估价值的{pct:.0f}%，高于{ctx.params['ratio']:.0%}；超出价值{yuan(r['amount_fen'])}元。")
        hits.append({
            **_subject(r), "case": r["case"], "amount_fen": r["amount_fen"],
            "counterparties": [r["counterparty_id"]], "counterparty_names": [cp],
            "first_at": r["on"], "last_at": r["on"], "first_on": r["on"],
            "evidence": {"transfer_ids": [], "asset_transfer_ids": [r["asset_transfer_id"]], "account_ids": [],
                         "balance_rows": []},
            **rf, "asset_id": r["asset_id"], "asset_kind": r["asset_kind"], "price_fen": price,
            "price_given": r["price_given"], "appraised_value_fen": appr, "appraised_on": r["appraised_on"],
            "explanation_en": en, "explanation_zh": zh,
        })
    return hits


# -- sham divorce -----------------------------------------------------------------------
def sham_divorce(ctx: Context, rows: list[dict]) -> list[dict]:
    """Shape the query's rows (the whole test is in the Cypher) into hits."""
    hits = []
    for r in rows:
        ts, cs = r["transfers"], r["conveyances"]
        asset_value = sum((c.get("appraised_value_fen") if c.get("appraised_value_fen") is not None
                           else c.get("price_fen") or 0) for c in cs)
        days = [t["at"] for t in ts] + [c["on"] for c in cs]
        ons = [t["on"] for t in ts] + [c["on"] for c in cs]
        key = lambda v: v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())  # noqa: E731
        first = min(days, key=key)
        last = max(days, key=key)
        cp = r["counterparty_name"] or r["counterparty_id"]
        amount = r["money_fen"] + asset_value
        hits.append({
            **_subject(r), "case": r["case"], "amount_fen": amount,
            "counterparties": [r["counterparty_id"]], "counterparty_names": [cp],
            "first_at": first, "last_at": last, "first_on": min(ons),
            "evidence": {"transfer_ids": [t["transfer_id"] for t in ts],
                         "asset_transfer_ids": [c["transfer_id"] for c in cs],
                         "account_ids": sorted({t["from_account"] for t in ts} | {t["to_account"] for t in ts}),
                         "balance_rows": []},
            "relation": "former_spouse", "relation_en": "former spouse", "relation_zh": "前配偶", "closeness": 1.0,
            "divorced_on": r["divorced_on"], "money_fen": r["money_fen"], "asset_value_fen": asset_value,
            "transfers": ts, "conveyances": cs,
            "explanation_en": (f"The debtor's marriage to {cp} ({r['counterparty_id']}) ended on {r['divorced_on']} "
                               f"(litigation start {r['case']['litigation_start']}); within {ctx.params['window_days']} days "
                               f"of it and after litigation start, " + " and ".join(
                                   ([f"{len(ts)} transfer(s) of {yuan(r['money_fen'])} yuan"] if ts else [])
                                   + ([f"{len(cs)} conveyance(s) worth {yuan(asset_value)} yuan"] if cs else []))
                               + " went to the former spouse."),
            "explanation_zh": (f"被执行人与{cp}（{r['counterparty_id']}）的婚姻于{r['divorced_on']}终止（诉讼开始"
                               f"{r['case']['litigation_start']}）；诉讼开始后、离婚前后{ctx.params['window_days']}天内，"
                               + "，".join(([f"向前配偶转款{len(ts)}笔共{yuan(r['money_fen'])}元"] if ts else [])
                                          + ([f"向前配偶转让财产{len(cs)}项价值{yuan(asset_value)}元"] if cs else []))
                               + "。"),
        })
    return hits


# -- path searches ----------------------------------------------------------------------
def _ordered(prev: dict, nxt: dict) -> bool:
    """Time order: a later day, or the same day with a later-or-equal time, or a time not known
    (`has_time` False: a date-only row; a real 00:00:00 transfer has its time and is ordered by it)."""
    if nxt["on"] != prev["on"]:
        return nxt["on"] > prev["on"]
    a, b = prev["at"], nxt["at"]
    if not isinstance(a, dt.datetime) or not isinstance(b, dt.datetime):
        return True
    if not prev.get("has_time", True) or not nxt.get("has_time", True):
        return True
    return b >= a


def _edges_out(G: Any, node: str) -> list[dict]:
    """The out-edges of `node` in time order (memoised on the graph: a search visits a node often)."""
    memo = G.graph.setdefault("_edges_out", {})
    if node not in memo:
        memo[node] = _edges_out_uncached(G, node)
    return memo[node]


def _edges_out_uncached(G: Any, node: str) -> list[dict]:
    out = []
    for _u, v, key, data in G.out_edges(node, keys=True, data=True):
        out.append({"transfer_id": key, "from_account": node, "to_account": v, "amount_fen": data["amount_fen"],
                    "at": data["at"], "on": data["on"], "has_time": data.get("has_time", True)})
    out.sort(key=lambda e: (e["on"], e["at"], e["transfer_id"]))
    return out


def _subgraphs(ctx: Context, by_subject: dict[str, list[dict]], span_days: int,
               ends: Callable[[str, list[str]], tuple[frozenset, frozenset]] | None = None,
               next_days: int | None = None) -> dict[str, Any]:
    """Every debtor's bounded subgraph for the path search, read for all debtors at once (one read
    per hop): first hops of at least min_amount out of the debtor's accounts from its earliest
    litigation start, then hops of at least the floor min_amount x min_ratio^max_intermediates
    (no hop of a path can be smaller), only on days within `span_days` after some first hop (the
    longest a path may last) and up to max_ratio^max_intermediates x the largest first hop (the
    most a path may grow). `ends(subject, start accounts)`: the (accounts, holders) a path must end
    at; the last hop reads only transfers into those (graph.traversal.transfer_subgraphs).
    `next_days`: a second hop lies at most that many days after the first (the first hop keeps
    only transfers that can go on: min_ratio..max_ratio of it within next_days). Every
    edge a path can use is read; the result is cached in `ctx.cache` for the scan."""
    p, q = ctx.params, ctx.query
    max_int = p["max_intermediates"]
    floor = int(q["min_amount_fen"] * float(Fraction(str(p["min_ratio"]))) ** max_int)
    starts = {}
    for sid, srows in by_subject.items():
        accounts = sorted({a for r in srows for a in r["accounts"]})
        if accounts:
            starts[sid] = (accounts, min(r["case"]["litigation_start"] for r in srows))
    growth = Fraction(str(p["max_ratio"])) ** max_int
    end_sets = {k: ends(k, a) for k, (a, _s) in starts.items()} if ends is not None else None
    key = ("subgraphs", ctx.as_of, max_int, MAX_EDGES_PER_SUBJECT, p["max_degree"], floor, q["min_amount_fen"],
           span_days, growth, tuple(sorted((k, tuple(a), s) for k, (a, s) in starts.items())),
           None if end_sets is None else tuple(sorted((k, tuple(sorted(e[0])), tuple(sorted(e[1])))
                                                      for k, e in end_sets.items())), next_days)
    first_next = None if next_days is None else (Fraction(str(p["min_ratio"])), Fraction(str(p["max_ratio"])),
                                                  next_days)
    if key not in ctx.cache:
        ctx.cache[key] = transfer_subgraphs(
            ctx.graph, starts, until=ctx.as_of, max_hops=max_int + 1, max_edges=MAX_EDGES_PER_SUBJECT,
            max_degree=p["max_degree"], min_fen=floor, first_min_fen=q["min_amount_fen"],
            degree_cache=ctx.cache.setdefault("degrees", DegreeCache()), span_days=span_days, max_growth=growth,
            ends=end_sets, first_next=first_next, timeout=ctx.timeout)
    return ctx.cache[key]


def _path_search(ctx: Context, rows: list[dict], end_test: Callable, hop_ok: Callable, span_days: int,
                 ends: Callable[[str, list[str]], tuple[frozenset, frozenset]] | None = None,
                 next_days: int | None = None) -> list[tuple[dict, list[dict], list[dict], Any]]:
    """Per debtor: bounded subgraph, then DFS from each first hop. Returns (subject row,
    cases, path edges, end info) tuples. `ends`: where a path of max_intermediates + 1 hops can
    end (a superset of what `end_test` accepts), see `_subgraphs`."""
    p, q = ctx.params, ctx.query
    lo, hi = Fraction(str(p["min_ratio"])), Fraction(str(p["max_ratio"]))
    max_int = p["max_intermediates"]
    by_subject: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_subject[r["subject_id"]].append(r)
    found = []
    budget = {"steps": 0, "spent": 0.0, "t0": 0.0, "out": False}   # spent: seconds in the search itself
    subs = _subgraphs(ctx, by_subject, span_days, ends, next_days)
    for sid, srows in by_subject.items():
        if budget["out"]:
            ctx.notes.append(f"{sid}: not searched, the path-search budget was used up")
            continue
        accounts = sorted({a for r in srows for a in r["accounts"]})
        if not accounts:
            continue
        own = set(accounts)
        since = min(r["case"]["litigation_start"] for r in srows)
        sub = subs[sid]
        if sub.truncated:
            ctx.truncated = True
            ctx.notes.append(f"{sid}: subgraph cut at {MAX_EDGES_PER_SUBJECT} edges")
        G = sub.graph
        paths = 0

        def dfs(path: list[dict], visited: set[str]) -> None:
            nonlocal paths
            if paths >= MAX_PATHS_PER_SUBJECT or budget["out"]:
                return
            budget["steps"] += 1
            if budget["steps"] > PATH_SEARCH_STEPS or (
                    budget["steps"] % 1000 == 0
                    and budget["spent"] + time.monotonic() - budget["t0"] > PATH_SEARCH_SECONDS):
                budget["out"] = True
                ctx.truncated = True
                ctx.notes.append(f"{sid}: path search stopped early after {budget['steps'] - 1} steps "
                                 f"(budget {PATH_SEARCH_STEPS} steps, {PATH_SEARCH_SECONDS:g} s); "
                                 "results are incomplete")
                return
            last = path[-1]
            node = last["to_account"]
            end = end_test(sid, own, G, path)
            if end is not False:
                if end is not None and len(path) >= 2:
                    found.append((srows[0], srows, list(path), end))
                    paths += 1
                return
            if len(path) > max_int:     # node would be intermediary number len(path) > max
                return
            if node in sub.skipped_busy or (G.nodes[node].get("degree") or 0) > p["max_degree"]:
                return
            for e in _edges_out(G, node):
                if (e["to_account"] in visited and e["to_account"] not in own) or not _ordered(last, e):
                    continue
                if not (lo * last["amount_fen"] <= e["amount_fen"] <= hi * last["amount_fen"]):
                    continue
                if not hop_ok(path, e):
                    continue
                visited.add(e["to_account"])
                path.append(e)
                dfs(path, visited)
                path.pop()
                visited.discard(e["to_account"])

        budget["t0"] = time.monotonic()
        for a in accounts:
            for e in _edges_out(G, a):
                if e["on"] < since or e["amount_fen"] < q["min_amount_fen"] or e["to_account"] in own:
                    continue
                dfs([e], {a, e["to_account"]})
        budget["spent"] += time.monotonic() - budget["t0"]
        if paths >= MAX_PATHS_PER_SUBJECT:
            ctx.truncated = True
            ctx.notes.append(f"{sid}: stopped at {MAX_PATHS_PER_SUBJECT} paths")
    return found


def _path_hits(ctx: Context, found: list, describe: Callable) -> list[dict]:
    hits = []
    for srow, srows, path, end in found:
        first = path[0]
        for r in srows:
            case = r["case"]
            if first["on"] < case["litigation_start"]:
                continue
            hits.append(describe(r, case, path, end))
    return hits


def _holder_names(ctx: Context, accounts: list[str]) -> dict[str, dict]:
    rows = ctx.graph.read(queries.Q_POSTPROCESSORS_HOLDER_NAMES, {"ids": accounts}, timeout=ctx.timeout)
    return {r["aid"]: r for r in rows}


def layered_chain(ctx: Context, rows: list[dict]) -> list[dict]:
    """Time-ordered, gap- and ratio-bounded DFS from the debtor's accounts through unrelated
    accounts to a related party's account (1..max_intermediates intermediaries)."""
    rel = ctx.relatedness(sorted({r["subject_id"] for r in rows}))
    gap = ctx.params["max_gap_days"]
    ties: dict[tuple, Tie | None] = {}   # the search asks the same (debtor, holder, day) often

    def end_test(sid: str, own: set, G: Any, path: list[dict]) -> Any:
        node = path[-1]["to_account"]
        if node in own:
            return None                        # back at the debtor: not a chain (round trip)
        holder = G.nodes[node].get("holder_id")
        k = (sid, holder, path[-1]["on"])
        if k not in ties:
            ties[k] = rel.tie(*k)
        tie = ties[k]
        if tie is not None:
            return tie                         # a related party: the chain ends here
        return False                           # unrelated or unknown: may be an intermediary

    def hop_ok(path: list[dict], e: dict) -> bool:
        return (e["on"] - path[-1]["on"]).days <= gap

    def ends(sid: str, _accounts: list[str]) -> tuple[frozenset, frozenset]:
        # a chain ends at an account of a party `tie` can relate to the debtor on some day
        return frozenset(), frozenset(rel.possible_parties(sid, "related_person")
                                      + rel.possible_parties(sid, "tied_company"))

    # a chain of max_intermediates + 1 hops, each at most max_gap_days after the one before
    found = _path_search(ctx, rows, end_test, hop_ok, ctx.params["max_intermediates"] * gap, ends, gap)
    names = _holder_names(ctx, sorted({e["to_account"] for _, _, p, _ in found for e in p}))

    def describe(r: dict, case: dict, path: list[dict], tie: Tie) -> dict:
        end_acc = path[-1]["to_account"]
        info = names.get(end_acc, {})
        holder = info.get("holder_id") or end_acc
        hname = info.get("name") or holder
        inter = [e["to_account"] for e in path[:-1]]
        route = " -> ".join([path[0]["from_account"]] + [e["to_account"] for e in path])
        return {
            **_subject(r), "case": case, "amount_fen": path[0]["amount_fen"],
            "counterparties": [holder] + [names.get(a, {}).get("holder_id") or a for a in inter],
            "counterparty_names": [hname] + [names.get(a, {}).get("name") or a for a in inter],
            "first_at": path[0]["at"], "last_at": path[-1]["at"], "first_on": path[0]["on"],
            "evidence": {"transfer_ids": [e["transfer_id"] for e in path], "asset_transfer_ids": [],
                         "account_ids": [path[0]["from_account"]] + [e["to_account"] for e in path],
                         "balance_rows": []},
            **_rel_fields(tie), "arrived_fen": path[-1]["amount_fen"], "hops": len(path), "path": path,
            "explanation_en": (f"After litigation start ({case['litigation_start']}), {yuan(path[0]['amount_fen'])} yuan left "
                               f"the debtor on {path[0]['on']} and passed {len(inter)} unrelated account(s) to reach "
                               f"{hname} ({holder}, {tie.description_en}) on {path[-1]['on']} with "
                               f"{yuan(path[-1]['amount_fen'])} yuan: {route}."),
            "explanation_zh": (f"诉讼开始（{case['litigation_start']}）后，{path[0]['on']}被执行人转出{yuan(path[0]['amount_fen'])}元，"
                               f"经{len(inter)}个无关账户，于{path[-1]['on']}以{yuan(path[-1]['amount_fen'])}元到达"
                               f"{hname}（{holder}，{tie.description_zh}）：{route}。"),
        }

    return _path_hits(ctx, found, describe)


def round_trip(ctx: Context, rows: list[dict]) -> list[dict]:
    """Time-ordered, ratio-bounded DFS from the debtor's accounts back to any of them through
    1..max_intermediates other accounts, first to last hop within max_days."""
    max_days = ctx.params["max_days"]

    def end_test(sid: str, own: set, G: Any, path: list[dict]) -> Any:
        return "returned" if path[-1]["to_account"] in own else False

    def hop_ok(path: list[dict], e: dict) -> bool:
        return (e["on"] - path[0]["on"]).days <= max_days

    def ends(_sid: str, accounts: list[str]) -> tuple[frozenset, frozenset]:
        return frozenset(accounts), frozenset()   # a round trip ends back at the debtor's accounts

    found = _path_search(ctx, rows, end_test, hop_ok, max_days, ends, max_days)   # every hop within max_days of the first
    names = _holder_names(ctx, sorted({e["to_account"] for _, _, p, _ in found for e in p}))

    def describe(r: dict, case: dict, path: list[dict], _end: Any) -> dict:
        inter = [e["to_account"] for e in path[:-1]]
        route = " -> ".join([path[0]["from_account"]] + [e["to_account"] for e in path])
        return {
            **_subject(r), "case": case, "amount_fen": path[0]["amount_fen"],
            "counterparties": [names.get(a, {}).get("holder_id") or a for a in inter],
            "counterparty_names": [names.get(a, {}).get("name") or a for a in inter],
            "first_at": path[0]["at"], "last_at": path[-1]["at"], "first_on": path[0]["on"],
            "evidence": {"transfer_ids": [e["transfer_id"] for e in path], "asset_transfer_ids": [],
                         "account_ids": [path[0]["from_account"]] + [e["to_account"] for e in path],
                         "balance_rows": []},
            "relation": "round_trip", "relation_en": "money returned to the debtor", "relation_zh": "资金回流",
            "closeness": 1.0, "returned_fen": path[-1]["amount_fen"], "hops": len(path), "path": path,
            "explanation_en": (f"After litigation start ({case['litigation_start']}), {yuan(path[0]['amount_fen'])} yuan left "
                               f"the debtor on {path[0]['on']} and came back with {yuan(path[-1]['amount_fen'])} yuan on "
                               f"{path[-1]['on']} through {len(inter)} account(s): {route}."),
            "explanation_zh": (f"诉讼开始（{case['litigation_start']}）后，{path[0]['on']}被执行人转出{yuan(path[0]['amount_fen'])}元，"
                               f"经{len(inter)}个账户于{path[-1]['on']}以{yuan(path[-1]['amount_fen'])}元回流：{route}。"),
        }

    return _path_hits(ctx, found, describe)


# -- small fine capacity ----------------------------------------------------------------


def months_left(as_of: dt.date, release_on: dt.date | None) -> int:
    """ceil(days to release / 30.4375), 0 once release has passed (exact integer arithmetic)."""
    if release_on is None:
        return 0
    days = (release_on - as_of).days
    if days <= 0:
        return 0
    return -(-days * 10000 // 304375)


def small_fine_capacity(ctx: Context, rows: list[dict]) -> list[dict]:
    """Balance - standard x months left, allocated to unpaid cases oldest first; a hit per case
    that gets money (can_pay_in_full when its whole unpaid amount is covered)."""
    q = ctx.query
    hits = []
    for r in rows:
        level = r["treatment_level"] or "ordinary"
        standard = q.get(f"{level}_fen", q["ordinary_fen"])
        months = months_left(ctx.as_of, r["release_on"])
        balances = [b for b in r["balances"] if b.get("as_of") is not None]
        balance = sum(b["balance_fen"] for b in balances)
        projected = standard * months
        disposable = balance - projected
        cases = sorted(r["cases"], key=lambda c: (c.get("filed_on") or dt.date.max, c["case_no"]))
        unpaid = sum(c["unpaid_fen"] for c in cases)
        if disposable <= 0 or not cases:
            continue
        subject_verdict = "can_pay_in_full" if disposable >= unpaid else "can_pay_in_part"
        remaining = disposable
        rows_ev = sorted(f"{b['account_id']}@{b['as_of'].isoformat()}" for b in balances)
        for c in cases:
            alloc = min(remaining, c["unpaid_fen"])
            if alloc <= 0:
                break
            remaining -= alloc
            verdict = "can_pay_in_full" if alloc >= c["unpaid_fen"] else "can_pay_in_part"
            first_bal = min((b["as_of"] for b in balances), default=ctx.as_of)
            hits.append({
                "subject_id": r["subject_id"], "subject_kind": "person", "subject_name": r["subject_name"],
                "case": c, "amount_fen": alloc, "counterparties": [], "counterparty_names": [],
                "first_at": first_bal, "last_at": ctx.as_of, "first_on": ctx.as_of,
                "evidence": {"transfer_ids": [], "asset_transfer_ids": [],
                             "account_ids": sorted({b["account_id"] for b in balances}), "balance_rows": rows_ev},
                "relation": "own", "relation_en": "the inmate's own prison account", "relation_zh": "本人狱内账户",
                "closeness": 1.0, "verdict": verdict, "subject_verdict": subject_verdict,
                "can_pay_in_full": verdict == "can_pay_in_full", "can_pay_in_part": verdict == "can_pay_in_part",
                "inmate_no": r["inmate_no"], "prison": r["prison"], "release_on": r["release_on"],
                "treatment_level": level, "monthly_standard_fen": standard, "months_left": months,
                "balance_fen": balance, "projected_fen": projected, "disposable_fen": disposable,
                "unpaid_total_fen": unpaid, "recoverable_fen": alloc, "balances": balances,
                "explanation_en": (f"At {ctx.as_of}: prison balance {yuan(balance)} yuan, {months} month(s) to release "
                                   f"at the {level} standard of {yuan(standard)} yuan/month = {yuan(projected)} yuan; "
                                   f"disposable {yuan(disposable)} yuan against {yuan(unpaid)} yuan unpaid. Allocated oldest "
                                   f"case first, {yuan(alloc)} yuan of the {yuan(c['unpaid_fen'])} yuan unpaid in this case "
                                   f"can be paid ({verdict})."),
                "explanation_zh": (f"截至{ctx.as_of}：狱内账户余额{yuan(balance)}元，距刑满{months}个月，按"
                                   f"{labels.zh('treatment', level)}"
                                   f"级标准每月{yuan(standard)}元预留{yuan(projected)}元；可支配{yuan(disposable)}元，未履行合计"
                                   f"{yuan(unpaid)}元。按最早案件优先分配，本案未履行{yuan(c['unpaid_fen'])}元中可履行{yuan(alloc)}元"
                                   f"（{'可全部履行' if verdict == 'can_pay_in_full' else '可部分履行'}）。"),
            })
    return hits


POST: dict[str, Callable[[Context, list[dict]], list[dict]]] = {
    "post_filing_transfer_to_related": post_filing_transfer_to_related,
    "shell_company_transfer": shell_company_transfer,
    "fan_out_dispersal": fan_out_dispersal,
    "conveyance": conveyance,
    "sham_divorce": sham_divorce,
    "layered_chain": layered_chain,
    "round_trip": round_trip,
    "small_fine_capacity": small_fine_capacity,
}


# -- patterns from convicted cases (spec v2) ----------------------------------------------
def _restriction_doc(r: dict) -> dict:
    return {k: r.get(k) for k in ("restriction_id", "kind", "ordered_on", "lifted_on", "case_no", "target")}


def cash_withdrawal_after_litigation(ctx: Context, rows: list[dict]) -> list[dict]:
    """Per debtor and case: the best window of window_days (most cash) reaching min_total is a hit,
    its withdrawals are taken out and the search repeats; withdrawals of at least min_single made
    while a freeze or seizure was in force and not in a window hit form one more hit."""
    W = ctx.params["window_days"]
    min_total, min_single = ctx.query["min_total_fen"], ctx.query["min_single_fen"]
    per_case: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        per_case[(r["subject_id"], r["case"]["case_no"])].append(r)
    hits = []
    for _key, items in per_case.items():
        items.sort(key=lambda r: (r["on"], r["at"], r["transfer_id"]))
        restr = items[0]["restrictions"]
        for r in items:
            r["_force"] = [x for x in restr if in_force(x, r["on"])]
        groups: list[tuple[str, list[dict]]] = []
        remaining = items
        while True:
            best = None
            for start in sorted({r["on"] for r in remaining}):
                win = [r for r in remaining if start <= r["on"] <= start + dt.timedelta(days=W - 1)]
                tot = sum(r["amount_fen"] for r in win)
                if tot >= min_total and (best is None or tot > best[0]):
                    best = (tot, win)
            if best is None:
                break
            groups.append(("window", best[1]))
            used = {r["transfer_id"] for r in best[1]}
            remaining = [r for r in remaining if r["transfer_id"] not in used]
        forced = [r for r in remaining if r["amount_fen"] >= min_single and r["_force"]]
        if forced:
            groups.append(("in_force", forced))
        for rule, chosen in groups:
            first = chosen[0]
            case = first["case"]
            total = sum(r["amount_fen"] for r in chosen)
            under = {x["restriction_id"]: x for r in chosen for x in r["_force"]}
            n_under = sum(1 for r in chosen if r["_force"] and r["amount_fen"] >= min_single)
            days = sorted({r["on"] for r in chosen})
            force_en = "; ".join(f"{x['kind']} ordered {x['ordered_on']}" + (f" on {x['target']}" if x.get("target") else "")
                                 for x in under.values())
            force_zh = "；".join(f"{x['ordered_on']}{KIND_ZH.get(x['kind'], x['kind'])}"
                                 + (f"（{x['target']}）" if x.get("target") else "") for x in under.values())
            en = (f"After litigation start ({case['litigation_start']}), the debtor withdrew {yuan(total)} yuan in cash "
                  f"in {len(chosen)} withdrawal(s) between {days[0]} and {days[-1]}"
                  + (f", within {W} days (at least {yuan(min_total)} yuan)" if rule == "window" else "")
                  + (f"; {n_under} of at least {yuan(min_single)} yuan while in force: {force_en}" if n_under else "")
                  + ".")
            zh = (f"诉讼开始（{case['litigation_start']}）后，被执行人于{days[0]}至{days[-1]}取现{len(chosen)}笔，"
                  f"合计{yuan(total)}元" + (f"（{W}天内不少于{yuan(min_total)}元）" if rule == "window" else "")
                  + (f"；其中{n_under}笔不少于{yuan(min_single)}元发生在{force_zh}有效期间" if n_under else "") + "。")
            hits.append({
                **_subject(first), "case": case, "amount_fen": total, "counterparties": [], "counterparty_names": [],
                "first_at": chosen[0]["at"], "last_at": chosen[-1]["at"], "first_on": chosen[0]["on"],
                "evidence": {"transfer_ids": [r["transfer_id"] for r in chosen], "asset_transfer_ids": [],
                             "account_ids": sorted({r["from_account"] for r in chosen}), "balance_rows": []},
                "relation": "cash", "relation_en": "cash (no counterparty)", "relation_zh": "现金（无交易对手）",
                "closeness": 0.8 if under else 0.6, "rule": rule,
                "restrictions_in_force": [_restriction_doc(x) for x in under.values()],
                "transfers": [dict(_transfer_doc(r), kind="cash_withdrawal", under_restriction=bool(r["_force"]))
                              for r in chosen],
                "explanation_en": en, "explanation_zh": zh,
            })
    return hits


def income_redirection(ctx: Context, rows: list[dict]) -> list[dict]:
    """A regular payer's money after litigation start (or after a freeze of a usual account) that
    went to a related person's account, to a debtor account opened after litigation start, or to
    another debtor account while a usual account was frozen; total per case and payer."""
    rel = ctx.relatedness(sorted({r["subject_id"] for r in rows}))
    hits = []
    for r in rows:
        case = r["case"]
        start = case["litigation_start"]
        usual = set(r["usual"])
        freezes = [f for f in r["freezes"] if f.get("target") in usual]
        chosen = []
        for t in sorted(r["moved"], key=lambda t: (t["on"], t["at"], t["transfer_id"])):
            if t["paid_before"]:
                continue  # the payer already paid that account before litigation (e.g. the spouse's own salary)
            why = None
            if t["own"]:
                if t.get("opened_on") is not None and t["opened_on"] >= start:
                    why = ("new_account", "a debtor account opened after litigation start",
                           f"诉讼开始后新开的被执行人账户")
                else:
                    frozen = [f for f in freezes if in_force(f, t["on"])]
                    if frozen:
                        why = ("unfrozen_account", f"another debtor account while {frozen[0]['target']} was frozen "
                               f"(ordered {frozen[0]['ordered_on']})",
                               f"原账户{frozen[0]['target']}冻结（{frozen[0]['ordered_on']}）期间的被执行人其他账户")
            else:
                tie = rel.tie(r["subject_id"], t["holder_id"], t["on"])
                if tie is not None and tie.kind == "related_person":
                    why = ("related_person", f"{t['holder_name'] or t['holder_id']} ({t['holder_id']}, "
                           f"{tie.description_en})",
                           f"关系人{t['holder_name'] or t['holder_id']}（{t['holder_id']}，{tie.description_zh}）")
            if why:
                chosen.append((t, why))
        total = sum(t["amount_fen"] for t, _ in chosen)
        if not chosen or total < ctx.query["min_total_fen"]:
            continue
        payer_name = r["payer_name"] or r["payer"]
        to_en = sorted({w[1] for _, w in chosen})
        to_zh = sorted({w[2] for _, w in chosen})
        kinds = sorted({w[0] for _, w in chosen})
        months = sorted(r["months"])
        closeness = 1.0 if "related_person" in kinds else 0.8
        cps = [r["payer"]] + sorted({t["holder_id"] for t, w in chosen if w[0] == "related_person"})
        hits.append({
            **_subject(r), "case": case, "amount_fen": total,
            "counterparties": cps, "counterparty_names": [payer_name] + cps[1:],
            "first_at": chosen[0][0]["at"], "last_at": chosen[-1][0]["at"], "first_on": chosen[0][0]["on"],
            "evidence": {"transfer_ids": [t["transfer_id"] for t, _ in chosen], "asset_transfer_ids": [],
                         "account_ids": sorted({t["from_account"] for t, _ in chosen} | {t["to_account"] for t, _ in chosen}
                                               | usual), "balance_rows": []},
            "relation": kinds[0], "relation_en": "; ".join(to_en), "relation_zh": "；".join(to_zh),
            "closeness": closeness, "redirect_kinds": kinds, "payer": r["payer"], "payer_name": payer_name,
            "usual_accounts": sorted(usual),
            "baseline": {"payee": r["payer"], "months": [f"{m // 100:04d}-{m % 100:02d}" for m in months],
                         "paid_fen": r["base_fen"], "window_days": ctx.params["baseline_days"],
                         "usual_accounts": sorted(usual)},
            "freezes": [_restriction_doc(dict(f, kind="account_freeze")) for f in freezes],
            "transfers": [dict(_transfer_doc(t), redirect=w[0]) for t, w in chosen],
            "explanation_en": (f"{payer_name} ({r['payer']}) paid the debtor's account(s) {', '.join(sorted(usual))} in "
                               f"{len(months)} months of the {ctx.params['baseline_days']} days before litigation start "
                               f"({start}); afterwards {len(chosen)} payment(s) of {yuan(total)} yuan went instead to "
                               + "; ".join(to_en) + "."),
            "explanation_zh": (f"{payer_name}（{r['payer']}）在诉讼开始（{start}）前{ctx.params['baseline_days']}天内有"
                               f"{len(months)}个月向被执行人账户{'、'.join(sorted(usual))}付款；诉讼开始后改向"
                               + "；".join(to_zh) + f"付款{len(chosen)}笔，合计{yuan(total)}元。"),
        })
    return hits


#: The configured keyword lists of restricted_consumption (investigations/patterns/restricted_consumption.json).
RESTRICTED_KEYWORDS_FILE = "restricted_consumption.json"


def restricted_categories(path: str | None = None) -> dict[str, dict]:
    """The restricted categories with their zh/en names and keywords: the file named by the
    environment variable RESTRICTED_CONSUMPTION_KEYWORDS, else the one next to the pattern."""
    import json
    import os
    from pathlib import Path

    from .patterns import HERE
    p = Path(path or os.environ.get("RESTRICTED_CONSUMPTION_KEYWORDS") or HERE / RESTRICTED_KEYWORDS_FILE)
    data = json.loads(p.read_text(encoding="utf-8"))
    return data["categories"]


def classify_merchant(texts: list[str | None], categories: dict[str, dict]) -> tuple[str, str] | None:
    """(category, matched keyword) for the first category whose keyword occurs in any text
    (case-insensitive), checking exclusions first; None when none matches."""
    hay = " ".join(t for t in texts if t).lower()
    if not hay:
        return None
    for cat, spec in categories.items():
        if any(x.lower() in hay for x in spec.get("exclude", [])):
            continue
        for kw in spec["keywords"]:
            if kw.lower() in hay:
                return cat, kw
    return None


def restricted_consumption(ctx: Context, rows: list[dict]) -> list[dict]:
    """Payments under a consumption ban whose merchant / payee name / memo falls in a restricted
    category; one hit per debtor, case and ban with at least min_total in all."""
    cats = restricted_categories()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    seen: set[tuple] = set()
    for r in rows:
        key = (r["subject_id"], r["case"]["case_no"], r["ban"]["restriction_id"])
        if (key, r["transfer_id"]) in seen:
            continue
        seen.add((key, r["transfer_id"]))
        m = classify_merchant([r["merchant"], r["to_name"], r["holder_name"], *r["stmt_names"], r["memo"]], cats)
        if m is None:
            continue
        groups[key].append(dict(r, category=m[0], keyword=m[1]))
    hits = []
    for _key, items in groups.items():
        total = sum(r["amount_fen"] for r in items)
        if total < ctx.query["min_total_fen"] or not items:
            continue
        first = items[0]
        ban, case = first["ban"], first["case"]
        by_cat: dict[str, int] = defaultdict(int)
        for r in items:
            by_cat[r["category"]] += r["amount_fen"]
        names = []
        for r in items:
            n = r["merchant"] or r["holder_name"] or r["to_name"] or r["to_account"]
            if n not in names:
                names.append(n)
        lifted_en = f", lifted {ban['lifted_on']}" if ban.get("lifted_on") else ", still in force"
        lifted_zh = f"，{ban['lifted_on']}解除" if ban.get("lifted_on") else "，至今有效"
        via_rep = any(r["payer_role"] == "legal_rep" for r in items)
        hits.append({
            **_subject(first), "case": case, "amount_fen": total,
            "counterparties": sorted({r["holder_id"] or r["to_account"] for r in items}),
            "counterparty_names": names,
            "first_at": items[0]["at"], "last_at": items[-1]["at"], "first_on": items[0]["on"],
            "evidence": {"transfer_ids": [r["transfer_id"] for r in items], "asset_transfer_ids": [],
                         "account_ids": sorted({r["from_account"] for r in items} | {r["to_account"] for r in items}),
                         "balance_rows": []},
            "relation": "merchant", "relation_en": "restricted merchants", "relation_zh": "限制消费类商户",
            "closeness": 0.9, "ban": _restriction_doc(dict(ban, kind="consumption_ban")),
            "categories": dict(by_cat), "via_legal_rep": via_rep,
            "transfers": [dict(_transfer_doc(r), category=r["category"], keyword=r["keyword"], merchant=r["merchant"],
                               payer_role=r["payer_role"]) for r in items],
            "explanation_en": (f"Under a consumption ban ordered {ban['ordered_on']}{lifted_en}, "
                               + ("the debtor and its legal representative" if via_rep else "the debtor")
                               + f" made {len(items)} payment(s) of {yuan(total)} yuan to restricted merchants ("
                               + ", ".join(f"{cats[c].get('en', c)} {yuan(v)}" for c, v in sorted(by_cat.items()))
                               + "): " + ", ".join(names[:5]) + ("..." if len(names) > 5 else "") + "."),
            "explanation_zh": (f"限制消费令（{ban['ordered_on']}决定{lifted_zh}）有效期间，"
                               + ("被执行人及其法定代表人" if via_rep else "被执行人")
                               + f"向限制消费类商户付款{len(items)}笔，合计{yuan(total)}元（"
                               + "，".join(f"{cats[c].get('zh', c)}{yuan(v)}元" for c, v in sorted(by_cat.items()))
                               + "）：" + "、".join(names[:5]) + ("等" if len(names) > 5 else "") + "。"),
        })
    return hits


def sham_encumbrance(ctx: Context, rows: list[dict]) -> list[dict]:
    """A mortgage / pledge to a related party, or to an unrelated one for at least ratio x the
    appraised value with no money from it within match_days; stage before_litigation (scored
    lower by the runner) when registered before litigation start."""
    rel = ctx.relatedness(sorted({r["subject_id"] for r in rows}))
    ratio = Fraction(str(ctx.params["ratio"]))
    hits = []
    for r in rows:
        tie = rel.tie(r["subject_id"], r["counterparty_id"], r["on"])
        secured, appr = r["secured_fen"], r["appraised_value_fen"]
        money = sum(t["amount_fen"] for t in r["holder_money"])
        if tie is not None:
            rule = "related"
        elif (secured is not None and appr and secured >= ratio * appr and not r["holder_money"]):
            rule = "unmatched"
        else:
            continue
        case = r["case"]
        before = r["on"] < case["litigation_start"]
        rf = _rel_fields(tie)
        cp = r["counterparty_name"] or r["counterparty_id"]
        value = min(x for x in (secured, appr) if x is not None) if (secured or appr) else 0
        kind_zh = "抵押" if r["encumbrance_kind"] == "mortgage" else "质押"
        sec_en = f"{yuan(secured)} yuan" if secured is not None else "an unstated amount"
        sec_zh = f"{yuan(secured)}元" if secured is not None else "金额未载明"
        appr_en = f" (appraised at {yuan(appr)} yuan)" if appr else ""
        appr_zh = f"（评估价值{yuan(appr)}元）" if appr else ""
        why_en = (f"the holder is {rf['relation_en']}" if rule == "related" else
                  f"an unrelated holder secured for at least {float(ratio):.0%} of the value, and no money from it "
                  f"reached the debtor's accounts within {ctx.params['match_days']} days of registration")
        why_zh = (f"权利人为{rf['relation_zh']}" if rule == "related" else
                  f"权利人与被执行人无关联，担保金额不低于评估价值的{float(ratio):.0%}，且登记前后"
                  f"{ctx.params['match_days']}天内无该权利人资金进入被执行人账户")
        note_en = (f" Registered {(case['litigation_start'] - r['on']).days} days before litigation start "
                   f"({case['litigation_start']}): stage before_litigation, scored lower; art. 313 needs more than "
                   f"this act here (e.g. the debt already foreseeable, the mortgage used against enforcement)."
                   if before else "")
        note_zh = (f"登记于诉讼开始（{case['litigation_start']}）前{(case['litigation_start'] - r['on']).days}天，"
                   f"属诉讼前阶段，评分较低：此时仅凭该行为不足以认定第313条之罪，还需其他事实（如债务已可预见、"
                   f"以该抵押对抗执行）。" if before else "")
        hits.append({
            **_subject(r), "case": case, "amount_fen": value,
            "counterparties": [r["counterparty_id"]], "counterparty_names": [cp],
            "first_at": r["on"], "last_at": r["on"], "first_on": r["on"],
            "evidence": {"transfer_ids": [t["transfer_id"] for t in r["holder_money"]], "asset_transfer_ids": [],
                         "account_ids": [], "balance_rows": [], "encumbrance_ids": [r["encumbrance_id"]]},
            **rf, "rule": rule, "encumbrance_id": r["encumbrance_id"], "encumbrance_kind": r["encumbrance_kind"],
            "asset_id": r["asset_id"], "asset_kind": r["asset_kind"], "secured_fen": secured,
            "appraised_value_fen": appr, "released_on": r["released_on"], "holder_money_fen": money,
            "holder_money": r["holder_money"], "before_litigation": before,
            "explanation_en": (f"On {r['on']} the debtor's asset {r['asset_id']}{appr_en} was "
                               f"{'mortgaged' if r['encumbrance_kind'] == 'mortgage' else 'pledged'} to {cp} "
                               f"({r['counterparty_id']}) for {sec_en}; {why_en}.{note_en}"),
            "explanation_zh": (f"被执行人的财产{r['asset_id']}{appr_zh}于{r['on']}{kind_zh}给{cp}（{r['counterparty_id']}），"
                               f"担保{sec_zh}；{why_zh}。{note_zh}"),
        })
    return hits


POST.update({
    "cash_withdrawal_after_litigation": cash_withdrawal_after_litigation,
    "income_redirection": income_redirection,
    "restricted_consumption": restricted_consumption,
    "sham_encumbrance": sham_encumbrance,
})
