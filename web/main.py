"""Dashboard (what is loaded, ranked leads, totals), search, rescan (in the background), lead dismissal
(with a reason) and restore (supervisor), the audit log (supervisor: filters and CSV export)."""
from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from graph import schema

from ingest.loads import list_loads
from investigations import lookup

import audittrail

from . import leadstore, recoverystore, scan_jobs
from .auth import _safe_next, role_required
from .domain import investigations_api, load_patterns
from .graph_access import get_graph
from .extensions import db
from .i18n import parse_date, parse_yuan
from .csvout import csv_response
from .models import AuditLog, Investigation, ScanRun, User, audit

bp = Blueprint("main", __name__)
logger = logging.getLogger(__name__)


def run_scan(user: User | None, as_of: dt.date | None = None) -> ScanRun:
    """Run `investigations.scan` on the graph and store its leads (keyed by lead_id)."""
    api = investigations_api()
    if api is None:
        raise RuntimeError("investigations.scan is not available")
    graph = get_graph()
    as_of = as_of or current_app.config.get("SCAN_AS_OF")
    result = recoverystore.drop_settled(graph, api.scan(graph, as_of=as_of))
    ctx = lookup.lead_context(graph, result.get("leads") or [])
    return leadstore.record_scan(result, user, ctx)


@bp.route("/")
@login_required
def dashboard():
    graph = get_graph()
    counts = graph.counts()
    filters = {k: request.args.get(k) or None for k in ("pattern", "stage", "prison", "court")}
    try:
        filters["min_fen"] = parse_yuan(request.args.get("min_yuan"))
    except ValueError:
        filters["min_fen"] = None
        flash(_("Minimum amount is not a number."), "warning")
    show_dismissed = request.args.get("dismissed") == "1"
    leads, dismissed = leadstore.current_leads(filters, include_dismissed=show_dismissed, limit=300)
    run = leadstore.last_scan()
    totals = lookup.unpaid_totals(graph)
    totals.update(leadstore.lead_totals())
    inv = db.session.execute(select(Investigation.status, func.count(), func.coalesce(func.sum(Investigation.unpaid_fen), 0),
                                    func.coalesce(func.sum(Investigation.recovered_fen), 0))
                             .group_by(Investigation.status)).all()
    by_status = {s: {"n": n, "unpaid_fen": u, "recovered_fen": r} for s, n, u, r in inv}
    totals["referred_n"] = by_status.get("referred", {}).get("n", 0)
    totals["referred_fen"] = by_status.get("referred", {}).get("unpaid_fen", 0)
    totals.update(recoverystore.totals())  # recovered = recorded deductions and payments
    adj = recoverystore.unpaid_adjustment(graph)
    totals["unpaid_fen"] = max(0, totals["unpaid_fen"] - adj["unpaid_fen"])
    totals["open_cases"] = max(0, totals["open_cases"] - adj["open_cases"])
    facets = {c: leadstore.facet_values(c) for c in ("pattern", "stage", "prison", "court")}
    patterns = load_patterns()
    return render_template("dashboard.html", counts=counts, loads=list_loads(graph)[:50], leads=leads,
                           dismissed=dismissed, run=run, totals=totals, facets=facets, filters=filters,
                           min_yuan=request.args.get("min_yuan") or "", show_dismissed=show_dismissed,
                           patterns=patterns, scan_available=investigations_api() is not None,
                           labels=sorted(schema.LABELS), by_status=by_status,
                           scan_job=scan_jobs.status(current_app._get_current_object()))


@bp.route("/scan", methods=["POST"])
@role_required("supervisor")
def rescan():
    """Start a scan in the background (one at a time); the dashboard shows when it is done."""
    try:
        as_of = parse_date(request.form.get("as_of"))
    except ValueError:
        abort(400, description=_("Bad date."))
    if investigations_api() is None:
        flash(_("The detection engine is not installed."), "danger")
        return redirect(url_for("main.dashboard"))
    started = scan_jobs.start(current_app._get_current_object(), run_scan, current_user.id, current_user.username,
                              as_of)
    if started:
        audit(current_user, "rescan_started", str(as_of or ""))
        db.session.commit()
        flash(_("Scan started in the background; reload the dashboard to see when it is done."), "info")
    else:
        flash(_("A scan is already running; wait until it is done."), "warning")
    return redirect(url_for("main.dashboard"))


@bp.route("/leads/<path:lead_id>/dismiss", methods=["POST"])
@login_required
def dismiss_lead(lead_id: str):
    reason = (request.form.get("reason") or "").strip()[:500]
    if not reason:
        flash(_("Give a reason to dismiss a lead."), "danger")
        return redirect(_safe_next(request.form.get("next")))
    leadstore.dismiss(lead_id, current_user, reason)
    flash(_("Lead dismissed; it stays dismissed after the next scan."), "info")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/leads/<path:lead_id>/restore", methods=["POST"])
@role_required("supervisor")
def restore_lead(lead_id: str):
    leadstore.restore(lead_id, current_user)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/search")
@login_required
def search():
    q = (request.args.get("q") or "").strip()[:100]
    results = lookup.search(get_graph(), q) if q else None
    if q:
        audit(current_user, "search", None, q=q, hits=sum(len(v) for v in results.values()))
        db.session.commit()
    return render_template("search.html", q=q, results=results)


def _audit_filters() -> dict:
    f = {k: (request.args.get(k) or "").strip() or None for k in ("user", "action", "subject")}
    for k in ("since", "until"):
        try:
            f[k] = parse_date(request.args.get(k))
        except ValueError:
            f[k] = None
            flash(_("Bad date."), "warning")
    return f


@bp.route("/audit")
@role_required("supervisor")
def audit_log():
    """The audit trail, newest first, filtered by user, action, subject and dates; chain status on top."""
    f = _audit_filters()
    with db.engine.connect() as conn:
        rows = list(audittrail.rows(conn, limit=500, **f))
        verdict = audittrail.verify(conn)
        actions = [r[0] for r in conn.execute(select(AuditLog.action).distinct().order_by(AuditLog.action))]
    return render_template("audit.html", rows=rows, filters=f, actions=actions, verdict=verdict)


@bp.route("/audit/export.csv")
@role_required("supervisor")
def audit_export():
    f = _audit_filters()
    with db.engine.connect() as conn:
        rows = list(audittrail.rows(conn, limit=None, **f))
    audit(current_user, "export_audit", None, filters={k: v for k, v in f.items() if v}, rows=len(rows))
    db.session.commit()
    return csv_response("audit", ["id", "at", "user", "action", "target", "detail", "hash"],
                        [[r.id, r.at, r.username, r.action, r.target, r.detail_json, r.hash] for r in rows])
