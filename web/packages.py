"""Evidence packages from the web: where they are kept, building one as the logged-in user (audited),
and the download response shared by the subject and investigation pages."""
from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import current_app

from graph import Graph

from .domain import today

logger = logging.getLogger(__name__)


def package_dir() -> Path:
    """Where generated packages are kept: `PACKAGE_DIR` from config, else var/packages of the app."""
    configured = current_app.config.get("PACKAGE_DIR")
    return Path(configured) if configured else Path(current_app.root_path) / "var" / "packages"


def default_package_as_of() -> dt.date:
    """The as-of of the last stored scan (so the package matches the leads shown), else SCAN_AS_OF, else today."""
    from .leadstore import last_scan
    run = last_scan()
    if run is not None and run.as_of is not None:
        return run.as_of
    return current_app.config.get("SCAN_AS_OF") or today()


def subject_cases(graph: Graph, subject_id: str) -> list[dict]:
    """The subject's cases (case_no, kind, open) for the package form's case selector."""
    from investigations import subject as subject_dossier
    prof = subject_dossier.profile(graph, subject_id)
    return list(prof["cases"]) if prof else []


def notes_for_package(notes: list[Any]) -> list[dict]:
    """Investigation notes (web.models.Note) as build_package wants them: author, time, text, in order."""
    return [{"author": getattr(n.author, "username", "") or "", "at": n.created_at, "text": n.body or ""}
            for n in notes]


def package_download_name(subject_id: str, package_id: str) -> str:
    """证据材料包_<subject>_<package id>.zip; the subject id reduced to characters safe in a file name."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f\s]+', "_", subject_id).strip("._") or "subject"
    return f"证据材料包_{safe[:80]}_{package_id}.zip"


def generate_package(graph: Graph, user: Any, subject_id: str, case_no: str | None, as_of: dt.date,
                     notes: list[dict] | None = None, investigation_id: int | None = None) -> Any:
    """Build the evidence package with `user` as investigator, audit it in the app's audit log (who,
    subject, case, package id, zip SHA-256), and keep it in <package_dir>/<package_id>/.

    Built in a temporary folder first because the package id is known only once it is built.
    Raises evidence.package.PackageError (unknown subject or case, missing font).
    """
    from evidence.package import build_package

    from .extensions import db
    from .models import audit

    root = package_dir()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))

    def audit_fn(action: str, details: dict) -> None:
        extra = {"investigation": investigation_id} if investigation_id is not None else {}
        audit(user, action, subject_id, **details, **extra)

    try:
        res = build_package(graph, subject_id, tmp, case_no=case_no, as_of=as_of,
                            investigator=getattr(user, "username", "") or "", notes=notes, audit=audit_fn)
        final = root / res.package_id
        if final.exists():  # the same package regenerated: same id, keep the newest
            shutil.rmtree(final, ignore_errors=True)
        try:
            tmp.rename(final)
        except OSError:  # a concurrent build of the same package took the name: keep ours beside it
            final = root / f"{res.package_id}{tmp.name[len('.build'):]}"
            tmp.rename(final)
    except BaseException:
        db.session.rollback()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    db.session.commit()
    res.out_dir = final
    res.zip_path = final / res.zip_path.name
    res.pdf_path = final / res.pdf_path.name
    res.paths = {k: final / p.name for k, p in res.paths.items()}
    logger.info("package %s for %s by %s in %s", res.package_id, subject_id, getattr(user, "username", None), final)
    return res


def package_response(graph: Graph, user: Any, subject_id: str, form: Any, back: str,
                     notes: list[dict] | None = None, investigation_id: int | None = None) -> Any:
    """The package views' shared body: read case and as-of from the form, build, send the ZIP;
    a bad date or a PackageError becomes a flashed (translated) message and a redirect to `back`."""
    from flask import flash, redirect, send_file
    from flask_babel import gettext as _

    from evidence.package import PackageError

    from .i18n import parse_date

    case_no = (form.get("case_no") or "").strip() or None
    try:
        as_of = parse_date(form.get("as_of")) or default_package_as_of()
    except ValueError:
        flash(_("Bad date."), "danger")
        return redirect(back)
    try:
        res = generate_package(graph, user, subject_id, case_no, as_of, notes=notes,
                               investigation_id=investigation_id)
    except PackageError as exc:
        logger.info("package for %s refused: %s", subject_id, exc)
        if str(exc).startswith("unknown subject"):
            flash(_("No person or company with this id."), "danger")
        elif case_no is not None and str(exc).startswith("case "):
            flash(_("Case %(case)s is not a case of this subject; no package was generated.", case=case_no),
                  "danger")
        else:
            flash(_("The evidence package could not be generated: %(reason)s", reason=str(exc)), "danger")
        return redirect(back)
    resp = send_file(res.zip_path, mimetype="application/zip", as_attachment=True,
                     download_name=package_download_name(subject_id, res.package_id), max_age=0)
    # Werkzeug's ASCII fallback would drop the Chinese words and leave "_P001_...": give a readable one.
    ascii_name = re.sub(r"[^0-9A-Za-z_.-]+", "_", f"evidence-package_{subject_id}_{res.package_id}.zip")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(package_download_name(subject_id, res.package_id), safe='')}")
    resp.headers["X-Package-Id"] = res.package_id
    resp.headers["X-Package-SHA256"] = res.zip_sha256
    resp.headers["Cache-Control"] = "no-store"
    return resp
