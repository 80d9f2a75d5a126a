"""Shared helpers for the web tests: an app on a fixture graph, users, logged-in clients."""
from __future__ import annotations

import re
from pathlib import Path

from app import create_app
from web.extensions import db
from web.models import User

WEB_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "web"
PASSWORD = "correct horse 42"


def make_app(graph, tmp_path: Path, **extra):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}", "SECRET_KEY": "test",
                      "GRAPH": graph, "TESTING": True, **extra})
    with app.app_context():
        for name, role in (("inv", "investigator"), ("sup", "supervisor"), ("adm", "admin")):
            u = User(username=name, role=role)
            u.set_password(PASSWORD)
            db.session.add(u)
        db.session.commit()
    return app


def csrf(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, f"no csrf token on {path}"
    return m.group(1)


def login(app, name: str):
    c = app.test_client()
    token = csrf(c)
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    c.token = csrf(c, "/account")  # the session (and its CSRF token) is new after login
    return c
