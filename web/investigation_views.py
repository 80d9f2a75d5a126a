"""Investigation pages (alert-to-case workflow; not the graph's `Case` nodes): open one for a subject from
a lead, status, assignee, notes, pinned evidence (transfers, conveyances, leads), recovered amount.

The blueprint keeps its endpoint name `cases` so every `url_for('cases.…')` keeps working.
Who may change what: any investigator opens one, adds notes and pins; its assignee (or a supervisor)
changes its status, closes it and records recoveries; only a supervisor reassigns it.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from investigations import subject as subj

from .auth import _safe_next, role_required
from .graph_access import get_graph
from .packages import default_package_as_of, notes_for_package, package_response, subject_cases
from .extensions import db
from .i18n import parse_yuan
from .models import PIN_KINDS, STATUSES, Investigation, LeadRecord, Note, PinnedEvidence, User, audit

bp = Blueprint("cases", __name__)
logger = logging.getLogger(__name__)


def _get(iid: int) -> Investigation:
    inv = db.session.get(Investigation, iid)
    if inv is None:
        abort(404)
    return inv


@bp.route("/investigations")
@login_required
def index():
    status = request.args.get("status")
    q = select(Investigation).order_by(Investigation.updated_at.desc())
    if status in STATUSES:
        q = q.where(Investigation.status == status)
    if request.args.get("mine"):
        q = q.where(Investigation.assignee_id == current_user.id)
    return render_template("investigations.html", rows=db.session.scalars(q.limit(500)).all(), status=status,
                           statuses=STATUSES)


@bp.route("/investigations/open", methods=["POST"])
@login_required
def open_investigation():
    subject_id = (request.form.get("subject_id") or "").strip()
    prof = subj.profile(get_graph(), subject_id)
    if prof is None:
        abort(404, description=_("No person or company with this id."))
    inv = Investigation(subject_id=subject_id, subject_name=prof.get("name"), status="open",
                        assignee_id=current_user.id, created_by=current_user.id,
                        unpaid_fen=prof.get("unpaid_fen") or 0,
                        title=(request.form.get("title") or "").strip()[:255] or None)
    db.session.add(inv)
    db.session.flush()
    lead_id = request.form.get("lead_id")
    if lead_id:
        db.session.add(PinnedEvidence(investigation_id=inv.id, kind="lead", ref_id=lead_id,
                                      pinned_by=current_user.id))
    audit(current_user, "open_investigation", subject_id, investigation=inv.id, lead_id=lead_id)
    db.session.commit()
    flash(_("Investigation opened."), "success")
    return redirect(url_for("cases.detail", iid=inv.id))


@bp.route("/investigations/<int:iid>")
@login_required
def detail(iid: int):
    inv = _get(iid)
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
    lead_ids = [p.ref_id for p in inv.pins if p.kind == "lead"]
    leads = {r.lead_id: r for r in db.session.scalars(select(LeadRecord).where(LeadRecord.lead_id.in_(lead_ids)))} \
        if lead_ids else {}
    # Pinned transfers / conveyances shown with their current graph rows (the graph is the evidence).
    graph = get_graph()
    tr_ids = {p.ref_id for p in inv.pins if p.kind == "transfer"}
    cv_ids = {p.ref_id for p in inv.pins if p.kind == "conveyance"}
    transfers = {t["transfer_id"]: t for t in subj.transfers(graph, inv.subject_id)
                 if t["transfer_id"] in tr_ids} if tr_ids else {}
    conveyances = {c["transfer_id"]: c for c in subj.conveyances(graph, inv.subject_id)
                   if c["transfer_id"] in cv_ids} if cv_ids else {}
    lead_cases = {r.case_no for r in leads.values() if r.case_no}
    # who looked at a case file and when is part of the trail, as for subject and network pages
    audit(current_user, "view_investigation", str(iid), subject_id=inv.subject_id, status=inv.status)
    db.session.commit()
    return render_template("investigation.html", inv=inv, users=users, statuses=STATUSES, pin_kinds=PIN_KINDS,
                           leads=leads, transfers=transfers, conveyances=conveyances,
                           cases=subject_cases(graph, inv.subject_id),
                           package_case=lead_cases.pop() if len(lead_cases) == 1 else None,
                           package_as_of=default_package_as_of(),
                           can_manage=may_manage(current_user, inv))


@bp.route("/investigations/<int:iid>/package", methods=["POST"])
@role_required("investigator")
def package(iid: int):
    """The evidence package of the investigation's subject with its notes; the logged-in user as investigator."""
    inv = _get(iid)
    return package_response(get_graph(), current_user, inv.subject_id, request.form,
                                     back=url_for("cases.detail", iid=iid),
                                     notes=notes_for_package(inv.notes), investigation_id=iid)


def may_manage(user: User, inv: Investigation) -> bool:
    """Its assignee or a supervisor may change an investigation's status (close it) and recoveries."""
    return user.has_role("supervisor") or (inv.assignee_id is not None and inv.assignee_id == user.id)


@bp.route("/investigations/<int:iid>/update", methods=["POST"])
@login_required
def update(iid: int):
    inv = _get(iid)
    changes = {}
    status = request.form.get("status")
    if status and status != inv.status:
        if status not in STATUSES:
            abort(400)
        if not may_manage(current_user, inv):
            abort(403, description=_("Only the assignee or a supervisor may change this investigation's status."))
        changes["status"] = [inv.status, status]
        inv.status = status
    assignee = request.form.get("assignee_id")
    if assignee is not None:
        new = int(assignee) if assignee.isdigit() else None
        if new is not None and db.session.get(User, new) is None:
            abort(400)
        if new != inv.assignee_id:
            if not current_user.has_role("supervisor"):
                abort(403, description=_("Only a supervisor may reassign an investigation."))
            changes["assignee"] = [inv.assignee_id, new]
            inv.assignee_id = new
    rec = request.form.get("recovered_yuan")
    if rec is not None and rec.strip() != "":
        try:
            fen = parse_yuan(rec) or 0
        except ValueError:
            flash(_("Recovered amount is not a number."), "danger")
            return redirect(url_for("cases.detail", iid=iid))
        if fen != inv.recovered_fen:
            if not may_manage(current_user, inv):
                abort(403, description=_("Only the assignee or a supervisor may record recoveries."))
            changes["recovered_fen"] = [inv.recovered_fen, fen]
            inv.recovered_fen = fen
    if changes:
        audit(current_user, "update_investigation", str(iid), **changes)
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("cases.detail", iid=iid))


@bp.route("/investigations/<int:iid>/notes", methods=["POST"])
@login_required
def add_note(iid: int):
    inv = _get(iid)
    body = (request.form.get("body") or "").strip()
    if not body:
        flash(_("The note is empty."), "warning")
        return redirect(url_for("cases.detail", iid=iid))
    db.session.add(Note(investigation_id=inv.id, author_id=current_user.id, body=body[:20000]))
    audit(current_user, "add_note", str(iid))
    db.session.commit()
    return redirect(url_for("cases.detail", iid=iid) + "#notes")


@bp.route("/investigations/<int:iid>/pin", methods=["POST"])
@login_required
def pin(iid: int):
    inv = _get(iid)
    kind = request.form.get("kind")
    ref = (request.form.get("ref_id") or "").strip()[:255]
    if kind not in PIN_KINDS or not ref:
        abort(400)
    exists = db.session.scalar(select(PinnedEvidence).where(PinnedEvidence.investigation_id == iid,
                                                            PinnedEvidence.kind == kind,
                                                            PinnedEvidence.ref_id == ref))
    if exists is None:
        db.session.add(PinnedEvidence(investigation_id=inv.id, kind=kind, ref_id=ref, pinned_by=current_user.id,
                                      comment=(request.form.get("comment") or "").strip() or None))
        audit(current_user, "pin", str(iid), kind=kind, ref_id=ref)
        db.session.commit()
        flash(_("Pinned."), "success")
    return redirect(_safe_next(request.form.get("next")) if request.form.get("next") else url_for("cases.detail", iid=iid))


@bp.route("/investigations/<int:iid>/unpin/<int:pid>", methods=["POST"])
@login_required
def unpin(iid: int, pid: int):
    row = db.session.get(PinnedEvidence, pid)
    if row is None or row.investigation_id != iid:
        abort(404)
    db.session.delete(row)
    audit(current_user, "unpin", str(iid), kind=row.kind, ref_id=row.ref_id)
    db.session.commit()
    return redirect(url_for("cases.detail", iid=iid))
