"""Recovery records (frozen / deducted / paid) in the app store, and what they change: recovered totals,
per-case unpaid amounts, settled cases (which stop yielding leads), the supervisors' chart data.

Deducted and paid money counts as recovered (已追回) and lowers the case's unpaid amount (the
graph's `Case.unpaid_fen`, which reflects the data as loaded, minus what was recorded here; when a
reload already carries the payment in `amount_paid`, delete or correct the record). Frozen money is
secured, not recovered: it is shown apart and lowers only what the freeze list still proposes.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import func, select

from graph import Graph
from investigations import lookup

from .extensions import db
from .models import RECOVERY_KINDS, RECOVERY_TARGET_KINDS, Investigation, RecoveryRecord, User, audit

logger = logging.getLogger(__name__)

RECOVERED_KINDS = ("deducted", "paid")

class RecordError(ValueError):
    """A recovery record that breaks a rule (kind, amount, case of another subject)."""


def add_record(graph: Graph, inv: Investigation, user: User, *, kind: str, target_kind: str, target: str | None,
               case_no: str | None, on: dt.date, amount_fen: int, document_no: str,
               note: str | None = None) -> RecoveryRecord:
    """Record a measure's result for `inv`; court and prison are copied from the graph; audited."""
    if kind not in RECOVERY_KINDS:
        raise RecordError(f"unknown kind {kind!r}")
    if target_kind not in RECOVERY_TARGET_KINDS:
        raise RecordError(f"unknown target kind {target_kind!r}")
    if amount_fen is None or amount_fen <= 0:
        raise RecordError("the amount must be above 0")
    if not document_no:
        raise RecordError("the document number is required")
    if target_kind != "case" and not target:
        raise RecordError("name the account or asset")
    court = prison = None
    if case_no:
        ctx = lookup.case_context(graph, case_no)
        if ctx is None or ctx["debtor_id"] != inv.subject_id:
            raise RecordError(f"case {case_no} is not a case of {inv.subject_id}")
        court, prison = ctx["court"], ctx["prison"]
    else:
        prison = lookup.prison_of(graph, inv.subject_id)
    rec = RecoveryRecord(investigation_id=inv.id, subject_id=inv.subject_id, case_no=case_no or None, kind=kind,
                         target_kind=target_kind, target=(target or None), on=on, amount_fen=int(amount_fen),
                         document_no=document_no[:255], court=court, prison=prison, note=note or None,
                         created_by=user.id)
    db.session.add(rec)
    db.session.flush()
    inv.recovered_fen = recovered_of_investigation(inv.id)
    audit(user, "recovery_record", inv.subject_id, investigation=inv.id, record=rec.id, kind=kind,
          measure_target=target, case_no=case_no, on=on.isoformat(), amount_fen=int(amount_fen), document_no=document_no)
    db.session.commit()
    return rec


def records_of_investigation(iid: int) -> list[RecoveryRecord]:
    return list(db.session.scalars(select(RecoveryRecord).where(RecoveryRecord.investigation_id == iid)
                                   .order_by(RecoveryRecord.on, RecoveryRecord.id)))


def records_of_subject(subject_id: str) -> list[RecoveryRecord]:
    return list(db.session.scalars(select(RecoveryRecord).where(RecoveryRecord.subject_id == subject_id)
                                   .order_by(RecoveryRecord.on, RecoveryRecord.id)))


def as_dicts(records: list[RecoveryRecord]) -> list[dict]:
    """Records in the shape `investigations.freeze.freeze_list(recoveries=...)` takes."""
    return [{"kind": r.kind, "target": r.target, "amount_fen": r.amount_fen, "case_no": r.case_no,
             "on": r.on.isoformat(), "document_no": r.document_no} for r in records]


def recovered_of_investigation(iid: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(RecoveryRecord.amount_fen), 0)).where(
        RecoveryRecord.investigation_id == iid, RecoveryRecord.kind.in_(RECOVERED_KINDS))) or 0)


def totals() -> dict[str, int]:
    """Recovered (deducted + paid) and frozen money over every record. An investigation without
    records still counts the amount typed into its older "recovered" field (`manual_fen`)."""
    rows = db.session.execute(select(RecoveryRecord.kind, func.coalesce(func.sum(RecoveryRecord.amount_fen), 0))
                              .group_by(RecoveryRecord.kind)).all()
    by = {k: int(v) for k, v in rows}
    with_records = select(RecoveryRecord.investigation_id)
    manual = int(db.session.scalar(select(func.coalesce(func.sum(Investigation.recovered_fen), 0))
                                   .where(Investigation.id.not_in(with_records))) or 0)
    return {"recovered_fen": sum(by.get(k, 0) for k in RECOVERED_KINDS) + manual, "manual_fen": manual,
            "frozen_fen": by.get("frozen", 0), "deducted_fen": by.get("deducted", 0), "paid_fen": by.get("paid", 0)}


def case_balances(graph: Graph, case_nos: list[str] | None = None) -> dict[str, dict]:
    """Per case with records (or the given cases): unpaid in the graph, recorded deducted + paid, frozen,
    and the unpaid amount now (never below 0); `settled` when nothing is left."""
    settled: dict[str, int] = defaultdict(int)
    frozen: dict[str, int] = defaultdict(int)
    for cn, kind, amt in db.session.execute(select(RecoveryRecord.case_no, RecoveryRecord.kind,
                                                   func.sum(RecoveryRecord.amount_fen))
                                            .where(RecoveryRecord.case_no.is_not(None))
                                            .group_by(RecoveryRecord.case_no, RecoveryRecord.kind)):
        if kind in RECOVERED_KINDS:
            settled[cn] += int(amt)
        elif kind == "frozen":
            frozen[cn] += int(amt)
    wanted = sorted(set(case_nos) if case_nos is not None else set(settled) | set(frozen))
    if not wanted:
        return {}
    out = {}
    for r in lookup.cases_unpaid(graph, wanted):
        g = int(r["unpaid_fen"] or 0)
        s = settled.get(r["case_no"], 0)
        out[r["case_no"]] = {"case_no": r["case_no"], "court": r["court"], "debtor_id": r["debtor_id"],
                             "graph_unpaid_fen": g, "recorded_fen": s, "frozen_fen": frozen.get(r["case_no"], 0),
                             "unpaid_fen": max(0, g - s), "settled": g > 0 and s >= g}
    return out


def settled_cases(graph: Graph) -> set[str]:
    """Cases whose recorded deductions and payments cover their unpaid amount."""
    return {cn for cn, b in case_balances(graph).items() if b["settled"]}


def drop_settled(graph: Graph, scan: dict) -> dict:
    """The scan result without leads of settled cases (a paid case stops yielding leads; the leads
    stored by earlier scans stay as its history)."""
    done = settled_cases(graph)
    if not done:
        return scan
    kept = [x for x in scan.get("leads") or [] if x.get("case_no") not in done]
    if len(kept) != len(scan.get("leads") or []):
        logger.info("scan: %d lead(s) of %d settled case(s) left out", len(scan["leads"]) - len(kept), len(done))
    return {**scan, "leads": kept, "settled_cases": sorted(done)}


def unpaid_adjustment(graph: Graph) -> dict[str, int]:
    """How much the dashboard's unpaid total and open-case count drop because of the records."""
    bal = case_balances(graph)
    return {"unpaid_fen": sum(min(b["recorded_fen"], b["graph_unpaid_fen"]) for b in bal.values()),
            "open_cases": sum(1 for b in bal.values() if b["settled"])}


def by_month(group: str) -> dict:
    """Recovered money (deducted + paid) per month and per court or prison: {months, series[{name, data}]}."""
    col = RecoveryRecord.court if group == "court" else RecoveryRecord.prison
    rows = db.session.execute(select(col, RecoveryRecord.on, RecoveryRecord.amount_fen)
                              .where(RecoveryRecord.kind.in_(RECOVERED_KINDS))).all()
    months = sorted({d.strftime("%Y-%m") for _g, d, _a in rows})
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g, d, a in rows:
        per[g or "—"][d.strftime("%Y-%m")] += int(a)
    series = [{"name": name, "data": [per[name].get(m, 0) for m in months],
               "total_fen": sum(per[name].values())} for name in sorted(per)]
    return {"months": months, "series": series}
