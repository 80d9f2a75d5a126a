"""Subject page (profile, cases, transfers, leads, timeline), unmasking (supervisor, audited), network view
and its JSON API. Every subject and network view is audited."""
from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from investigations import measures, timeline
from investigations import subject as subj
from investigations import netmodel
from investigations.network import ALLOWED_DEPTHS, export_graph, neighbourhood

from . import leadstore, netview
from .graph_access import get_graph
from .packages import default_package_as_of, package_response
from .auth import role_required
from .charts import timeline_svg
from .extensions import db
from .i18n import current_lang, parse_date, parse_yuan
from .models import Investigation, audit

bp = Blueprint("subjects", __name__)
logger = logging.getLogger(__name__)

MAX_VIEW_NODES = netmodel.PAGE_MAX_NODES
EXPAND_NODES = netmodel.EXPAND_MAX_NODES
TRANSFERS_PER_PAGE = 100


def _transfer_range(default_since: dt.date | None) -> dict:
    """The transfer list's date range and page from the query string; by default the period since
    the earliest open litigation start (`from=` empty means from the first transfer)."""
    def day(name: str, default: dt.date | None) -> dt.date | None:
        raw = request.args.get(name)
        if raw is None:
            return default
        try:
            return parse_date(raw) if raw.strip() else None
        except ValueError:
            return default
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return {"since": day("from", default_since), "until": day("to", None), "page": page}


def _revealed() -> list[str]:
    return session.get("revealed", [])


def is_revealed(*ids: str) -> bool:
    """Whether this session has revealed (audited) the full ID number and phone of every one of `ids`."""
    shown = set(_revealed())
    return all(i in shown for i in ids)


def remember_revealed(*ids: str) -> None:
    """Keep `ids` revealed for this session (the newest 20); the caller audits the reveal."""
    revealed = [s for s in _revealed() if s not in ids][-(20 - len(ids)):] + list(ids)
    session["revealed"] = revealed


def _lead_evidence(leads) -> set[str]:
    ids: set[str] = set()
    for rec in leads:
        ev = rec.data.get("evidence") or {}
        for k in ("transfer_ids", "asset_transfer_ids", "account_ids"):
            ids.update(ev.get(k) or [])
        ids.update(rec.data.get("counterparties") or [])
    return ids


@bp.route("/subject/<path:subject_id>")
@login_required
def subject(subject_id: str):
    graph = get_graph()
    prof = subj.profile(graph, subject_id)
    if prof is None:
        abort(404, description=_("No person or company with this id."))
    rng = _transfer_range(prof["open_litigation_start"])
    totals = subj.transfer_totals(graph, subject_id, rng["since"], rng["until"])
    pages = max(1, -(-totals["count"] // TRANSFERS_PER_PAGE))
    rng["page"] = min(rng["page"], pages)
    transfers = subj.transfers(graph, subject_id, rng["since"], rng["until"], limit=TRANSFERS_PER_PAGE,
                               newest_first=True, offset=(rng["page"] - 1) * TRANSFERS_PER_PAGE)
    conveyances = subj.conveyances(graph, subject_id)
    as_of = default_package_as_of()
    tl = timeline.subject_timeline(graph, subject_id, as_of, rng["since"], rng["until"], profile_data=prof,
                                   conveyance_rows=conveyances)
    restrictions = measures.restrictions(graph, subject_id, as_of)
    encumbrances = measures.encumbrances(graph, subject_id)
    leads, dismissed = leadstore.subject_leads(subject_id)
    evidence = _lead_evidence([r for r in leads if r.lead_id not in dismissed])
    investigations = db.session.scalars(select(Investigation).where(Investigation.subject_id == subject_id)
                                        .order_by(Investigation.id.desc())).all()
    audit(current_user, "view_subject", subject_id, revealed=subject_id in _revealed())
    db.session.commit()
    return render_template("subject.html", p=prof, transfers=transfers, conveyances=conveyances,
                           timeline=timeline_svg(tl, evidence), tl=tl, leads=leads, dismissed=dismissed,
                           evidence=evidence, revealed=subject_id in _revealed(),
                           investigations=investigations, rng=rng, totals=totals, pages=pages,
                           package_as_of=as_of, restrictions=restrictions, encumbrances=encumbrances,
                           measures_as_of=as_of)


@bp.route("/subject/<path:subject_id>/reveal", methods=["POST"])
@role_required("supervisor")
def reveal(subject_id: str):
    """Show the unmasked ID number and phone for this session; audited."""
    remember_revealed(subject_id)
    audit(current_user, "reveal", subject_id, fields=["id_number", "phone"])
    db.session.commit()
    return redirect(url_for("subjects.subject", subject_id=subject_id))


@bp.route("/subject/<path:subject_id>/package", methods=["POST"])
@role_required("investigator")
def package(subject_id: str):
    """The evidence package of this subject (optional case, as-of), the logged-in user as investigator; audited."""
    return package_response(get_graph(), current_user, subject_id, request.form,
                                     back=url_for("subjects.subject", subject_id=subject_id))


@bp.route("/subject/<path:subject_id>/mask", methods=["POST"])
@login_required
def mask(subject_id: str):
    session["revealed"] = [s for s in _revealed() if s != subject_id]
    return redirect(url_for("subjects.subject", subject_id=subject_id))


def _network_args(default_since: dt.date | None) -> dict:
    try:
        depth = int(request.args.get("depth", 1))
    except ValueError:
        depth = 1
    depth = depth if depth in ALLOWED_DEPTHS else 1
    since_arg = request.args.get("since")
    try:
        since = parse_date(since_arg) if since_arg is not None else default_since
    except ValueError:
        since = default_since
    try:
        min_fen = parse_yuan(request.args.get("min_yuan")) or 0
    except ValueError:
        min_fen = 0
    return {"depth": depth, "since": since, "min_fen": min_fen}


def _network_request(subject_id: str) -> tuple:
    """What the network page and its export share: the graph, the subject's header (404 if unknown),
    the request's depth / window / minimum, and the node cap."""
    graph = get_graph()
    prof = subj.header(graph, subject_id)
    if prof is None:
        abort(404, description=_("No person or company with this id."))
    args = _network_args(prof["open_litigation_start"])
    return graph, prof, args, int(current_app.config.get("NETWORK_MAX_NODES", MAX_VIEW_NODES))


@bp.route("/subject/<path:subject_id>/network")
@login_required
def network(subject_id: str):
    graph, prof, args, max_nodes = _network_request(subject_id)
    nb = neighbourhood(graph, subject_id, depth=args["depth"], since=args["since"],
                            min_fen=args["min_fen"], max_nodes=max_nodes)
    leads, dismissed = leadstore.subject_leads(subject_id)
    lead_id = request.args.get("lead")
    chosen = [r for r in leads if r.lead_id == lead_id] if lead_id else [r for r in leads if r.lead_id not in dismissed]
    vis = netview.to_vis(nb, _lead_evidence(chosen))
    audit(current_user, "view_network", subject_id, depth=args["depth"], since=args["since"],
          min_fen=args["min_fen"], lead=lead_id)
    db.session.commit()
    return render_template("network.html", p=prof, vis=vis, args=args, legend=netview.legend(),
                           leads=leads, lead_id=lead_id, max_nodes=max_nodes,
                           expand_nodes=int(current_app.config.get("NETWORK_EXPAND_NODES", EXPAND_NODES)))


@bp.route("/subject/<path:subject_id>/network/export")
@role_required("investigator")
def network_export(subject_id: str):
    """The network the page shows (same depth, window, minimum and cap) as GraphML or GEXF; audited."""
    fmt = request.args.get("format", "graphml")
    if fmt not in netmodel.EXPORT_FORMATS:
        abort(400)
    graph, _prof, args, max_nodes = _network_request(subject_id)
    data, nb = export_graph(graph, subject_id, fmt, depth=args["depth"], since=args["since"],
                            min_fen=args["min_fen"], max_nodes=max_nodes, lang=current_lang())
    audit(current_user, "export_graph", subject_id, format=fmt, depth=args["depth"], since=args["since"],
          min_fen=args["min_fen"], nodes=len(nb["nodes"]), edges=len(nb["edges"]), more=nb["more"])
    db.session.commit()
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in subject_id)
    resp = current_app.response_class(data, mimetype="application/xml" if fmt == "graphml" else "application/gexf+xml")
    resp.headers["Content-Disposition"] = f'attachment; filename="network-{safe}-d{args["depth"]}.{fmt}"'
    return resp


@bp.route("/api/expand")
@login_required
def expand():
    """One hop around any node of the view (person, company, account or asset), capped."""
    key = request.args.get("key") or ""
    try:
        since = parse_date(request.args.get("since")) if request.args.get("since") else None
        min_fen = parse_yuan(request.args.get("min_yuan")) or 0
    except ValueError:
        abort(400)
    nb = neighbourhood(get_graph(), key, depth=1, since=since, min_fen=min_fen,
                            max_nodes=int(current_app.config.get("NETWORK_EXPAND_NODES", EXPAND_NODES)))
    if nb is None:
        abort(404)
    audit(current_user, "expand_network", key, since=since, min_fen=min_fen)
    db.session.commit()
    return jsonify(netview.to_vis(nb, set(), positions={}))
