"""Recovery records (frozen / deducted / paid) in the app store, and what they change: recovered totals,
per-case unpaid amounts, settled cases (which stop yielding leads), the supervisors' chart data.

Deducted and paid money counts as recovered (已追回) and lowers the case's unpaid amount (the
graph's `Case.unpaid_fen`, which reflects the data as loaded, minus what was recorded here; when a
reload already carries the payment in `amount_paid`, correct or void the record). Frozen money is
secured, not recovered: it is shown apart and lowers only what the freeze list still proposes.

Records are never edited in place: a correction or a void is a new, audited entry that names the one it
replaces (`replaces_id`); the original stays visible, and every figure (recovered, unpaid, frozen, the
freeze list, the chart) counts only the entries in force (`in_force`).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from graph import Graph
from investigations import lookup

from .extensions import db
from .models import RECOVERY_KINDS, RECOVERY_TARGET_KINDS, Investigation, RecoveryRecord, User, audit

logger = logging.getLogger(__name__)

RECOVERED_KINDS = ("deducted", "paid")

class RecordError(ValueError):
    """A recovery record that breaks a rule (kind, amount, case of another subject)."""


def in_force():
    """SQL condition: an entry that counts (a record or a correction that nothing later corrected or voided)."""
    later = aliased(RecoveryRecord)
    return and_(RecoveryRecord.action != "void", ~exists().where(later.replaces_id == RecoveryRecord.id))


def add_record(graph: Graph, inv: Investigation, user: User, *, kind: str, target_kind: str, target: str | None,
               case_no: str | None, on: dt.date, amount_fen: int, document_no: str,
               note: str | None = None) -> RecoveryRecord:
    """Record a measure's result for `inv`; court and prison are copied from the graph; audited."""
    rec = _new_record(graph, inv, user, kind=kind, target_kind=target_kind, target=target, case_no=case_no, on=on,
                      amount_fen=amount_fen, document_no=document_no, note=note)
    db.session.add(rec)
    db.session.flush()
    inv.recovered_fen = recovered_of_investigation(inv.id)
    audit(user, "recovery_record", inv.subject_id, investigation=inv.id, record=rec.id, kind=kind,
          measure_target=target, case_no=case_no, on=on.isoformat(), amount_fen=int(amount_fen), document_no=document_no)
    db.session.commit()
    return rec


def _current(inv: Investigation, record_id: int) -> RecoveryRecord:
    """The entry `record_id` of `inv`, refused unless it is still in force (only that one may be replaced)."""
    rec = db.session.scalar(select(RecoveryRecord).where(RecoveryRecord.id == record_id,
                                                         RecoveryRecord.investigation_id == inv.id, in_force()))
    if rec is None:
        raise RecordError(f"record {record_id} is not a record in force of this investigation")
    return rec


def correct_record(graph: Graph, inv: Investigation, user: User, record_id: int, *, reason: str, kind: str,
                   target_kind: str, target: str | None, case_no: str | None, on: dt.date, amount_fen: int,
                   document_no: str, note: str | None = None) -> RecoveryRecord:
    """A corrected version of record `record_id` as a new entry; the old one stays, no longer counted; audited."""
    if not (reason or "").strip():
        raise RecordError("say why the record is corrected")
    old = _current(inv, record_id)
    rec = _new_record(graph, inv, user, kind=kind, target_kind=target_kind, target=target, case_no=case_no, on=on,
                      amount_fen=amount_fen, document_no=document_no, note=note)
    rec.action, rec.replaces_id, rec.reason = "correction", old.id, reason.strip()[:2000]
    db.session.add(rec)
    db.session.flush()
    inv.recovered_fen = recovered_of_investigation(inv.id)
    audit(user, "recovery_correct", inv.subject_id, investigation=inv.id, record=rec.id, replaces=old.id,
          reason=rec.reason, before=_figures(old), after=_figures(rec))
    db.session.commit()
    return rec


def void_record(inv: Investigation, user: User, record_id: int, *, reason: str) -> RecoveryRecord:
    """Void record `record_id` by a new entry naming it (amount 0, same measure); audited."""
    if not (reason or "").strip():
        raise RecordError("say why the record is voided")
    old = _current(inv, record_id)
    rec = RecoveryRecord(investigation_id=inv.id, subject_id=inv.subject_id, case_no=old.case_no, kind=old.kind,
                         target_kind=old.target_kind, target=old.target, on=old.on, amount_fen=0,
                         document_no=old.document_no, court=old.court, prison=old.prison, created_by=user.id,
                         action="void", replaces_id=old.id, reason=reason.strip()[:2000])
    db.session.add(rec)
    db.session.flush()
    inv.recovered_fen = recovered_of_investigation(inv.id)
    audit(user, "recovery_void", inv.subject_id, investigation=inv.id, record=rec.id, replaces=old.id,
          reason=rec.reason, before=_figures(old))
    db.session.commit()
    return rec


def _figures(r: RecoveryRecord) -> dict:
    return {"kind": r.kind, "target": r.target, "case_no": r.case_no, "on": r.on.isoformat(),
            "amount_fen": int(r.amount_fen), "document_no": r.document_no}


def _new_record(graph: Graph, inv: Investigation, user: User, *, kind: str, target_kind: str, target: str | None,
                case_no: str | None, on: dt.date, amount_fen: int, document_no: str,
                note: str | None = None) -> RecoveryRecord:
    """A checked, unsaved entry (kind, target, amount, document no., the case is the subject's)."""
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
                         created_by=user.id, action="record")
    return rec


def records_of_investigation(iid: int) -> list[RecoveryRecord]:
    """Every entry of the investigation (history included: corrected and voided ones, and the voids)."""
    return list(db.session.scalars(select(RecoveryRecord).where(RecoveryRecord.investigation_id == iid)
                                   .order_by(RecoveryRecord.on, RecoveryRecord.id)))


def history(records: list[RecoveryRecord]) -> dict[int, RecoveryRecord]:
    """entry id -> the entry that corrected or voided it (for the page: what replaced what)."""
    return {r.replaces_id: r for r in records if r.replaces_id is not None}


def records_of_subject(subject_id: str) -> list[RecoveryRecord]:
    """The subject's entries in force (what the freeze list deducts)."""
    return list(db.session.scalars(select(RecoveryRecord).where(RecoveryRecord.subject_id == subject_id, in_force())
                                   .order_by(RecoveryRecord.on, RecoveryRecord.id)))


def as_dicts(records: list[RecoveryRecord]) -> list[dict]:
    """Records in the shape `investigations.freeze.freeze_list(recoveries=...)` takes."""
    return [{"kind": r.kind, "target": r.target, "amount_fen": r.amount_fen, "case_no": r.case_no,
             "on": r.on.isoformat(), "document_no": r.document_no} for r in records]


def recovered_of_investigation(iid: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(RecoveryRecord.amount_fen), 0)).where(
        RecoveryRecord.investigation_id == iid, RecoveryRecord.kind.in_(RECOVERED_KINDS), in_force())) or 0)


def totals() -> dict[str, int]:
    """Recovered (deducted + paid) and frozen money over every record. An investigation without
    records still counts the amount typed into its older "recovered" field (`manual_fen`)."""
    rows = db.session.execute(select(RecoveryRecord.kind, func.coalesce(func.sum(RecoveryRecord.amount_fen), 0))
                              .where(in_force()).group_by(RecoveryRecord.kind)).all()
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
                                            .where(RecoveryRecord.case_no.is_not(None), in_force())
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
                              .where(RecoveryRecord.kind.in_(RECOVERED_KINDS), in_force())).all()
    months = sorted({d.strftime("%Y-%m") for _g, d, _a in rows})
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g, d, a in rows:
        per[g or "—"][d.strftime("%Y-%m")] += int(a)
    series = [{"name": name, "data": [per[name].get(m, 0) for m in months],
               "total_fen": sum(per[name].values())} for name in sorted(per)]
    return {"months": months, "series": series}
