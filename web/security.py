"""Sessions, CSRF and login throttling: what keeps one browser's session from leaking to the next user.

- CSRF: Flask-WTF's `CSRFProtect` guards every POST/PUT/PATCH/DELETE of every blueprint. A form gets
  its token with `<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`; scripts send
  it in the `X-CSRFToken` (or `X-CSRF-Token`) header. Nothing else is needed for a new blueprint.
- Sessions are cleared at login and logout, end after `SESSION_IDLE_MINUTES` without a request,
  carry `Secure` whenever the request came over HTTPS, and end when the user's `session_epoch`
  moves (password change, role change, disabled).
- Logins: `LOGIN_MAX_FAILURES` failures in a row lock the account for `LOGIN_LOCK_MINUTES`; a client
  address that fails more than `LOGIN_IP_MAX_FAILURES` times in `LOGIN_LOCK_MINUTES` is refused too.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from ingest import clock

from .extensions import db
from .i18n import current_lang
from .models import LoginFailure, User, audit, utcnow

logger = logging.getLogger(__name__)
csrf = CSRFProtect()

DEFAULTS = {
    "SESSION_IDLE_MINUTES": 30,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_IP_MAX_FAILURES": 30,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which login/logout/idle end
    "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
}


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie carries `Secure` whenever this request came over HTTPS (or the config says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        try:
            return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure
        except RuntimeError:
            return bool(app.config.get("SESSION_COOKIE_SECURE"))


def init_app(app: Flask) -> None:
    for k, v in DEFAULTS.items():
        app.config.setdefault(k, v)
    csrf.init_app(app)
    app.session_interface = HttpsAwareSessionInterface()

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        logger.info("CSRF refused: %s", exc.description)
        return render_template("error.html", code=400,
                               message=_("CSRF token missing or wrong; reload the page.")), 400

    @app.before_request
    def check_session():
        if request.endpoint in ("static",) or not current_user.is_authenticated:
            return None
        now = time.time()
        idle = float(app.config["SESSION_IDLE_MINUTES"]) * 60
        seen = session.get("seen")
        reason = None
        if session.get("epoch") != current_user.session_epoch:
            reason = _("Your session ended because your password, role or account changed. Please log in again.")
        elif not current_user.is_active:
            reason = _("Your account is disabled.")
        elif seen is not None and now - float(seen) > idle:
            reason = _("Your session ended after %(n)s minutes without activity. Please log in again.",
                       n=int(app.config["SESSION_IDLE_MINUTES"]))
        if reason:
            end_session()
            flash(reason, "warning")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        session["seen"] = now
        return None


def start_session(user: User) -> None:
    """A fresh session for `user`: nothing of the previous one (revealed IDs, language aside) survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    from flask_login import login_user
    login_user(user)
    session["epoch"] = user.session_epoch
    session["seen"] = time.time()


def end_session() -> None:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


# --- login throttle -----------------------------------------------------------------------------
def _ip_blocked(app: Flask, ip: str, add: bool = False) -> bool:
    """Whether `ip` failed `LOGIN_IP_MAX_FAILURES` times within `LOGIN_LOCK_MINUTES` (after recording one
    more failure when `add`). Counted in the app store (`login_failures`), so every process agrees;
    failures older than the window are deleted as they expire. Commits with the caller's commit."""
    since = utcnow() - dt.timedelta(minutes=float(app.config["LOGIN_LOCK_MINUTES"]))
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.at < since))
    if add:
        db.session.add(LoginFailure(ip=ip[:64], at=utcnow()))
        db.session.flush()
    n = db.session.scalar(db.select(db.func.count()).select_from(LoginFailure)
                          .where(LoginFailure.ip == ip[:64], LoginFailure.at >= since))
    return int(n or 0) >= int(app.config["LOGIN_IP_MAX_FAILURES"])


def attempt_login(app: Flask, name: str, password: str) -> tuple[User | None, str | None]:
    """Check a login under the throttle; (user, None) on success, else (None, message). Audited either way."""
    ip = request.remote_addr or "?"
    if _ip_blocked(app, ip):
        audit(None, "login_throttled", name[:80], ip=ip)
        db.session.commit()
        return None, _("Too many failed logins from this computer; wait %(n)s minutes.",
                       n=int(app.config["LOGIN_LOCK_MINUTES"]))
    user = db.session.scalar(db.select(User).where(User.username == name))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit(None, "login_locked_out", name[:80], ip=ip, until=user.locked_until)
        db.session.commit()
        return None, _("This account is locked after repeated failed logins; try again after %(t)s.",
                       t=clock.display(user.locked_until, current_lang()))
    if user is not None and user.is_active and user.check_password(password):
        user.failed_logins = 0
        user.locked_until = None
        audit(user, "login", ip=ip)
        db.session.commit()
        return user, None
    _ip_blocked(app, ip, add=True)
    audit(None, "login_failed", name[:80], ip=ip)
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= int(app.config["LOGIN_MAX_FAILURES"]):
            user.locked_until = now + dt.timedelta(minutes=float(app.config["LOGIN_LOCK_MINUTES"]))
            user.failed_logins = 0
            audit(None, "account_locked", name[:80], ip=ip, until=user.locked_until)
            db.session.commit()
            return None, _("This account is locked after repeated failed logins; try again after %(t)s.",
                           t=clock.display(user.locked_until, current_lang()))
    db.session.commit()
    return None, _("Wrong user name or password.")
