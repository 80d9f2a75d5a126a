"""Login, logout, language switch, and the role guard used by the other blueprints."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable
from urllib.parse import urlparse

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .extensions import db
from .i18n import LANGUAGES
from .models import User, audit

bp = Blueprint("auth", __name__)


def role_required(*roles: str) -> Callable:
    """Login required, and the user's role at least one of `roles` (admin > supervisor > investigator)."""
    def deco(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403, description=_("Your role may not do this."))
            return view(*args, **kwargs)
        return wrapped
    return deco


def _safe_next(target: str | None) -> str:
    if target:
        u = urlparse(target)
        if not u.scheme and not u.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        name = (request.form.get("username") or "").strip()
        pw = request.form.get("password") or ""
        user = db.session.scalar(db.select(User).where(User.username == name))
        if user is not None and user.is_active and user.check_password(pw):
            login_user(user)
            audit(user, "login")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit(None, "login_failed", name[:80])
        db.session.commit()
        flash(_("Wrong user name or password."), "danger")
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit(current_user, "logout")
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
