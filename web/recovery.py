"""From leads to recovery: the flow view (Sankey + hop and endpoint tables), the freeze-list export
(CSV with BOM / one-page PDF, audited), an investigation's recovery records, and the supervisors'
recovered-money chart. Views only parse, check the role, call `investigations.flow` /
`investigations.freeze` / `web.recoverystore`, and render.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import Callable
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from investigations.flow import MAX_LINKS, flow
from investigations.freeze import FreezeListError, download_name, freeze_list, to_csv_bytes

from . import leadstore, recoverystore
from .domain import today
from .graph_access import get_graph
from .packages import default_package_as_of, subject_cases
from .auth import role_required
from .investigation_views import may_manage
from .extensions import db
from .i18n import FREEZE_KINDS, FREEZE_STATUS, parse_date, parse_yuan
from .models import RECOVERY_KINDS, RECOVERY_TARGET_KINDS, Investigation, LeadRecord, audit

bp = Blueprint("recovery", __name__)
logger = logging.getLogger(__name__)

HOP_CHOICES = (1, 2, 3, 4, 5, 6)
LABELS = {**FREEZE_STATUS, **FREEZE_KINDS, "frozen": _l("frozen"), "deducted": _l("deducted"),
          "paid": _l("paid"), "case": _l("case (paid directly)")}


@bp.app_context_processor
def _labels() -> dict:
    def rlabel(value: str | None) -> str:
        return str(LABELS.get(value or "", value or "—"))
    return {"rlabel": rlabel}


def _inv(iid: int) -> Investigation:
    inv = db.session.get(Investigation, iid)
    if inv is None:
        abort(404)
    return inv


def _date_arg(name: str, default: dt.date | None) -> dt.date | None:
    try:
        return parse_date(request.values.get(name)) or default
    except ValueError:
        abort(400, description=_("Bad date."))


@bp.route("/subject/<path:subject_id>/flow")
@login_required
def flow_view(subject_id: str):
    """The trace since litigation start (or ?since=), up to ?as_of=, optionally around one lead."""
    graph = get_graph()
    lead = None
    lead_id = request.args.get("lead")
    if lead_id:
        lead = db.session.get(LeadRecord, lead_id)
        if lead is None or lead.subject_id != subject_id:
            abort(404)
    lead_data = lead.data if lead else {}
    default_since = parse_date(str(lead_data.get("litigation_start"))[:10]) if lead_data.get("litigation_start") else None
    since = _date_arg("since", default_since)
    as_of = _date_arg("as_of", default_package_as_of())
    try:
        hops = int(request.args.get("max_hops", 4))
    except ValueError:
        hops = 4
    hops = hops if hops in HOP_CHOICES else 4
    highlight = set((lead_data.get("evidence") or {}).get("transfer_ids") or [])
    try:
        fl = flow(graph, subject_id, since=since, as_of=as_of, max_hops=hops, highlight=highlight)
    except KeyError:
        abort(404, description=_("No person or company with this id."))
    invs = db.session.scalars(select(Investigation).where(Investigation.subject_id == subject_id)
                              .order_by(Investigation.id.desc())).all()
    audit(current_user, "view_flow", subject_id, lead=lead_id, since=since.isoformat() if since else None,
          as_of=as_of.isoformat(), max_hops=hops)
    db.session.commit()
    return render_template("flow.html", fl=fl, lead=lead, hops=hops, hop_choices=HOP_CHOICES,
                           since_arg=request.args.get("since") or "", max_links=MAX_LINKS,
                           cases=subject_cases(graph, subject_id), investigations=invs,
                           freeze_action=url_for("recovery.subject_freeze_list", subject_id=subject_id))


def _freeze_response(subject_id: str, records: list, back: str, investigation_id: int | None = None):
    """Build the freeze list from the form (case, as_of, format), audit it, send the file."""
    form = request.form
    case_no = (form.get("case_no") or "").strip() or None
    fmt = form.get("format") or "csv"
    if fmt not in ("csv", "pdf"):
        abort(400)
    try:
        as_of = parse_date(form.get("as_of")) or default_package_as_of()
    except ValueError:
        flash(_("Bad date."), "danger")
        return redirect(back)
    run = leadstore.last_scan()
    leads = None
    if run is not None and run.as_of == as_of:  # the leads the dashboard shows, for the same as_of
        leads = [r.data for r in db.session.scalars(select(LeadRecord).where(
            LeadRecord.last_scan_id == run.id, LeadRecord.subject_id == subject_id))]
    try:
        fl = freeze_list(get_graph(), subject_id, case_no, as_of, leads=leads,
                         recoveries=recoverystore.as_dicts(records))
    except FreezeListError as exc:
        flash(_("The freeze list could not be made: %(reason)s", reason=str(exc)), "danger")
        return redirect(back)
    if fmt == "pdf":
        from investigations.freeze_pdf import pdf_bytes
        data, mime = pdf_bytes(fl), "application/pdf"
    else:
        data, mime = to_csv_bytes(fl), "text/csv; charset=utf-8"
    sha = hashlib.sha256(data).hexdigest()
    audit(current_user, "freeze_list", subject_id, case_no=case_no, as_of=as_of.isoformat(), format=fmt,
          list_id=fl["list_id"], sha256=sha, lines=len(fl["lines"]), proposed_fen=fl["proposed_fen"],
          **({"investigation": investigation_id} if investigation_id is not None else {}))
    db.session.commit()
    name = download_name(fl, fmt)
    ascii_name = re.sub(r"[^0-9A-Za-z_.-]+", "_", f"freeze-list_{subject_id}_{fl['as_of']}_{fl['list_id']}.{fmt}")
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                           f"filename*=UTF-8''{quote(name, safe='')}")
    resp.headers["X-Freeze-List-Id"] = fl["list_id"]
    resp.headers["X-Freeze-List-SHA256"] = sha
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/subject/<path:subject_id>/freeze-list", methods=["POST"])
@role_required("investigator")
def subject_freeze_list(subject_id: str):
    return _freeze_response(subject_id, recoverystore.records_of_subject(subject_id),
                            back=url_for("subjects.subject", subject_id=subject_id))


@bp.route("/investigations/<int:iid>/freeze-list", methods=["POST"])
@role_required("investigator")
def investigation_freeze_list(iid: int):
    inv = _inv(iid)
    return _freeze_response(inv.subject_id, recoverystore.records_of_subject(inv.subject_id),
                            back=url_for("recovery.investigation_recovery", iid=iid), investigation_id=iid)


@bp.route("/investigations/<int:iid>/recovery")
@login_required
def investigation_recovery(iid: int):
    inv = _inv(iid)
    graph = get_graph()
    cases = subject_cases(graph, inv.subject_id)
    balances = recoverystore.case_balances(graph, [c["case_no"] for c in cases])
    audit(current_user, "view_recovery", str(iid), subject_id=inv.subject_id)
    db.session.commit()
    records = recoverystore.records_of_investigation(iid)
    return render_template("recovery_investigation.html", inv=inv, records=records,
                           replaced_by=recoverystore.history(records), can_manage=may_manage(current_user, inv),
                           cases=cases, balances=balances, kinds=RECOVERY_KINDS, target_kinds=RECOVERY_TARGET_KINDS,
                           as_of=default_package_as_of(), today=today(),
                           freeze_action=url_for("recovery.investigation_freeze_list", iid=iid))


def _record_fields(f) -> dict:
    """The record form's fields (kind, target, case, date, amount in fen, document no., comment);
    ValueError with the reason to show when the date or amount is missing or not valid."""
    try:
        on = parse_date(f.get("on"))
        amount = parse_yuan(f.get("amount_yuan"))
    except ValueError:
        raise ValueError(_("Date or amount is not valid.")) from None
    if on is None or amount is None:
        raise ValueError(_("Date and amount are required."))
    return {"kind": f.get("kind") or "", "target_kind": f.get("target_kind") or "account",
            "target": (f.get("target") or "").strip()[:255] or None,
            "case_no": (f.get("case_no") or "").strip() or None, "on": on, "amount_fen": amount,
            "document_no": (f.get("document_no") or "").strip(), "note": (f.get("note") or "").strip()[:2000] or None}


def _managed(iid: int) -> Investigation:
    inv = _inv(iid)
    if not may_manage(current_user, inv):
        abort(403, description=_("Only the assignee or a supervisor may record recoveries."))
    return inv


def _change_records(iid: int, change: Callable[[Investigation, dict], object], *, failed: str, done: str,
                    with_fields: bool = True) -> Response:
    """Record, correct and void share one shape, kept here so the three views stay one line each: only
    the assignee or a supervisor; the record form's fields parsed (unless `with_fields` is off); the
    store called; a refusal (`failed`, with the store's reason) or `done` flashed; back to the page."""
    inv = _managed(iid)
    back = url_for("recovery.investigation_recovery", iid=iid)
    try:
        fields = _record_fields(request.form) if with_fields else {}
    except ValueError as exc:
        flash(str(exc), "danger")
        return redirect(back)
    try:
        change(inv, fields)
    except recoverystore.RecordError as exc:
        flash(failed % {"reason": str(exc)}, "danger")
        return redirect(back)
    flash(done, "success")
    return redirect(back)


def _reason() -> str:
    return request.form.get("reason") or ""


@bp.route("/investigations/<int:iid>/recovery", methods=["POST"])
@role_required("investigator")
def add_recovery(iid: int):
    return _change_records(
        iid, lambda inv, fields: recoverystore.add_record(get_graph(), inv, current_user, **fields),
        failed=_("Not recorded: %(reason)s"), done=_("Recorded."))


@bp.route("/investigations/<int:iid>/recovery/<int:rid>/correct", methods=["POST"])
@role_required("investigator")
def correct_recovery(iid: int, rid: int):
    """A corrected entry replacing record `rid` (the original stays visible, no longer counted)."""
    return _change_records(
        iid, lambda inv, fields: recoverystore.correct_record(get_graph(), inv, current_user, rid,
                                                              reason=_reason(), **fields),
        failed=_("Not corrected: %(reason)s"), done=_("Corrected; the original entry stays in the history."))


@bp.route("/investigations/<int:iid>/recovery/<int:rid>/void", methods=["POST"])
@role_required("investigator")
def void_recovery(iid: int, rid: int):
    """Void record `rid` by a new entry with the reason (the original stays visible, no longer counted)."""
    return _change_records(
        iid, lambda inv, _fields: recoverystore.void_record(inv, current_user, rid, reason=_reason()),
        failed=_("Not voided: %(reason)s"), done=_("Voided; the original entry stays in the history."),
        with_fields=False)


@bp.route("/recovery")
@role_required("supervisor")
def overview():
    """Recovered money (deducted + paid) by court and by prison over time."""
    return render_template("recovery_overview.html", totals=recoverystore.totals(),
                           by_court=recoverystore.by_month("court"), by_prison=recoverystore.by_month("prison"))
