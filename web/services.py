"""The app's door to the evidence graph and the investigations API (one Graph per app, opened lazily).

Queries here are the UI's own small reads (search, dashboard counts); everything about a
subject lives in `investigations.subject`, patterns and scans in `investigations`.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import current_app

from graph import Graph

logger = logging.getLogger(__name__)
_lock = threading.Lock()

Q_SEARCH_PERSON_NAME = """
MATCH (p:Person) WHERE p.name CONTAINS $q
RETURN p.person_id AS id, 'person' AS kind, p.name AS name, p.id_number AS id_number,
       'Inmate' IN labels(p) AS inmate, p.prison AS prison
ORDER BY size(p.name), p.person_id LIMIT $limit
"""
Q_SEARCH_PERSON_ID = """
CALL () {
  MATCH (p:Person {person_id: $q}) RETURN p
  UNION
  MATCH (p:Person {id_number: $q}) RETURN p
  UNION
  MATCH (p:Inmate {inmate_no: $q}) RETURN p
}
RETURN p.person_id AS id, 'person' AS kind, p.name AS name, p.id_number AS id_number,
       'Inmate' IN labels(p) AS inmate, p.prison AS prison
LIMIT $limit
"""
Q_SEARCH_COMPANY = """
CALL () {
  MATCH (c:Company) WHERE c.name CONTAINS $q RETURN c
  UNION
  MATCH (c:Company {company_id: $q}) RETURN c
}
RETURN c.company_id AS id, 'company' AS kind, c.name AS name
ORDER BY size(c.name), c.company_id LIMIT $limit
"""
Q_SEARCH_ACCOUNT = """
CALL () {
  MATCH (a:Account {account_id: $q}) RETURN a
  UNION
  MATCH (a:Account) WHERE a.aliases IS NOT NULL AND $q IN a.aliases RETURN a  // a card number of the account
}
OPTIONAL MATCH (h)-[:HOLDS]->(a)
RETURN a.account_id AS id, a.kind AS account_kind, a.institution AS institution,
       coalesce(a.holder_known, false) AS holder_known, a.holder_id AS holder_id, h.name AS holder_name,
       a.stmt_names AS stmt_names
LIMIT $limit
"""
Q_SEARCH_CASE = """
MATCH (k:Case) WHERE k.case_no CONTAINS $q
OPTIONAL MATCH (d)-[:DEBTOR_IN]->(k)
RETURN k.case_no AS case_no, k.kind AS kind, k.court AS court, k.debtor_id AS debtor_id, d.name AS debtor_name,
       k.unpaid_fen AS unpaid_fen
ORDER BY k.case_no LIMIT $limit
"""
Q_LOADS = """
MATCH (l:Load)
RETURN l.load_id AS load_id, l.started_at AS started_at, l.finished_at AS finished_at,
       l.source_dir AS source_dir, l.status AS status
ORDER BY l.started_at DESC LIMIT 50
"""
Q_UNPAID = """
MATCH (k:Case) WHERE k.unpaid_fen > 0
RETURN count(k) AS open_cases, sum(k.unpaid_fen) AS unpaid_fen
"""
# Prison of each subject and court of each case, to filter leads on the dashboard.
Q_LEAD_CONTEXT = """
UNWIND $pairs AS pr
OPTIONAL MATCH (p:Person {person_id: pr.subject_id})
OPTIONAL MATCH (k:Case {case_no: pr.case_no})
RETURN pr.subject_id AS subject_id, pr.case_no AS case_no, p.prison AS prison, k.court AS court
"""
Q_UNPAID_OF = """
UNWIND $ids AS id
MATCH (k:Case {debtor_id: id}) WHERE k.unpaid_fen > 0
RETURN id, sum(k.unpaid_fen) AS unpaid_fen
"""


def get_graph() -> Graph:
    """The app's Graph: `GRAPH` from config (tests), else one connection made on first use."""
    ext = current_app.extensions
    g = ext.get("evidence_graph")
    if g is None:
        with _lock:
            g = ext.get("evidence_graph")
            if g is None:
                g = current_app.config.get("GRAPH") or Graph.connect()
                ext["evidence_graph"] = g
    return g


def search(graph: Graph, q: str, limit: int = 50) -> dict[str, list[dict]]:
    """Persons and companies by (partial) Chinese name, ID number, id; accounts; case numbers."""
    q = (q or "").strip()
    if not q:
        return {"persons": [], "companies": [], "accounts": [], "cases": []}
    p = {"q": q, "limit": limit}
    persons = {r["id"]: r for r in graph.read(Q_SEARCH_PERSON_ID, p)}
    for r in graph.read(Q_SEARCH_PERSON_NAME, p):
        persons.setdefault(r["id"], r)
    return {"persons": list(persons.values())[:limit], "companies": graph.read(Q_SEARCH_COMPANY, p),
            "accounts": graph.read(Q_SEARCH_ACCOUNT, p), "cases": graph.read(Q_SEARCH_CASE, p)}


def loads(graph: Graph) -> list[dict]:
    return graph.read(Q_LOADS)


def unpaid_totals(graph: Graph) -> dict[str, int]:
    row = graph.read_one(Q_UNPAID) or {}
    return {"open_cases": row.get("open_cases") or 0, "unpaid_fen": row.get("unpaid_fen") or 0}


def unpaid_of(graph: Graph, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    return {r["id"]: r["unpaid_fen"] for r in graph.read(Q_UNPAID_OF, {"ids": ids})}


def lead_context(graph: Graph, leads: list[dict]) -> dict[tuple[str, str | None], dict]:
    pairs = [{"subject_id": lead.get("subject_id"), "case_no": lead.get("case_no")} for lead in leads]
    out: dict[tuple[str, str | None], dict] = {}
    for i in range(0, len(pairs), 5000):
        for r in graph.read(Q_LEAD_CONTEXT, {"pairs": pairs[i:i + 5000]}):
            out[(r["subject_id"], r["case_no"])] = {"prison": r["prison"], "court": r["court"]}
    return out


# --- investigations API (written by the detection engineer); guarded so the app imports without it --
def investigations_api() -> Any | None:
    try:
        import investigations  # noqa: F401
        if not hasattr(investigations, "scan"):
            return None
        return investigations
    except ImportError:
        return None


def load_patterns() -> dict:
    """Built-in patterns, or {} when the investigations package is not there yet."""
    try:
        from investigations.patterns import load_patterns as lp
    except ImportError:
        logger.warning("investigations.patterns not available")
        return {}
    return lp()


def today() -> dt.date:
    return dt.date.today()


# --- evidence packages (investigations.package) for the subject and investigation pages ---------
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
    from investigations import subject as subj
    prof = subj.profile(graph, subject_id)
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
    Raises investigations.package.PackageError (unknown subject or case, missing font).
    """
    from investigations.package import build_package

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

    from investigations.package import PackageError

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
