"""Leads of the last scan, kept in the app store so 'new since last scan' and dismissals survive rescans."""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import func, select

from .extensions import db
from .models import LeadDismissal, LeadRecord, ScanRun, User, audit, utcnow

logger = logging.getLogger(__name__)


def _date(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def record_scan(scan: dict, user: User | None, context: dict | None = None) -> ScanRun:
    """Store a scan result (the leads-file object): upsert leads by lead_id, mark which are new."""
    run = ScanRun(as_of=_date(scan.get("as_of")), user_id=getattr(user, "id", None),
                  tool_version=str(scan.get("tool_version") or "")[:80],
                  parameters_json=json.dumps(scan.get("parameters") or {}, ensure_ascii=False, default=str),
                  subjects_json=json.dumps(scan.get("subjects") or [], ensure_ascii=False, default=str))
    db.session.add(run)
    db.session.flush()
    context = context or {}
    leads = scan.get("leads") or []
    existing = {r.lead_id: r for r in db.session.scalars(
        select(LeadRecord).where(LeadRecord.lead_id.in_([x["lead_id"] for x in leads])))} if leads else {}
    new = 0
    for lead in leads:
        ctx = context.get((lead.get("subject_id"), lead.get("case_no")), {})
        rec = existing.get(lead["lead_id"])
        if rec is None:
            rec = LeadRecord(lead_id=lead["lead_id"], first_scan_id=run.id)
            db.session.add(rec)
            new += 1
        rec.pattern = lead.get("pattern") or ""
        rec.subject_id = lead.get("subject_id") or ""
        rec.subject_kind = lead.get("subject_kind")
        rec.subject_name = lead.get("subject_name")
        rec.case_no = lead.get("case_no")
        rec.stage = lead.get("stage")
        rec.score = float(lead.get("score") or 0)
        rec.amount_fen = int(lead.get("amount_fen") or 0)
        rec.prison = ctx.get("prison")
        rec.court = ctx.get("court")
        rec.last_scan_id = run.id
        rec.data_json = json.dumps(lead, ensure_ascii=False, default=str)
    run.lead_count = len(leads)
    run.new_count = new
    run.finished_at = utcnow()
    audit(user, "scan", str(run.as_of), leads=len(leads), new=new)
    db.session.commit()
    return run


def last_scan() -> ScanRun | None:
    return db.session.scalars(select(ScanRun).where(ScanRun.finished_at.is_not(None))
                              .order_by(ScanRun.id.desc()).limit(1)).first()


def current_leads(filters: dict | None = None, include_dismissed: bool = False, limit: int = 500
                  ) -> tuple[list[LeadRecord], set[str]]:
    """Leads of the last scan ranked by score, filtered; returns (leads, dismissed lead ids)."""
    run = last_scan()
    if run is None:
        return [], set()
    f = filters or {}
    q = select(LeadRecord).where(LeadRecord.last_scan_id == run.id)
    if f.get("pattern"):
        q = q.where(LeadRecord.pattern == f["pattern"])
    if f.get("stage"):
        q = q.where(LeadRecord.stage == f["stage"])
    if f.get("prison"):
        q = q.where(LeadRecord.prison == f["prison"])
    if f.get("court"):
        q = q.where(LeadRecord.court == f["court"])
    if f.get("min_fen") is not None:
        q = q.where(LeadRecord.amount_fen >= f["min_fen"])
    if f.get("subject_id"):
        q = q.where(LeadRecord.subject_id == f["subject_id"])
    dismissed = set(db.session.scalars(select(LeadDismissal.lead_id)))
    if not include_dismissed and dismissed:
        q = q.where(LeadRecord.lead_id.not_in(dismissed))
    q = q.order_by(LeadRecord.score.desc(), LeadRecord.amount_fen.desc(), LeadRecord.lead_id).limit(limit)
    return list(db.session.scalars(q)), dismissed


def facet_values(column: str) -> list[str]:
    """Distinct values of a lead column in the last scan (for the filter drop-downs)."""
    run = last_scan()
    if run is None:
        return []
    col = getattr(LeadRecord, column)
    return [v for v in db.session.scalars(select(col).where(LeadRecord.last_scan_id == run.id).distinct()
                                          .order_by(col)) if v]


def subject_leads(subject_id: str) -> tuple[list[LeadRecord], set[str]]:
    return current_leads({"subject_id": subject_id}, include_dismissed=True)


def lead_totals() -> dict[str, int]:
    """Leads and new leads of the last scan; recoverable per the fine model (small_fine_capacity
    amounts) and the scan's wider estimate (per subject: moved money plus capacity, up to unpaid)."""
    run = last_scan()
    if run is None:
        return {"leads": 0, "new": 0, "recoverable_fen": 0, "recoverable_all_fen": 0}
    fine = db.session.scalar(select(func.coalesce(func.sum(LeadRecord.amount_fen), 0)).where(
        LeadRecord.last_scan_id == run.id, LeadRecord.pattern == "small_fine_capacity")) or 0
    wider = sum(int(s.get("recoverable_fen") or 0) for s in run.subjects)
    return {"leads": run.lead_count, "new": run.new_count, "recoverable_fen": int(fine),
            "recoverable_all_fen": int(wider)}


def dismiss(lead_id: str, user: User, reason: str | None) -> None:
    if db.session.get(LeadDismissal, lead_id) is None:
        db.session.add(LeadDismissal(lead_id=lead_id, user_id=user.id, reason=reason))
    audit(user, "dismiss_lead", lead_id, reason=reason)
    db.session.commit()


def restore(lead_id: str, user: User) -> None:
    row = db.session.get(LeadDismissal, lead_id)
    if row is not None:
        db.session.delete(row)
    audit(user, "restore_lead", lead_id)
    db.session.commit()
