"""Entity resolution review (supervisors): the candidates of the last resolve with their reasons and
scores, two records side by side with their sources, and confirm / reject / unsure. Views only
parse, check the role, call `ingest.entities` and render; judgements go to the app's store and the
audit trail, and a resolve follows each one so a confirmation takes effect at once.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ingest import entities

from .auth import role_required
from .extensions import db
from .graph_access import get_graph
from .i18n import current_lang
from .models import audit
from .subjects import is_revealed, remember_revealed

bp = Blueprint("entities", __name__, url_prefix="/entities")
logger = logging.getLogger(__name__)

STATUS_LABELS = {"open": _l("open"), "unsure": _l("unsure"), "rejected": _l("rejected"), "confirmed": _l("confirmed")}
DECISION_LABELS = {"confirm": _l("Same person: merge"), "reject": _l("Different persons"), "unsure": _l("Unsure")}
#: The record fields shown side by side, in this order.
FIELDS = (("name", _l("Name")), ("id_number", _l("ID number")), ("id_number_valid", _l("ID checksum valid")),
          ("gender", _l("Sex")), ("birth_date", _l("Birth date")), ("phone", _l("Phone")), ("address", _l("Address")),
          ("known_from", _l("Known from")), ("canonical_id", _l("Joined to")), ("src_file", _l("Source file")),
          ("src_row", _l("Source row")), ("load_id", _l("Load")))


def _reasons(c: dict) -> list[str]:
    i = 0 if current_lang() == "zh" else 1
    return [t[i] for t in c["reason_text"]]


@bp.route("/candidates")
@role_required("supervisor")
def candidates():
    """The candidates of the last resolve, best score first (?status=open|unsure|rejected|all)."""
    status = request.args.get("status", "open")
    if status not in (*entities.STATUSES, "all"):
        abort(400)
    rows = entities.candidates(db.engine, None if status == "all" else status)
    for c in rows:
        c["reasons_shown"] = _reasons(c)
    return render_template("entities.html", rows=rows, status=status, statuses=(*entities.STATUSES, "all"),
                           status_labels=STATUS_LABELS)


@bp.route("/review/<path:left>/<path:right>")
@role_required("supervisor")
def review(left: str, right: str):
    """Two records side by side, with the candidate's reasons and both sources."""
    recs = entities.records(get_graph(), [left, right])
    if left not in recs or right not in recs:
        abort(404)
    cand = next((c for c in entities.candidates(db.engine) if {c["left"], c["right"]} == {left, right}), None)
    if cand:
        cand["reasons_shown"] = _reasons(cand)
    history = entities.store.judgement_history(db.engine, left, right)
    revealed = is_revealed(left, right)
    audit(current_user, "view_entity_review", f"{left}|{right}", revealed=revealed)
    db.session.commit()
    return render_template("entity_review.html", left=recs[left], right=recs[right], cand=cand, fields=FIELDS,
                           history=history, decisions=entities.DECISIONS, decision_labels=DECISION_LABELS,
                           status_labels=STATUS_LABELS, revealed=revealed)


@bp.route("/review/<path:left>/<path:right>/reveal", methods=["POST"])
@role_required("supervisor")
def reveal(left: str, right: str):
    """Show both records' full ID numbers and phones for this session (masked by default); audited."""
    remember_revealed(left, right)
    audit(current_user, "reveal", f"{left}|{right}", fields=["id_number", "phone"])
    db.session.commit()
    return redirect(url_for("entities.review", left=left, right=right))


@bp.route("/review/<path:left>/<path:right>", methods=["POST"])
@role_required("supervisor")
def judge(left: str, right: str):
    """Record the supervisor's judgement, audit it, and resolve again."""
    decision = request.form.get("decision", "")
    if decision not in entities.DECISIONS:
        abort(400)
    note = (request.form.get("note") or "").strip() or None
    graph = get_graph()
    try:
        j = entities.judge(graph, db.engine, left, right, decision, current_user.username, note)
    except entities.UnknownRecord:
        abort(404)
    audit(current_user, "entity_judge", f"{j.left}|{j.right}", decision=j.decision, kind=j.kind, note=note)
    db.session.commit()
    res = entities.resolve(graph, db.engine)
    flash(_("Judgement recorded: %(left)s / %(right)s: %(decision)s. %(n)s records are now joined.",
            left=j.left, right=j.right, decision=str(DECISION_LABELS[j.decision]), n=res.records_joined), "success")
    return redirect(url_for("entities.candidates"))


@bp.route("/resolve", methods=["POST"])
@role_required("supervisor")
def resolve():
    """Recompute merges and candidates now (after an import made in the browser)."""
    res = entities.resolve(get_graph(), db.engine)
    audit(current_user, "entity_resolve", None, **res.summary())
    db.session.commit()
    flash(_("Resolved: %(n)s records joined, %(c)s open candidates.", n=res.records_joined,
            c=res.candidates.get("open", 0)), "success")
    return redirect(url_for("entities.candidates"))
