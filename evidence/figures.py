"""Step 2 of the package: the money figures (integer fen), each a sum of listed records.

"Part to related parties" counts a transfer when its counterparty is a related person or a
tied company at the transfer day (investigations.related), as the leads judge it.
"""
from __future__ import annotations

import datetime as dt


def money_moved(records: list[dict], cases: list[dict], as_of: dt.date) -> dict:
    """Money that left the subject after litigation start, per open case and overall (each transfer once).

    Outgoing CNY transfers to accounts that are not the subject's own, on or after the case's
    litigation start and not after as_of; conveyances by the value they cost the subject
    (appraisal minus price when selling, price minus appraisal when buying).
    """
    outs = [r for r in records if r["kind"] == "transfer" and r["direction"] == "out" and r["currency"] == "CNY"]
    convs = [r for r in records if r["kind"] == "asset_transfer" and r["direction"] in ("out", "in")]
    rows = []
    for c in cases:
        start = c.get("litigation_start")
        if start is None or not c["open"]:
            continue
        s = start.isoformat()
        ts = [r for r in outs if s <= r["date"] <= as_of.isoformat()]
        cs = [r for r in convs if s <= r["date"] <= as_of.isoformat()]
        rows.append(_moved_row(c["case_no"], start, c["unpaid_fen"], ts, cs))
    total = None
    if rows:
        start = min(r["start"] for r in rows)
        s = start.isoformat()
        ts = [r for r in outs if s <= r["date"] <= as_of.isoformat()]
        cs = [r for r in convs if s <= r["date"] <= as_of.isoformat()]
        unpaid = sum(c["unpaid_fen"] for c in cases if c["open"])
        total = _moved_row("合计（最早诉讼开始日起，每笔只计一次）", start, unpaid, ts, cs)
    return {"cases": rows, "total": total}


def _value_lost(r: dict) -> int:
    """Value that left the subject in a conveyance: appraisal minus price when the subject
    conveyed, price minus appraisal when it bought; 0 without appraisal or when it gained."""
    if r["appraised_fen"] is None:
        return 0
    diff = r["appraised_fen"] - r["amount_fen"] if r["direction"] == "out" else r["amount_fen"] - r["appraised_fen"]
    return max(0, diff)


def _moved_row(label: str, start: dt.date, unpaid: int, ts: list[dict], cs: list[dict]) -> dict:
    ids = {r["id"] for r in ts}
    assert len(ids) == len(ts), "a transfer counted twice"
    out_fen = sum(r["amount_fen"] for r in ts)
    related = sum(r["amount_fen"] for r in ts if r.get("tie_kind"))
    cited = sum(r["amount_fen"] for r in ts if r["patterns"])
    conv = sum(_value_lost(r) for r in cs)
    return {"case_no": label, "start": start, "unpaid_fen": unpaid, "transfers": len(ts), "out_fen": out_fen,
            "related_fen": related, "cited_fen": cited, "conveyances": len(cs), "conveyed_loss_fen": conv,
            "share_permille": (out_fen * 1000 // unpaid) if unpaid > 0 else None}
