"""Pattern library: built-in patterns (files) and user-saved read queries (versioned, in the app store).

Run one through a parameter form; results table with sorting, CSV export (UTF-8 with BOM
so Excel shows Chinese), a link to each subject's network. Saving or running a saved query
that EXPLAIN does not report as a pure read is refused.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from graph import GraphError, QueryRefused

from . import leadstore
from .auth import role_required
from .csvout import csv_response
from .domain import load_patterns
from .extensions import db
from .graph_access import get_graph
from .i18n import current_lang, fmt_date, parse_date, parse_yuan, yuan
from .models import SavedQuery, SavedQueryVersion, audit

bp = Blueprint("patterns", __name__)
logger = logging.getLogger(__name__)

PARAM_TYPES = ("str", "int", "float", "yuan", "date")
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
QUERY_TIMEOUT = 30.0


def _loc(obj: Any, field: str) -> str:
    """The zh or en variant of a pattern's text field."""
    lang = current_lang()
    v = getattr(obj, f"{field}_{lang}", None) or getattr(obj, f"{field}_zh", None) or getattr(obj, field, None)
    return v or ""


def _ptype(p: Any) -> str:
    t = str(getattr(p, "type", "") or "").lower()
    unit = str(getattr(p, "unit", "") or "").lower()
    if unit in ("yuan", "元", "cny") or t in ("yuan", "money"):
        return "yuan"
    if t in ("int", "integer", "days"):
        return "int"
    if t in ("float", "ratio", "number", "decimal", "pct"):
        return "float"
    if t == "date":
        return "date"
    return "str"


def coerce(ptype: str, raw: str | None) -> Any:
    """A form value as the parameter's type; ValueError with a reason if it does not parse."""
    if raw is None or str(raw).strip() == "":
        return None
    raw = str(raw).strip()
    if ptype == "int":
        return int(raw)
    if ptype == "float":
        v = float(raw)
        if not math.isfinite(v):
            raise ValueError("not a finite number")
        return v
    if ptype == "yuan":  # entered in yuan, passed to the query as integer fen
        return parse_yuan(raw)
    if ptype == "date":
        return parse_date(raw)
    return raw[:500]


def _form_params(specs: list[dict]) -> tuple[dict, list[str]]:
    params: dict[str, Any] = {}
    errors = []
    for s in specs:
        raw = request.values.get("p_" + s["name"])
        try:
            v = coerce(s["type"], raw)
        except ValueError:
            errors.append(_("%(name)s: not a valid value", name=s["name"]))
            continue
        if v is not None:
            params[s["name"]] = v
    return params, errors


def _builtin_specs(pat: Any) -> list[dict]:
    return [{"name": p.name, "type": _ptype(p), "default": p.default, "unit": getattr(p, "unit", None),
             "description": _loc(p, "description")} for p in (pat.params or [])]


@bp.route("/patterns")
@login_required
def library():
    pats = load_patterns()
    saved = db.session.scalars(select(SavedQuery).order_by(SavedQuery.slug)).all()
    return render_template("patterns.html", patterns=pats, saved=saved, loc=_loc)


def _run_builtin(pid: str) -> tuple[Any, list[dict], dict, list[str], Any]:
    """Run a built-in pattern with the form's values (given as typed: money in yuan; the pattern parses)."""
    pats = load_patterns()
    pat = pats.get(pid)
    if pat is None:
        abort(404)
    specs = _builtin_specs(pat)
    params = {s["name"]: request.values.get("p_" + s["name"]).strip() for s in specs
              if (request.values.get("p_" + s["name"]) or "").strip()}
    errors: list[str] = []
    try:
        as_of = (parse_date(request.values.get("as_of")) or current_app.config.get("SCAN_AS_OF")
                 or getattr(leadstore.last_scan(), "as_of", None))
    except ValueError:
        as_of, errors = None, [_("Bad date.")]
    result = None
    if not errors and request.values.get("run"):
        from investigations import run_pattern
        try:
            result = run_pattern(get_graph(), pid, params, as_of=as_of)
        except ValueError as exc:  # PatternError: a parameter that does not parse or is out of bounds
            errors.append(str(exc))
        audit(current_user, "run_pattern", f"pattern:{pid}", params=params, as_of=as_of,
              hits=None if result is None else len(result.hits), refused="; ".join(errors) or None,
              stopped_early=bool(result is not None and result.truncated))
        db.session.commit()
    return pat, specs, {"params": params, "as_of": as_of}, errors, result


@bp.route("/patterns/<pid>")
@login_required
def run_builtin(pid: str):
    pat, specs, given, errors, result = _run_builtin(pid)
    for e in errors:
        flash(e, "warning")
    return render_template("pattern_run.html", pat=pat, pid=pid, specs=specs, given=given, result=result,
                           loc=_loc, saved=None)


HIT_COLUMNS = ("lead_id", "pattern", "subject_id", "subject_name", "case_no", "stage", "score", "amount_fen",
               "counterparties", "counterparty_names", "first_at", "last_at")


def _cell(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return ";".join(str(x) for x in v)
    if isinstance(v, (dt.date, dt.datetime)):
        return fmt_date(v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def _show(v: Any) -> str:
    """A result cell as text (lists joined, dates ISO, nodes by their properties)."""
    if v is None:
        return ""
    c = _cell(v)
    return c if isinstance(c, str) else str(c)


@bp.route("/patterns/<pid>/export.csv")
@login_required
def export_builtin(pid: str):
    pat, specs, given, errors, result = _run_builtin(pid)
    if result is None:
        abort(400, description="; ".join(errors) or _("Run the pattern first."))
    expl = "explanation_" + current_lang()
    header = list(HIT_COLUMNS) + ["amount_yuan", "transfer_ids", "asset_transfer_ids", expl]
    rows = []
    for h in result.hits:
        ev = h.get("evidence") or {}
        rows.append([_cell(h.get(c)) for c in HIT_COLUMNS] + [
            yuan(h.get("amount_fen"), symbol=False), _cell(ev.get("transfer_ids") or []),
            _cell(ev.get("asset_transfer_ids") or []), h.get(expl)])
    audit(current_user, "export_csv", f"pattern:{pid}", params=given["params"], as_of=given["as_of"],
          rows=len(rows))
    db.session.commit()
    return csv_response(pid, header, rows)


# --- saved queries ----------------------------------------------------------------------------
def _get_saved(qid: int) -> SavedQuery:
    q = db.session.get(SavedQuery, qid)
    if q is None:
        abort(404)
    return q


def _run_saved(v: SavedQueryVersion, params: dict) -> tuple[list[str], list[dict], bool]:
    """Guarded (no LOAD CSV, allowed procedures only, pure read), READ mode, timeout, row cap."""
    limit = int(current_app.config.get("RESULT_ROW_LIMIT", 5000))
    rows, capped = get_graph().read_guarded(v.cypher, params, timeout=QUERY_TIMEOUT, row_limit=limit)
    cols: list[str] = []
    for r in rows[:50]:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols, rows, capped


@bp.route("/queries/<int:qid>")
@login_required
def run_saved(qid: int):
    q = _get_saved(qid)
    v = q.latest
    specs = v.params
    params, errors = _form_params(specs)
    for e in errors:
        flash(e, "warning")
    cols, rows, capped, err = [], [], False, None
    ran = bool(request.args.get("run")) and not errors
    if ran:
        try:
            cols, rows, capped = _run_saved(v, params)
        except GraphError as exc:
            err = str(exc)
            ran = False
        audit(current_user, "run_query", f"query:{q.slug}@{v.version}", params=params,
              rows=len(rows), refused=err)
        db.session.commit()
    return render_template("query_run.html", q=q, v=v, specs=specs, params=params, cols=cols, rows=rows,
                           capped=capped, ran=ran, error=err, show=_show)


@bp.route("/queries/<int:qid>/export.csv")
@login_required
def export_saved(qid: int):
    q = _get_saved(qid)
    v = q.latest
    params, errors = _form_params(v.params)
    if errors:
        abort(400, description="; ".join(errors))
    cols, rows, capped = _run_saved(v, params)
    audit(current_user, "export_csv", f"query:{q.slug}@{v.version}", params=params, rows=len(rows))
    db.session.commit()
    return csv_response(q.slug, cols, [[_cell(r.get(c)) for c in cols] for r in rows])


def _parse_param_specs(text: str) -> list[dict]:
    """One parameter a line: `name type [default]`, type one of PARAM_TYPES."""
    specs = []
    for line in (text or "").splitlines():
        parts = line.split(None, 2)
        if not parts:
            continue
        name = parts[0]
        ptype = parts[1] if len(parts) > 1 else "str"
        if not _PARAM_NAME.match(name) or name.startswith("__") or ptype not in PARAM_TYPES:
            raise ValueError(line)
        default = parts[2].strip() if len(parts) > 2 else None
        if default is not None:
            coerce(ptype, default)
        specs.append({"name": name, "type": ptype, "default": default})
    return specs


def _specs_text(specs: list[dict]) -> str:
    return "\n".join(" ".join(x for x in (s["name"], s["type"], s.get("default") or "") if x) for s in specs)


@bp.route("/queries/new", methods=["GET", "POST"])
@bp.route("/queries/<int:qid>/edit", methods=["GET", "POST"])
@role_required("supervisor")
def edit_saved(qid: int | None = None):
    q = _get_saved(qid) if qid else None
    form = {"slug": q.slug if q else "", "title": q.latest.title if q else "",
            "description": q.latest.description if q else "", "legal_basis": q.latest.legal_basis if q else "",
            "cypher": q.latest.cypher if q else "", "params": _specs_text(q.latest.params) if q else ""}
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in form}
        errors = []
        if not q and not re.match(r"^[a-z0-9_-]{2,80}$", form["slug"]):
            errors.append(_("Identifier: 2-80 lower-case letters, digits, - or _."))
        if not q and db.session.scalar(select(SavedQuery).where(SavedQuery.slug == form["slug"])):
            errors.append(_("This identifier is taken."))
        if not form["title"] or not form["cypher"]:
            errors.append(_("Title and query are required."))
        specs: list[dict] = []
        try:
            specs = _parse_param_specs(form["params"])
        except ValueError as exc:
            errors.append(_("Bad parameter line: %(line)s", line=str(exc)))
        if not errors:
            try:
                get_graph().ensure_read_only(form["cypher"], {s["name"]: coerce(s["type"], s.get("default"))
                                                                      for s in specs})
            except QueryRefused as exc:
                errors.append(_("Refused: only read queries may be saved (%(why)s).", why=str(exc)))
        if errors:
            for e in errors:
                flash(e, "danger")
            return render_template("query_edit.html", q=q, form=form, types=PARAM_TYPES), 400
        if q is None:
            q = SavedQuery(slug=form["slug"], created_by=current_user.id)
            db.session.add(q)
            db.session.flush()
        version = (q.versions[-1].version + 1) if q.versions else 1
        db.session.add(SavedQueryVersion(query_id=q.id, version=version, title=form["title"],
                                         description=form["description"], legal_basis=form["legal_basis"],
                                         cypher=form["cypher"], params_json=json.dumps(specs, ensure_ascii=False),
                                         author_id=current_user.id))
        audit(current_user, "save_query", q.slug, version=version)
        db.session.commit()
        flash(_("Saved version %(v)s.", v=version), "success")
        return redirect(url_for("patterns.run_saved", qid=q.id))
    return render_template("query_edit.html", q=q, form=form, types=PARAM_TYPES)
