"""Step 1 of the package: everything it shows, as plain data (no files).

The subject's dossier (profile, cases, transfers, conveyances), the leads of a scan restricted
to the subject, and one record per case, transfer, conveyance and balance row, each with its
provenance (file, row, load) and the relation of its counterparty at its day, by the same
definition (investigations.related) the leads use.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from graph import Graph
from investigations import labels, subject, timeline
from investigations.leads import stage as case_stage
from investigations.patterns import PATTERN_IDS
from investigations.pointintime import unpaid_at
from investigations.related import DEFAULT_MIN_SHARE_PCT, Relatedness
from investigations.scan import scan

from .common import PackageError, fen_plain, iso_text
from .figures import money_moved
from .queries import Q_BALANCES, Q_CONVEYANCES_BY_ID, Q_TRANSFER_SIDES, Q_TRANSFERS_BY_ID

logger = logging.getLogger(__name__)


def _all_transfers(graph: Graph, sid: str, until: dt.date, rel: Relatedness) -> list[dict]:
    """Every transfer of the subject up to `until`, however many: pages subject.transfers by day."""
    out: list[dict] = []
    seen: set[str] = set()
    since: dt.date | None = None
    while True:
        rows = subject.transfers(graph, sid, since=since, until=until, relatedness=rel)
        new = [r for r in rows if r["transfer_id"] not in seen]
        out.extend(new)
        seen.update(r["transfer_id"] for r in new)
        if len(rows) < subject.MAX_TRANSFERS:
            break
        nxt = rows[-1]["on"]
        if nxt == since or not new:
            raise PackageError(f"{sid}: more than {subject.MAX_TRANSFERS} transfers on {nxt}; cannot page further")
        since = nxt
    out.sort(key=lambda r: (r["at"] or dt.datetime.min, r["transfer_id"]))
    return out


def _leads_for(graph: Graph, sid: str, case_no: str | None, as_of: dt.date,
               params: dict | None) -> tuple[list[dict], dict | None, dict]:
    """The subject's leads from a scan with these parameters, restricted to the subject
    (same leads and scores as in the full leads file; tests/test_scan.py checks that)."""
    res = scan(graph, as_of=as_of, params=params, subject_id=sid)
    leads = [x for x in res["leads"] if x["subject_id"] == sid and (case_no is None or x["case_no"] == case_no)]
    order = {p: i for i, p in enumerate(PATTERN_IDS)}
    leads.sort(key=lambda x: (order.get(x["pattern"], 99), x["case_no"] or "", x["first_at"] or "", x["lead_id"]))
    summary = next((s for s in res["subjects"] if s["subject_id"] == sid), None)
    return leads, summary, res["parameters"]


def _time_text(at: Any, has_time: bool | None = None) -> str:
    """The time of day a statement gave (a real 00:00:00 included); '' when only the date was given."""
    if not isinstance(at, dt.datetime):
        return ""
    if has_time is None:  # a row without the flag: midnight is taken as date only
        has_time = (at.hour, at.minute, at.second) != (0, 0, 0)
    return at.strftime("%H:%M:%S") if has_time else ""


def gather(graph: Graph, subject_id: str, case_no: str | None = None, as_of: dt.date | None = None,
           params: dict | None = None) -> dict:
    """Everything a package shows, as plain data (no files): profile, cases, leads, records, summary."""
    as_of = as_of or dt.date.today()
    prof = subject.profile(graph, subject_id)
    if prof is None:
        raise PackageError(f"unknown subject: {subject_id!r} is neither a person nor a company in the graph")
    kind = prof["kind"]
    cases = prof["cases"]
    for c in cases:  # as known at as_of, so a rebuild after a newer load gives the same figures
        c["unpaid_fen"] = unpaid_at(c, as_of)
        c["open"] = c["unpaid_fen"] > 0
    if case_no is not None and case_no not in {c["case_no"] for c in cases}:
        raise PackageError(f"case {case_no!r} is not a case of subject {subject_id!r} "
                           f"(its cases: {', '.join(c['case_no'] for c in cases) or 'none'})")
    shown_cases = [c for c in cases if case_no is None or c["case_no"] == case_no]
    for c in shown_cases:
        c["stage_as_of"] = case_stage(c, as_of)
    open_cases = [c for c in shown_cases if c["open"]]
    starts = [c.get("litigation_start") for c in (open_cases or shown_cases) if c.get("litigation_start")]
    lit_start = min(starts) if starts else None

    leads, summary, parameters = _leads_for(graph, subject_id, case_no, as_of, params)
    cites: dict[tuple[str, str], set[str]] = {}
    for x in leads:
        ev = x["evidence"]
        for t in ev.get("transfer_ids", []):
            cites.setdefault(("transfer", t), set()).add(x["pattern"])
        for a in ev.get("asset_transfer_ids", []):
            cites.setdefault(("asset_transfer", a), set()).add(x["pattern"])
        for b in ev.get("balance_rows", []):
            cites.setdefault(("balance", b), set()).add(x["pattern"])

    def after(day: dt.date | None) -> bool | None:
        if lit_start is None or day is None:
            return None
        return day >= lit_start

    records: list[dict] = []
    for c in shown_cases:
        records.append({
            "kind": "case", "id": c["case_no"], "date": iso_text(c.get("litigation_start")), "time": "",
            "direction": "", "from": "", "to": "", "counterparty_id": "", "counterparty_name": "",
            "relation": None, "asset_id": "", "amount_fen": c.get("amount_due_fen"), "currency": "CNY",
            "appraised_fen": None, "after_start": None, "patterns": sorted({x["pattern"] for x in leads
                                                                            if x["case_no"] == c["case_no"]}),
            "src_file": c.get("src_file"), "src_row": c.get("src_row"), "load_id": c.get("load_id"),
        })
    # The relation of every counterparty at the record's day, by the definition the leads use.
    share = (parameters.get("shell_company_transfer") or {}).get("min_share_pct", DEFAULT_MIN_SHARE_PCT)
    rel = subject.subject_relatedness(graph, subject_id, float(share))
    transfers = _all_transfers(graph, subject_id, as_of, rel)
    seen_t = set()
    for t in transfers:
        seen_t.add(t["transfer_id"])
        out = t["direction"] in ("out", "internal")
        records.append({
            "kind": "transfer", "id": t["transfer_id"], "date": iso_text(t["on"]), "time": _time_text(t["at"], t.get("at_has_time")),
            "direction": t["direction"],
            "from": t["account_id"] if out else t["counterparty_account"],
            "to": t["counterparty_account"] if out else t["account_id"],
            "counterparty_id": t["counterparty_holder_id"] or "",
            "counterparty_name": t["counterparty_name"] or "",
            "counterparty_kind": t.get("counterparty_kind") or "",
            "counterparty_account": t["counterparty_account"],
            "relation": t["relation"], "tie_kind": t["tie_kind"], "relation_zh": t["relation_zh"],
            "asset_id": "", "amount_fen": t["amount_fen"], "currency": t["currency"],
            "appraised_fen": None, "after_start": after(t["on"]),
            "patterns": sorted(cites.get(("transfer", t["transfer_id"]), ())),
            "src_file": t["src_file"], "src_row": t["src_row"], "load_id": t["load_id"],
        })
    # Transfers a lead cites that are not the subject's own (hops further down a chain).
    extra = sorted(tid for (k, tid) in cites if k == "transfer" and tid not in seen_t)
    if extra:
        for t in graph.read(Q_TRANSFERS_BY_ID, {"ids": extra}):
            records.append({
                "kind": "transfer", "id": t["transfer_id"], "date": iso_text(t["on"]),
                "time": _time_text(t["at"], t.get("has_time")),
                "direction": "chain",
                "from": t["from_account"], "to": t["to_account"],
                "counterparty_id": t["to_holder_id"] or "",
                "counterparty_name": t["to_holder_name"] or t["to_name"] or "",
                "counterparty_account": t["to_account"], "from_holder_id": t["from_holder_id"],
                "relation": "chain", "asset_id": "", "amount_fen": t["amount_fen"], "currency": t["currency"],
                "appraised_fen": None, "after_start": after(t["on"]),
                "patterns": sorted(cites.get(("transfer", t["transfer_id"]), ())),
                "src_file": t["src_file"], "src_row": t["src_row"], "load_id": t["load_id"],
            })
    convs = [c for c in subject.conveyances(graph, subject_id, relatedness=rel) if c["on"] is None or c["on"] <= as_of]
    seen_a = {c["transfer_id"] for c in convs}
    extra_a = sorted(aid for (k, aid) in cites if k == "asset_transfer" and aid not in seen_a)
    if extra_a:
        for c in graph.read(Q_CONVEYANCES_BY_ID, {"ids": extra_a}):
            convs.append({**c, "direction": "other", "counterparty_id": c["to_id"], "counterparty_name": c["to_name"],
                          "relation": "chain"})
    for c in convs:
        records.append({
            "kind": "asset_transfer", "id": c["transfer_id"], "date": iso_text(c["on"]), "time": "",
            "direction": c["direction"], "from": c["from_id"] or "", "to": c["to_id"] or "",
            "from_name": c.get("from_name") or "", "to_name": c.get("to_name") or "",
            "counterparty_id": c.get("counterparty_id") or "", "counterparty_name": c.get("counterparty_name") or "",
            "counterparty_kind": c.get("counterparty_kind") or "",
            "relation": c.get("relation"), "tie_kind": c.get("tie_kind"), "relation_zh": c.get("relation_zh"),
            "asset_id": c["asset_id"], "asset_kind": c.get("asset_kind"),
            "asset_description": c.get("asset_description"),
            "amount_fen": c["price_fen"], "currency": "CNY", "appraised_fen": c.get("appraised_value_fen"),
            "after_start": after(c["on"]),
            "patterns": sorted(cites.get(("asset_transfer", c["transfer_id"]), ())),
            "src_file": c["src_file"], "src_row": c["src_row"], "load_id": c["load_id"],
        })
    bal_keys = []
    for (k, key) in cites:
        if k == "balance" and "@" in key:
            acct, day = key.rsplit("@", 1)
            try:
                bal_keys.append({"account_id": acct, "as_of": dt.date.fromisoformat(day)})
            except ValueError:
                logger.warning("unreadable balance row id %r", key)
    if bal_keys:
        bal_keys.sort(key=lambda b: (b["account_id"], b["as_of"]))
        for b in graph.read(Q_BALANCES, {"keys": bal_keys}):
            key = f'{b["account_id"]}@{b["as_of"].isoformat()}'
            records.append({
                "kind": "balance", "id": key, "date": iso_text(b["as_of"]), "time": "", "direction": "",
                "from": "", "to": b["account_id"], "counterparty_id": "", "counterparty_name": "",
                "relation": "self", "asset_id": "", "amount_fen": b["balance_fen"], "currency": "CNY",
                "appraised_fen": None, "after_start": None, "patterns": sorted(cites.get(("balance", key), ())),
                "src_file": b["src_file"], "src_row": b["src_row"], "load_id": b["load_id"],
            })
    tids = sorted(r["id"] for r in records if r["kind"] == "transfer")
    if tids:  # both sides' provenance of statement-built transfers, next to src_file / src_row
        sides = {s["transfer_id"]: s for s in graph.read(Q_TRANSFER_SIDES, {"ids": tids})}
        for r in records:
            if r["kind"] == "transfer" and r["id"] in sides:
                r.update({k: v for k, v in sides[r["id"]].items() if k != "transfer_id"})
    kind_order = {"case": 0, "transfer": 1, "asset_transfer": 2, "balance": 3}
    records.sort(key=lambda r: (kind_order[r["kind"]], r["date"], r["time"], r["id"]))
    for r in records:
        _finish_record(r)

    return {
        "subject_id": subject_id, "kind": kind, "profile": prof, "cases": shown_cases, "all_cases": cases,
        "case_no": case_no, "as_of": as_of, "litigation_start": lit_start, "leads": leads, "summary": summary,
        "parameters": parameters, "records": records,
        "moved": money_moved(records, shown_cases, as_of),
        "timeline": _timeline(graph, subject_id, prof, shown_cases, transfers, convs, records, as_of),
        "load_ids": sorted({r["load_id"] for r in records if r.get("load_id")}
                           | {prof["props"].get("load_id")} - {None}),
    }


def _timeline(graph: Graph, subject_id: str, prof: dict, shown_cases: list[dict], transfers: list[dict],
              convs: list[dict], records: list[dict], as_of: dt.date | None = None) -> dict:
    """The timeline model the web page's SVG also draws (investigations.timeline), for the
    package's cases, plus the chain transfers the leads cite, with which events are cited."""
    # court measures / encumbrances as markers and cash by kind come with the model, as the web page's
    tl = timeline.subject_timeline(graph, subject_id, as_of, None, as_of, limit=max(1, len(transfers)),
                                   profile_data=prof, transfer_rows=transfers, conveyance_rows=convs)
    shown = {c["case_no"] for c in shown_cases}
    tl["cases"] = [c for c in tl["cases"] if c["case_no"] in shown]
    for r in records:
        if r["kind"] == "transfer" and r["direction"] == "chain":
            tl["events"].append({"kind": "transfer", "id": r["id"], "on": dt.date.fromisoformat(r["date"]),
                                 "amount_fen": r["amount_fen"], "direction": "chain",
                                 "counterparty_name": r["counterparty_name"], "relation": "chain", "tie_kind": None,
                                 "relation_zh": r["relation_zh"], "relation_en": "", "currency": r["currency"]})
    tl["events"].sort(key=lambda e: (e["on"] or dt.date.min, e["id"]))
    kinds = {"transfer": "transfer", "asset_transfer": "conveyance"}
    tl["cited"] = sorted((kinds[r["kind"]], r["id"]) for r in records if r["kind"] in kinds and r["patterns"])
    return tl


def _finish_record(r: dict) -> None:
    """The CSV / table text fields of a record."""
    r["kind_zh"] = labels.zh("record_kind", r["kind"])
    r["direction_zh"] = labels.zh("direction", r["direction"], "")
    if r["kind"] == "case":
        r["relation_zh"] = ""
    elif r["relation"] == "chain":
        r["relation_zh"] = labels.CHAIN_RELATION[0]
    elif r["relation"] == "self":
        r["relation_zh"] = labels.zh("relation", "self")
    # else: relation_zh as investigations.related words it (the same words as the lead's)
    r["amount"] = fen_plain(r["amount_fen"])
    r["appraised"] = fen_plain(r["appraised_fen"])
    r["after_start_zh"] = {True: "是", False: "否", None: ""}[r["after_start"]]
    r["patterns_text"] = ";".join(r["patterns"])
    r["src_row"] = "" if r.get("src_row") is None else r["src_row"]
    r["src_file"] = r.get("src_file") or ""
    r["load_id"] = r.get("load_id") or ""
