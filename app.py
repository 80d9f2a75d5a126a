"""Flask app factory for the investigator's web UI.

`create_app(config)` binds the app's own store (SQLAlchemy; SQLite under var/ by default),
login, Babel (Chinese by default, English on a switch), Flask-WTF CSRF and the session rules of
`web.security`, and the blueprints in `web/`. The evidence graph is a `graph.Graph` passed as GRAPH (tests) or
connected on first use, one driver per app, closed at exit.

CLI: `flask --app app users create NAME --role ROLE [--password P]`,
`flask --app app users create-demo`, `flask --app app scan [--as-of DATE]`,
`flask --app app audit verify`, `flask --app app audit export FILE.csv`.
Served in production by waitress: `waitress-serve --call app:create_app` (what `make demo` does).
"""
from __future__ import annotations

import atexit
import logging
import os
import secrets
from pathlib import Path

import click
from flask.cli import AppGroup
from flask import Flask, render_template
from sqlalchemy import inspect, text

import audittrail

from web.extensions import babel, db, login_manager
from web.i18n import compile_translations, select_locale, template_helpers

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "var"
logger = logging.getLogger(__name__)


def _secret_key() -> str:
    env = os.environ.get("SECRET_KEY")
    if env:
        return env
    path = VAR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    os.chmod(path, 0o600)
    return key


def create_app(config: dict | None = None) -> Flask:
    """Build the app. Config keys: SQLALCHEMY_DATABASE_URI, SECRET_KEY, GRAPH, TESTING, SCAN_AS_OF."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    cfg = dict(config or {})
    if "SQLALCHEMY_DATABASE_URI" not in cfg:
        VAR.mkdir(parents=True, exist_ok=True)
        cfg["SQLALCHEMY_DATABASE_URI"] = audittrail.default_url()
    app.config.update(
        SECRET_KEY=cfg.pop("SECRET_KEY", None) or _secret_key(),
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        RESULT_ROW_LIMIT=5000,
    )
    app.config.update(cfg)

    if os.environ.get("BEHIND_PROXY") == "1" or app.config.get("BEHIND_PROXY"):
        # A TLS-terminating proxy in front: trust its X-Forwarded-Proto/For (Secure cookies, throttle by address).
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)

    compile_translations(ROOT / "translations")
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    babel.init_app(app, locale_selector=select_locale)

    from web import models  # noqa: F401  (tables)
    from web import security
    security.init_app(app)
    from web.auth import bp as auth_bp
    from web.investigation_views import bp as investigation_views_bp
    from web.imports import bp as imports_bp
    from web.main import bp as main_bp
    from web.patterns import bp as patterns_bp
    from web.recovery import bp as recovery_bp
    from web.subjects import bp as subjects_bp
    from web.entities import bp as entities_bp
    for bp in (auth_bp, main_bp, subjects_bp, patterns_bp, investigation_views_bp, recovery_bp, imports_bp,
               entities_bp):
        app.register_blueprint(bp)

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(models.User, int(user_id))

    def pattern_title(pid: str) -> str:
        from web.i18n import current_lang
        from web.domain import load_patterns
        pats = app.extensions.get("patterns")
        if pats is None:
            pats = app.extensions["patterns"] = load_patterns()
        pat = pats.get(pid)
        if pat is None:
            return pid
        return getattr(pat, "title_" + current_lang(), None) or pat.title_zh or pid

    @app.context_processor
    def helpers() -> dict:
        return {**template_helpers(), "pattern_title": pattern_title}

    @app.after_request
    def security_headers(resp):
        # Everything is served by this app: no request may leave for a CDN.
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; connect-src 'self'; font-src 'self' data:; "
                                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    def http_error(exc):
        return render_template("error.html", code=exc.code, message=getattr(exc, "description", "")), exc.code

    from graph import GraphError

    @app.errorhandler(GraphError)
    def graph_error(exc):
        logger.warning("graph error: %s", exc)
        code = getattr(exc, "http_status", 500)
        return render_template("error.html", code=code, message=str(exc)), code

    with app.app_context():
        db.create_all()
        _upgrade_store(db.engine)

    def close_graph() -> None:
        gr = app.extensions.pop("evidence_graph", None)
        if gr is not None and gr is not app.config.get("GRAPH"):
            gr.close()

    atexit.register(close_graph)
    app.extensions["close_graph"] = close_graph
    _register_cli(app)
    return app


def _upgrade_store(engine) -> None:
    """Bring a store made by an older version up to date: the audit chain's table and column, the
    session and throttle columns of `users`, the correction columns of `recovery_records`; seal audit entries written before the chain existed."""
    audittrail.ensure_table(engine)
    cols = {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.begin() as conn:
        for name, ddl in (("session_epoch", "INTEGER NOT NULL DEFAULT 0"), ("failed_logins", "INTEGER NOT NULL DEFAULT 0"),
                          ("locked_until", "DATETIME")):
            if name not in cols:
                conn.execute(text(f"ALTER TABLE users ADD COLUMN {name} {ddl}"))
        rec_cols = {c["name"] for c in inspect(engine).get_columns("recovery_records")}
        for name, ddl in (("action", "VARCHAR(20) NOT NULL DEFAULT 'record'"),
                          ("replaces_id", "INTEGER REFERENCES recovery_records(id)"), ("reason", "TEXT")):
            if name not in rec_cols:  # recovery corrections / voids (history kept)
                conn.execute(text(f"ALTER TABLE recovery_records ADD COLUMN {name} {ddl}"))
        audittrail.seal(conn)


def _register_cli(app: Flask) -> None:
    from web.models import ROLES, User

    users = click.Group("users", help="Manage the app's users.")

    @users.command("create")
    @click.argument("name")
    @click.option("--role", type=click.Choice(ROLES), default="investigator", show_default=True)
    @click.option("--password", default=None, help="Generated and printed when omitted.")
    def create_user(name: str, role: str, password: str | None) -> None:
        """Create (or reset) a user."""
        pw = password or secrets.token_urlsafe(9)
        u = db.session.scalar(db.select(User).where(User.username == name))
        if u is None:
            u = User(username=name, role=role)
            db.session.add(u)
        u.role = role
        u.set_password(pw)
        db.session.commit()
        click.echo(f"user {name} ({role})" + ("" if password else f" password: {pw}"))

    @users.command("create-demo")
    def create_demo() -> None:
        """Create the demo supervisor account and print its login."""
        pw = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        u = db.session.scalar(db.select(User).where(User.username == "demo"))
        if u is None:
            u = User(username="demo", role="supervisor")
            db.session.add(u)
        u.role = "supervisor"
        u.set_password(pw)
        db.session.commit()
        click.echo(f"Demo login: user demo / password {pw}")

    @users.command("list")
    def list_users() -> None:
        for u in db.session.scalars(db.select(User).order_by(User.username)):
            click.echo(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}")

    app.cli.add_command(users)

    audit_cli = AppGroup("audit", help="Check and export the audit trail.")

    @audit_cli.command("verify")
    def audit_verify() -> None:
        """Recompute the hash chain; name the first broken entry (exit 1) or say all are intact."""
        with db.engine.connect() as conn:
            v = audittrail.verify(conn)
        if v.ok:
            click.echo(f"audit trail intact: {v.checked} entries, every link checks")
            return
        click.echo(f"audit trail BROKEN at entry {v.first_broken_id} ({v.checked} checked): {v.reason}", err=True)
        raise SystemExit(1)

    @audit_cli.command("export")
    @click.argument("path", type=click.Path(dir_okay=False))
    def audit_export(path: str) -> None:
        """Write every entry, oldest first, as CSV (cells neutralised against spreadsheet formulas)."""
        from web.csvout import write_rows
        with db.engine.connect() as conn:
            rows = list(reversed(list(audittrail.rows(conn, limit=None))))
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            write_rows(f, ["id", "at", "user", "action", "target", "detail", "hash"],
                       [[r.id, r.at, r.username, r.action, r.target, r.detail_json, r.hash] for r in rows])
        click.echo(f"{len(rows)} entries written to {path}")

    app.cli.add_command(audit_cli)

    @app.cli.command("scan")
    @click.option("--as-of", default=None, help="YYYY-MM-DD (default today)")
    def scan_cmd(as_of: str | None) -> None:
        """Run every pattern and store the leads (new since last scan, dismissals kept)."""
        from web.main import run_scan
        from web.i18n import parse_date
        run = run_scan(None, parse_date(as_of))
        audittrail.record_cli("scan", str(run.as_of or ""), url=str(db.engine.url.render_as_string(hide_password=False)),
                              scan_id=run.id, leads=run.lead_count, new=run.new_count)
        click.echo(f"scan {run.id}: {run.lead_count} leads, {run.new_count} new")
