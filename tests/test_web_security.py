"""Issue 9 at the web boundary, through Flask's test client against a real Neo4j (tests/fixtures/web):
CSRF (Flask-WTF), sessions, roles per action, throttled login, bounded parameters, the audit trail
and its hash chain, CSV formula neutralising, refused queries."""
from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from sqlalchemy import select, text as sql

import audittrail
from web.extensions import db
from web.models import AuditLog, Investigation, LeadDismissal, LeadRecord, SavedQuery, User

from test_webutil import PASSWORD, WEB_FIXTURE, csrf, login, make_app

AS_OF = dt.date(2025, 10, 31)
FULL_ID = "11010119700307001X"


@pytest.fixture(scope="module")
def loaded(module_graph, tmp_path_factory):
    from ingest import load_dir
    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


@pytest.fixture
def app(loaded, tmp_path):
    app = make_app(loaded, tmp_path, SCAN_AS_OF=AS_OF)
    with app.app_context():
        u = User(username="inv2", role="investigator")
        u.set_password(PASSWORD)
        db.session.add(u)
        db.session.commit()
    return app


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data})


def body(resp) -> str:
    return resp.get_data(as_text=True)


def actions(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


# --- CSRF --------------------------------------------------------------------------------------------
def test_csrf_by_flask_wtf_form_field_and_header(app):
    inv = login(app, "inv")
    assert inv.post("/investigations/open", data={"subject_id": "P001"}).status_code == 400
    assert inv.post("/investigations/open", data={"subject_id": "P001", "csrf_token": "forged"}).status_code == 400
    assert post(inv, "/investigations/open", subject_id="P001").status_code == 302
    r = inv.post("/investigations/open", data={"subject_id": "P001"}, headers={"X-CSRFToken": inv.token})
    assert r.status_code == 302
    # a token from another session does not work here
    other = login(app, "inv2")
    assert inv.post("/investigations/open", data={"subject_id": "P001", "csrf_token": other.token}).status_code == 400


# --- sessions ----------------------------------------------------------------------------------------
def test_session_cleared_at_logout_and_login(app):
    sup = login(app, "sup")
    assert post(sup, "/subject/P001/reveal").status_code == 302
    assert FULL_ID in body(sup.get("/subject/P001"))
    assert post(sup, "/logout").status_code == 302
    assert sup.get("/subject/P001").status_code == 302  # logged out
    with sup.session_transaction() as s:
        assert "revealed" not in s and "_user_id" not in s
    token = csrf(sup)
    assert sup.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert FULL_ID not in body(sup.get("/subject/P001"))  # the next user of this browser sees it masked
    # a session planted before login does not survive it
    c = app.test_client()
    token = csrf(c)
    with c.session_transaction() as s:
        s["revealed"] = ["P001"]
    c.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token})
    with c.session_transaction() as s:
        assert "revealed" not in s


def test_idle_timeout(app):
    app.config["SESSION_IDLE_MINUTES"] = 0.02  # 1.2 s
    inv = login(app, "inv")
    assert inv.get("/account").status_code == 200
    time.sleep(1.5)
    r = inv.get("/account")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert inv.get("/account").status_code == 302


def test_secure_cookie_over_https_only(app):
    c = app.test_client()
    r = c.get("/login", base_url="https://localhost")
    assert "Secure" in r.headers.get("Set-Cookie", "")
    r = app.test_client().get("/login")
    cookie = r.headers.get("Set-Cookie", "")
    assert cookie and "Secure" not in cookie and "HttpOnly" in cookie


def test_password_change_and_disabling_end_sessions(app):
    a1, a2 = login(app, "inv"), login(app, "inv")
    r = post(a1, "/account", current=PASSWORD, new="a brand new secret")
    assert r.status_code == 302
    assert a1.get("/account").status_code == 200          # the browser that changed it stays in
    r = a2.get("/account")
    assert r.status_code == 302 and "/login" in r.headers["Location"]  # every other session ended
    assert post(a1, "/account", current="wrong", new="another secret 1").status_code == 400
    # an admin disables inv2: inv2's open session ends, and it cannot log in again
    victim = login(app, "inv2")
    adm = login(app, "adm")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "inv2"))
    assert post(adm, f"/admin/users/{uid}", op="disable").status_code == 302
    assert victim.get("/account").status_code == 302
    c = app.test_client()
    token = csrf(c)
    assert c.post("/login", data={"username": "inv2", "password": PASSWORD, "csrf_token": token}).status_code == 200


# --- roles ---------------------------------------------------------------------------------------------
def test_roles_at_each_boundary(app):
    inv, sup, adm = login(app, "inv"), login(app, "sup"), login(app, "adm")
    gets = {"/audit": "supervisor", "/audit/export.csv": "supervisor", "/queries/new": "supervisor",
            "/admin/users": "admin", "/search?q=张": "investigator", "/patterns": "investigator",
            "/subject/P001": "investigator", "/investigations": "investigator"}
    rank = {"investigator": 0, "supervisor": 1, "admin": 2}
    for url, need in gets.items():
        for who, client in (("investigator", inv), ("supervisor", sup), ("admin", adm)):
            code = client.get(url).status_code
            assert (code == 200) == (rank[who] >= rank[need]), (url, who, code)
            assert code in (200, 403), (url, who, code)
    anon = app.test_client()
    assert anon.get("/admin/users").status_code == 302
    # posts: reveal, rescan, restore are a supervisor's; user management an admin's
    for url, data in (("/subject/P001/reveal", {}), ("/scan", {"as_of": "2025-10-31"}),
                      ("/leads/L1/restore", {})):
        assert post(inv, url, **data).status_code == 403, url
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "inv2"))
    assert post(sup, f"/admin/users/{uid}", op="role", role="admin").status_code == 403
    assert post(adm, f"/admin/users/{uid}", op="role", role="supervisor").status_code == 302
    with app.app_context():
        assert db.session.get(User, uid).role == "supervisor"


def test_dismiss_needs_a_reason_and_restore_a_supervisor(app):
    inv, sup = login(app, "inv"), login(app, "sup")
    assert post(inv, "/leads/L-x/dismiss", reason="  ", next="/").status_code == 302
    with app.app_context():
        assert db.session.get(LeadDismissal, "L-x") is None
    assert post(inv, "/leads/L-x/dismiss", reason="已核实为正常往来", next="/").status_code == 302
    with app.app_context():
        assert db.session.get(LeadDismissal, "L-x").reason == "已核实为正常往来"
    assert post(inv, "/leads/L-x/restore").status_code == 403
    assert post(sup, "/leads/L-x/restore").status_code == 302
    with app.app_context():
        assert db.session.get(LeadDismissal, "L-x") is None


def test_investigation_close_and_reassign_rights(app):
    inv, inv2, sup = login(app, "inv"), login(app, "inv2"), login(app, "sup")
    r = post(inv, "/investigations/open", subject_id="P001")
    iid = int(r.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        inv2_id = db.session.scalar(select(User.id).where(User.username == "inv2"))
    # another investigator may neither close nor reassign it
    assert post(inv2, f"/investigations/{iid}/update", status="dismissed").status_code == 403
    assert post(inv2, f"/investigations/{iid}/update", assignee_id=str(inv2_id)).status_code == 403
    # its own assignee may not reassign, but may close it
    assert post(inv, f"/investigations/{iid}/update", assignee_id=str(inv2_id)).status_code == 403
    assert post(inv, f"/investigations/{iid}/update", status="referred").status_code == 302
    with app.app_context():
        i = db.session.get(Investigation, iid)
        assert i.status == "referred" and i.assignee_id != inv2_id
    # a supervisor may reassign and close any
    assert post(sup, f"/investigations/{iid}/update", assignee_id=str(inv2_id), status="dismissed").status_code == 302
    with app.app_context():
        i = db.session.get(Investigation, iid)
        assert i.assignee_id == inv2_id and i.status == "dismissed"


def test_admin_user_page_creates_resets_and_unlocks(app):
    adm = login(app, "adm")
    html = body(adm.get("/admin/users"))
    assert 'id="user-inv"' in html and 'id="new-user"' in html
    r = post(adm, "/admin/users", username="newbie", role="investigator")
    assert r.status_code == 302
    flashed = body(adm.get("/admin/users"))
    assert "newbie" in flashed
    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == "newbie"))
        assert u is not None and u.role == "investigator"
        uid = u.id
    post(adm, f"/admin/users/{uid}", op="reset")
    with app.app_context():
        assert [r.target for r in db.session.scalars(select(AuditLog).where(
            AuditLog.action.in_(("create_user", "reset_password"))))] == ["newbie", "newbie"]


# --- throttled login -------------------------------------------------------------------------------------
def test_login_lockout_after_repeated_failures(app):
    c = app.test_client()
    token = csrf(c)
    for _ in range(5):
        r = c.post("/login", data={"username": "inv", "password": "wrong", "csrf_token": token})
        assert r.status_code == 200
    assert "锁定" in body(r)
    # the right password is refused while locked
    r = c.post("/login", data={"username": "inv", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200 and "锁定" in body(r)
    assert len(actions(app, "login_failed")) == 5
    assert len(actions(app, "account_locked")) == 1 and len(actions(app, "login_locked_out")) == 1
    # an admin unlocks it
    adm = login(app, "adm")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "inv"))
    post(adm, f"/admin/users/{uid}", op="unlock")
    login(app, "inv")


def test_login_throttled_per_address(app):
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    c = app.test_client()
    token = csrf(c)
    for name in ("x1", "x2", "x3"):
        c.post("/login", data={"username": name, "password": "nope", "csrf_token": token},
               environ_base={"REMOTE_ADDR": "10.9.9.9"})
    r = c.post("/login", data={"username": "inv", "password": PASSWORD, "csrf_token": token},
               environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert r.status_code == 200 and actions(app, "login_throttled")



def test_login_throttle_is_shared_by_processes_using_one_store(app, loaded):
    """Two app instances on one store (two waitress processes): failures seen by one throttle the other;
    another address is not throttled, and failures older than the window stop counting."""
    from app import create_app
    from web.models import LoginFailure
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test",
                        "GRAPH": loaded, "TESTING": True, "SCAN_AS_OF": AS_OF})
    for a in (app, other):
        a.config["LOGIN_IP_MAX_FAILURES"] = 3
    c1, c2 = app.test_client(), other.test_client()
    t1, t2 = csrf(c1), csrf(c2)
    for name in ("x1", "x2", "x3"):
        c1.post("/login", data={"username": name, "password": "nope", "csrf_token": t1},
                environ_base={"REMOTE_ADDR": "10.8.8.8"})
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LoginFailure)
                                 .where(LoginFailure.ip == "10.8.8.8")) == 3
    r = c2.post("/login", data={"username": "inv", "password": PASSWORD, "csrf_token": t2},
                environ_base={"REMOTE_ADDR": "10.8.8.8"})
    assert r.status_code == 200 and actions(app, "login_throttled")[-1].detail["ip"] == "10.8.8.8"
    r = c2.post("/login", data={"username": "inv", "password": PASSWORD, "csrf_token": t2},
                environ_base={"REMOTE_ADDR": "10.7.7.7"})
    assert r.status_code == 302  # another computer logs in
    with app.app_context():  # the window passes
        db.session.execute(db.update(LoginFailure).values(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)))
        db.session.commit()
    c3 = other.test_client()
    r = c3.post("/login", data={"username": "inv", "password": PASSWORD, "csrf_token": csrf(c3)},
                environ_base={"REMOTE_ADDR": "10.8.8.8"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LoginFailure)) == 0  # expired rows removed

# --- bounded parameters ------------------------------------------------------------------------------------
@pytest.mark.parametrize("pid,param,value,why", [
    ("post_filing_transfer_to_related", "min_total", "Infinity", "not a finite"),
    ("post_filing_transfer_to_related", "min_total", "-Infinity", "not a finite"),
    ("post_filing_transfer_to_related", "min_total", "NaN", "not a finite"),
    ("layered_chain", "max_intermediates", "50", "above the maximum 6"),
    ("layered_chain", "min_ratio", "nan", "not a finite"),
    ("round_trip", "max_ratio", "inf", "not a finite"),
    ("round_trip", "max_degree", "1000000", "above the maximum"),
])
def test_out_of_bounds_parameters_refused_with_a_message(app, pid, param, value, why):
    inv = login(app, "inv")
    r = inv.get(f"/patterns/{pid}", query_string={"run": "1", "as_of": "2025-10-31", f"p_{param}": value})
    assert r.status_code == 200
    assert why in body(r) and param in body(r)
    r = inv.get(f"/patterns/{pid}/export.csv", query_string={"run": "1", f"p_{param}": value})
    assert r.status_code == 400
    row = actions(app, "run_pattern")[-1]
    assert row.detail["refused"] and param in row.detail["refused"]


def test_saved_query_float_parameter_refuses_infinity(app):
    from web.patterns import coerce
    for raw in ("inf", "-Infinity", "nan"):
        with pytest.raises(ValueError):
            coerce("float", raw)


def test_every_pattern_parameter_has_bounds():
    from investigations.patterns import load_patterns
    for pat in load_patterns().values():
        for p in pat.params:
            if p.type != "date":
                assert p.min is not None and p.max is not None and p.min <= p.max, (pat.id, p.name)
                assert p.min <= p.parse(p.default) <= p.max, (pat.id, p.name)


# --- refused queries from the web ---------------------------------------------------------------------------
def test_saved_query_reading_a_file_is_refused_on_save_and_run(app, tmp_path, loaded):
    secret = tmp_path / "secret_key"
    secret.write_text("TOP-SECRET\n")
    sup = login(app, "sup")
    before = loaded.counts()
    for cypher in (f"LOAD CSV FROM 'file:///{str(secret).lstrip('/')}' AS r RETURN r",
                   "LOAD CSV FROM 'http://127.0.0.1:9/x' AS r RETURN r",
                   "CALL dbms.listConfig() YIELD name, value RETURN name, value",
                   "MATCH (p:Person) DETACH DELETE p"):
        r = post(sup, "/queries/new", slug="evil", title="t", description="", legal_basis="", cypher=cypher, params="")
        assert r.status_code == 400 and "TOP-SECRET" not in body(r)
        assert "refused" in body(r).lower() or "拒绝" in body(r)
    with app.app_context():
        assert db.session.scalar(select(SavedQuery).where(SavedQuery.slug == "evil")) is None
        # stored some other way: refused at run time, nothing read, nothing changed
        from web.models import SavedQueryVersion
        uid = db.session.scalar(select(User.id).where(User.username == "sup"))
        q = SavedQuery(slug="evil2", created_by=uid)
        db.session.add(q)
        db.session.flush()
        db.session.add(SavedQueryVersion(query_id=q.id, version=1, title="t", author_id=uid,
                                         cypher=f"LOAD CSV FROM 'file:///{str(secret).lstrip('/')}' AS r RETURN r"))
        db.session.commit()
        qid = q.id
    r = sup.get(f"/queries/{qid}", query_string={"run": "1"})
    assert r.status_code == 200 and "LOAD CSV" in body(r) and "TOP-SECRET" not in body(r)
    assert sup.get(f"/queries/{qid}/export.csv").status_code == 400
    assert loaded.counts() == before
    assert actions(app, "run_query")[-1].detail["refused"]


# --- CSV neutralising -----------------------------------------------------------------------------------------
def test_csv_cells_that_look_like_formulas_are_neutralised(app):
    from web.csvout import neutralise
    assert [neutralise(v) for v in ("=1+1", "+86 138", "-5", "@SUM(A1)", "\tx", "张三", 5, -5)] == \
        ["'=1+1", "'+86 138", "'-5", "'@SUM(A1)", "'\tx", "张三", 5, -5]
    sup = login(app, "sup")
    cypher = "RETURN '=HYPERLINK(\"http://x\",\"y\")' AS a, '@SUM(1)' AS b, '+1' AS c, '-1' AS d, '张三' AS e, 7 AS n"
    r = post(sup, "/queries/new", slug="formula", title="t", description="", legal_basis="", cypher=cypher, params="")
    assert r.status_code == 302
    qid = int(r.headers["Location"].rsplit("/", 1)[1])
    out = sup.get(f"/queries/{qid}/export.csv", query_string={"run": "1"})
    rows = list(csv.DictReader(io.StringIO(out.get_data().decode("utf-8-sig"))))
    assert rows == [{"a": "'=HYPERLINK(\"http://x\",\"y\")", "b": "'@SUM(1)", "c": "'+1", "d": "'-1", "e": "张三",
                     "n": "7"}]


# --- the audit trail ----------------------------------------------------------------------------------------------
def test_views_searches_runs_and_exports_are_audited(app):
    inv = login(app, "inv")
    inv.get("/subject/P001")
    inv.get("/subject/P001/network", query_string={"depth": "2"})
    inv.get("/search", query_string={"q": FULL_ID})
    inv.get("/patterns/post_filing_transfer_to_related", query_string={"run": "1", "as_of": "2025-10-31",
                                                                       "p_min_total": "5000"})
    inv.get("/patterns/post_filing_transfer_to_related/export.csv", query_string={"run": "1", "as_of": "2025-10-31"})
    assert actions(app, "view_subject")[-1].target == "P001"
    net = actions(app, "view_network")[-1]
    assert net.target == "P001" and net.detail["depth"] == 2
    assert actions(app, "search")[-1].detail["q"] == FULL_ID
    run = actions(app, "run_pattern")[0]
    assert run.target == "pattern:post_filing_transfer_to_related" and run.detail["params"] == {"min_total": "5000"}
    assert run.username == "inv"
    assert actions(app, "export_csv")
    with app.app_context():
        with db.engine.connect() as conn:
            v = audittrail.verify(conn)
    assert v.ok and v.checked >= 7



def test_investigation_detail_and_recovery_views_are_audited(app):
    inv, sup = login(app, "inv"), login(app, "sup")
    r = post(inv, "/investigations/open", subject_id="P001")
    iid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert not actions(app, "view_investigation")
    assert inv.get(f"/investigations/{iid}").status_code == 200
    assert sup.get(f"/investigations/{iid}").status_code == 200
    seen = actions(app, "view_investigation")
    assert [(a.username, a.target, a.detail["subject_id"]) for a in seen] == \
        [("inv", str(iid), "P001"), ("sup", str(iid), "P001")]
    assert inv.get(f"/investigations/{iid}/recovery").status_code == 200
    rec = actions(app, "view_recovery")[-1]
    assert (rec.username, rec.target, rec.detail["subject_id"]) == ("inv", str(iid), "P001")
    assert inv.get("/investigations/99999").status_code == 404
    assert len(actions(app, "view_investigation")) == 2  # a missing folder is not logged as viewed
    with app.app_context():
        with db.engine.connect() as conn:
            assert audittrail.verify(conn).ok

def test_audit_page_filters_and_csv_export(app):
    inv, sup = login(app, "inv"), login(app, "sup")
    inv.get("/search", query_string={"q": "张"})
    sup.get("/search", query_string={"q": "李"})
    html = body(sup.get("/audit", query_string={"user": "inv", "action": "search"}))
    assert 'id="chain-ok"' in html and "张" in html and "&#34;q&#34;: &#34;李&#34;" not in html
    today = dt.date.today().isoformat()
    r = sup.get("/audit/export.csv", query_string={"action": "search", "since": today, "until": today})
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert {x["user"] for x in rows} == {"inv", "sup"} and all(len(x["hash"]) == 64 for x in rows)
    r = sup.get("/audit/export.csv", query_string={"since": "2000-01-01", "until": "2000-01-02"})
    assert list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig")))) == []


def test_hash_chain_verify_names_the_first_broken_entry(app):
    inv = login(app, "inv")
    for q in ("a", "b", "c", "d"):
        inv.get("/search", query_string={"q": q})
    runner = app.test_cli_runner()
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0 and "intact" in res.output
    with app.app_context():
        ids = [r.id for r in actions(app, "search")]
        with db.engine.begin() as conn:
            conn.execute(sql("UPDATE audit_log SET target = 'edited' WHERE id = :id"), {"id": ids[1]})
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 1 and f"entry {ids[1]}" in res.output
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sql("UPDATE audit_log SET target = NULL WHERE id = :id"), {"id": ids[1]})
            assert audittrail.verify(conn).ok
            conn.execute(sql("DELETE FROM audit_log WHERE id = :id"), {"id": ids[2]})
            v = audittrail.verify(conn)
    assert not v.ok and v.first_broken_id == ids[3]
    assert 'id="chain-broken"' in body(login(app, "sup").get("/audit"))


def test_cli_actions_are_recorded_with_the_os_user(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    audittrail.record_cli("load", "L-123", url=url, source_dir="/data/x")
    audittrail.record_cli("reset", "bolt://127.0.0.1:1", url=url)
    with app.app_context():
        rows = actions(app, "load")
        assert rows[-1].username == f"cli:{audittrail.os_user()}" and rows[-1].detail["os_user"]
        assert rows[-1].target == "L-123"
        with db.engine.connect() as conn:
            assert audittrail.verify(conn).ok
    # a store without the chain yet (an older app.db) is upgraded and chained
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    audittrail.record_cli("unload", "L-1", url=fresh)
    from sqlalchemy import create_engine
    with create_engine(fresh).connect() as conn:
        assert audittrail.verify(conn).ok and audittrail.verify(conn).checked == 1


def test_rescan_runs_in_the_background_one_at_a_time(app):
    import threading

    from web import scan_jobs
    sup = login(app, "sup")
    gate = threading.Event()

    def slow(user, as_of):
        gate.wait(30)

    assert scan_jobs.start(app, slow, None, "sup", AS_OF)
    assert not scan_jobs.start(app, slow, None, "sup", AS_OF)     # one at a time
    r = post(sup, "/scan", as_of="2025-10-31")                      # the request returns at once
    assert r.status_code == 302
    html = body(sup.get("/"))
    assert 'id="scan-running"' in html
    gate.set()
    assert scan_jobs.wait(app, 30)
    assert post(sup, "/scan", as_of="2025-10-31").status_code == 302
    assert scan_jobs.wait(app, 300) and scan_jobs.status(app)["error"] is None
    with app.app_context():
        assert db.session.scalars(select(LeadRecord)).first() is not None


def test_path_search_budget_stops_early_and_says_so(app, monkeypatch):
    import investigations.postprocessors as post_processors
    monkeypatch.setattr(post_processors, "PATH_SEARCH_STEPS", 0)
    inv = login(app, "inv")
    r = inv.get("/patterns/layered_chain", query_string={"run": "1", "as_of": "2025-10-31"})
    html = body(r)
    assert r.status_code == 200 and 'id="stopped-early"' in html and "stopped early" in html
    assert actions(app, "run_pattern")[-1].detail["stopped_early"] is True
