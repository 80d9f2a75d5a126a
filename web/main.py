"""Dashboard (what is loaded, ranked leads, totals), search, rescan, lead dismissal, audit log."""
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

from . import leadstore
from .auth import _safe_next, role_required
from .domain import investigations_api, load_patterns
from .graph_access import get_graph
from .extensions import db
from .i18n import parse_date, parse_yuan
from .models import AuditLog, Investigation, ScanRun, User

bp = Blueprint("main", __name__)
logger = logging.getLogger(__name__)


def run_scan(user: User | None, as_of: dt.date | None = None) -> ScanRun:
    """Run `investigations.scan` on the graph and store its leads (keyed by lead_id)."""
    api = investigations_api()
    if api is None:
        raise RuntimeError("investigations.scan is not available")
    graph = get_graph()
    as_of = as_of or current_app.config.get("SCAN_AS_OF")
    result = api.scan(graph, as_of=as_of)
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
    totals["recovered_fen"] = sum(v["recovered_fen"] for v in by_status.values())
    facets = {c: leadstore.facet_values(c) for c in ("pattern", "stage", "prison", "court")}
    patterns = load_patterns()
    return render_template("dashboard.html", counts=counts, loads=list_loads(graph)[:50], leads=leads,
                           dismissed=dismissed, run=run, totals=totals, facets=facets, filters=filters,
                           min_yuan=request.args.get("min_yuan") or "", show_dismissed=show_dismissed,
                           patterns=patterns, scan_available=investigations_api() is not None,
                           labels=sorted(schema.LABELS), by_status=by_status)


@bp.route("/scan", methods=["POST"])
@role_required("supervisor")
def rescan():
    try:
        as_of = parse_date(request.form.get("as_of"))
    except ValueError:
        abort(400, description=_("Bad date."))
    try:
        run = run_scan(current_user, as_of)
    except RuntimeError:
        flash(_("The detection engine is not installed."), "danger")
        return redirect(url_for("main.dashboard"))
    flash(_("Scan finished: %(n)s leads, %(new)s new.", n=run.lead_count, new=run.new_count), "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/leads/<path:lead_id>/dismiss", methods=["POST"])
@login_required
def dismiss_lead(lead_id: str):
    leadstore.dismiss(lead_id, current_user, (request.form.get("reason") or "").strip() or None)
    flash(_("Lead dismissed; it stays dismissed after the next scan."), "info")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/leads/<path:lead_id>/restore", methods=["POST"])
@login_required
def restore_lead(lead_id: str):
    leadstore.restore(lead_id, current_user)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/search")
@login_required
def search():
    q = (request.args.get("q") or "").strip()[:100]
    results = lookup.search(get_graph(), q) if q else None
    return render_template("search.html", q=q, results=results)


@bp.route("/audit")
@role_required("admin")
def audit_log():
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(500)).all()
    return render_template("audit.html", rows=rows)
