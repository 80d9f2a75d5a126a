"""The import page for supervisors: upload returns and tables (files or a zip), see what each file
is with a preview of normalised rows, load in the background with a progress bar, read the
summary, download rejects, list loads and undo one. Every step is audited."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, \
    url_for
from flask_babel import gettext as _
from flask_login import current_user

from ingest import imports as imp
from ingest.loads import UnknownLoad, list_loads, unload

from .graph_access import get_graph
from .auth import role_required
from .extensions import db
from .models import audit

bp = Blueprint("imports", __name__)
logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def _root() -> Path:
    root = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.root_path) / "var" / "imports")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _batch(bid: str) -> Path:
    try:
        return imp.batch_dir(_root(), bid)
    except imp.ImportRefused:
        abort(404)


@bp.route("/imports")
@role_required("supervisor")
def index():
    return render_template("imports.html", loads=list_loads(get_graph()),
                           max_mb=current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES) // 2**20)


@bp.route("/imports/upload", methods=["POST"])
@role_required("supervisor")
def upload():
    request.max_content_length = current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        flash(_("Choose at least one file."), "warning")
        return redirect(url_for("imports.index"))
    try:
        bid, names = imp.stage(_root(), [(f.filename, f.stream) for f in files])
    except imp.ImportRefused as exc:
        audit(current_user, "import.refused", None, reason=str(exc), files=[f.filename for f in files])
        db.session.commit()
        flash(_("Upload refused: %(why)s", why=str(exc)), "danger")
        return redirect(url_for("imports.index"))
    audit(current_user, "import.upload", bid, files=names)
    db.session.commit()
    return redirect(url_for("imports.batch", bid=bid))


def _accounts(path: Path) -> dict[str, str]:
    f = path / "accounts.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}


@bp.route("/imports/<bid>")
@role_required("supervisor")
def batch(bid: str):
    path = _batch(bid)
    reports = imp.inspect(path / "files", _accounts(path))
    rejects = sorted(p.name for p in (path / "rejects").glob("*.csv")) if (path / "rejects").is_dir() else []
    return render_template("import_batch.html", bid=bid, reports=reports, job=imp.job(bid), rejects=rejects,
                           can_load=all(r.kind != "unknown" and not r.why_not for r in reports))


@bp.route("/imports/<bid>/accounts", methods=["POST"])
@role_required("supervisor")
def set_accounts(bid: str):
    path = _batch(bid)
    names = {p.name for p in (path / "files").iterdir()}
    accounts = {k[len("account:"):]: v.strip() for k, v in request.form.items()
                if k.startswith("account:") and k[len("account:"):] in names and v.strip()}
    (path / "accounts.json").write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")
    audit(current_user, "import.accounts", bid, accounts=accounts)
    db.session.commit()
    return redirect(url_for("imports.batch", bid=bid))


@bp.route("/imports/<bid>/load", methods=["POST"])
@role_required("supervisor")
def load(bid: str):
    path = _batch(bid)
    j = imp.start_load(get_graph(), path, _accounts(path))
    audit(current_user, "import.load", bid, load_id=j["load_id"])
    db.session.commit()
    return redirect(url_for("imports.batch", bid=bid))


@bp.route("/imports/<bid>/status")
@role_required("supervisor")
def status(bid: str):
    _batch(bid)
    j = imp.job(bid)
    if j is None:
        return jsonify({"status": "none"})
    return jsonify({k: j[k] for k in ("status", "load_id", "done_rows", "total_rows", "stage", "error")})


@bp.route("/imports/<bid>/rejects/<name>")
@role_required("supervisor")
def rejects(bid: str, name: str):
    f = imp.rejects_file(_batch(bid), name)
    if f is None:
        abort(404)
    audit(current_user, "import.rejects_download", bid, file=name)
    db.session.commit()
    return send_file(f, mimetype="text/csv", as_attachment=True, download_name=f"{bid}_{name}")


@bp.route("/imports/loads/<load_id>/undo", methods=["POST"])
@role_required("supervisor")
def undo(load_id: str):
    try:
        removed = unload(get_graph(), load_id)
    except UnknownLoad:
        abort(404)
    audit(current_user, "import.undo", load_id, removed=removed)
    db.session.commit()
    flash(_("Load %(id)s undone.", id=load_id), "success")
    return redirect(url_for("imports.index"))
