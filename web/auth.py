"""Login, logout, own password, language switch, the admin's users page, and the role guard.

Roles (each includes the one before): investigator (search, view, run patterns and saved queries,
notes, packages, dismiss a lead with a reason), supervisor (also restore dismissed leads, reassign and
close any investigation, edit saved queries, reveal masked data, read the audit log, import data),
admin (also users). An investigation's own assignee may close it.
"""
from __future__ import annotations

import secrets
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .extensions import db
from .i18n import LANGUAGES
from .models import ROLES, User, audit
from .security import attempt_login, end_session, start_session

bp = Blueprint("auth", __name__)

MIN_PASSWORD = 10


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
        user, error = attempt_login(current_app._get_current_object(), name, request.form.get("password") or "")
        if user is not None:
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(error, "danger")
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit(current_user, "logout")
    db.session.commit()
    end_session()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


def _password_problem(pw: str) -> str | None:
    if len(pw) < MIN_PASSWORD:
        return _("The password needs at least %(n)s characters.", n=MIN_PASSWORD)
    return None


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Change one's own password; every other session of this user ends."""
    if request.method == "POST":
        user = current_user._get_current_object()
        if not user.check_password(request.form.get("current") or ""):
            flash(_("The current password is wrong."), "danger")
            return render_template("account.html"), 400
        new = request.form.get("new") or ""
        problem = _password_problem(new)
        if problem:
            flash(problem, "danger")
            return render_template("account.html"), 400
        user.set_password(new)
        audit(user, "change_password", user.username)
        db.session.commit()
        start_session(user)  # this browser stays logged in; every other session of the user ends
        flash(_("Password changed; your other sessions have ended."), "success")
        return redirect(url_for("auth.account"))
    return render_template("account.html")


# --- users (admin) ----------------------------------------------------------------------------------
@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    """List users; create one (a generated password is shown once)."""
    if request.method == "POST":
        name = (request.form.get("username") or "").strip()
        role = request.form.get("role") or "investigator"
        if not name or len(name) > 80 or role not in ROLES:
            flash(_("A user needs a name (up to 80 characters) and a known role."), "danger")
        elif db.session.scalar(db.select(User).where(User.username == name)) is not None:
            flash(_("This user name is taken."), "danger")
        else:
            pw = secrets.token_urlsafe(12)
            u = User(username=name, role=role)
            u.set_password(pw)
            db.session.add(u)
            audit(current_user, "create_user", name, role=role)
            db.session.commit()
            flash(_("User %(name)s created; initial password (shown once): %(pw)s", name=name, pw=pw), "success")
        return redirect(url_for("auth.users"))
    rows = db.session.scalars(db.select(User).order_by(User.username)).all()
    return render_template("users.html", users=rows, roles=ROLES)


@bp.route("/admin/users/<int:uid>", methods=["POST"])
@role_required("admin")
def update_user(uid: int):
    """Change a role, disable / enable, or reset a password; each ends that user's sessions."""
    u = db.session.get(User, uid)
    if u is None:
        abort(404)
    op = request.form.get("op")
    if op == "role":
        role = request.form.get("role")
        if role not in ROLES:
            abort(400, description=_("Unknown role."))
        if u.id == current_user.id and role != "admin":
            abort(400, description=_("You cannot take the admin role from yourself."))
        audit(current_user, "change_role", u.username, old=u.role, new=role)
        u.role = role
        u.end_sessions()
    elif op in ("disable", "enable"):
        if u.id == current_user.id:
            abort(400, description=_("You cannot disable yourself."))
        u.active = op == "enable"
        u.end_sessions()
        audit(current_user, op + "_user", u.username)
    elif op == "reset":
        pw = secrets.token_urlsafe(12)
        u.set_password(pw)
        u.locked_until = None
        u.failed_logins = 0
        audit(current_user, "reset_password", u.username)
        flash(_("New password for %(name)s (shown once): %(pw)s", name=u.username, pw=pw), "success")
    elif op == "unlock":
        u.locked_until = None
        u.failed_logins = 0
        audit(current_user, "unlock_user", u.username)
    else:
        abort(400)
    db.session.commit()
    if u.id == current_user.id:
        start_session(u)
    return redirect(url_for("auth.users"))
