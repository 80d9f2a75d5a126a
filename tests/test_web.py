"""The web UI through Flask's test client, against a real Neo4j loaded from tests/fixtures/web."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import select

from web.extensions import db
from web.models import AuditLog, Investigation, LeadDismissal, LeadRecord, SavedQuery

from test_webutil import WEB_FIXTURE, csrf, login, make_app

AS_OF = "2025-10-31"
FULL_ID = "11010119700307001X"


@pytest.fixture(scope="module")
def loaded(module_graph, tmp_path_factory):
    from ingest import load_dir
    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


@pytest.fixture
def app(loaded, tmp_path):
    return make_app(loaded, tmp_path, SCAN_AS_OF=dt.date(2025, 10, 31), NETWORK_EXPAND_NODES=20)


@pytest.fixture
def inv(app):
    return login(app, "inv")


@pytest.fixture
def sup(app):
    return login(app, "sup")


def text(resp) -> str:
    return resp.get_data(as_text=True)


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data})


def test_login_required_and_wrong_password(app):
    c = app.test_client()
    r = c.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    token = csrf(c)
    r = c.post("/login", data={"username": "inv", "password": "nope", "csrf_token": token})
    assert r.status_code == 200 and "/login" not in r.headers.get("Location", "")
    assert c.get("/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "login_failed")) is not None


def test_post_without_csrf_token_is_refused(inv):
    r = inv.post("/investigations/open", data={"subject_id": "P001"})
    assert r.status_code == 400


def test_chinese_by_default_english_on_switch(inv):
    html = text(inv.get("/"))
    assert "仪表板" in html and "Dashboard" not in html
    r = post(inv, "/lang/en", next="/")
    assert r.status_code == 302
    html = text(inv.get("/"))
    assert "Dashboard" in html and "仪表板" not in html


def test_dashboard_counts_and_loads(inv, loaded):
    html = text(inv.get("/"))
    counts = loaded.counts()
    assert re.search(r"<td class=\"text-end\">%d</td>" % counts["Person"], html)
    load_ids = [r["load_id"] for r in loaded.read("MATCH (l:Load) RETURN l.load_id AS load_id")]
    assert load_ids and all(lid in html for lid in load_ids)
    assert "¥490,000.00" in html  # unpaid of the open fine (500,000 due, 10,000 paid)


def test_search(inv):
    html = text(inv.get("/search", query_string={"q": "建国"}))
    assert "张建国" in html and 'href="/subject/P001"' in html
    assert FULL_ID not in html and "110101********001X" in html
    html = text(inv.get("/search", query_string={"q": FULL_ID}))
    assert 'href="/subject/P001"' in html
    assert 'href="/subject/P001"' in text(inv.get("/search", query_string={"q": "J2024001"}))  # inmate no.
    html = text(inv.get("/search", query_string={"q": "9999000000000001"}))
    assert "陈某某" in html
    html = text(inv.get("/search", query_string={"q": "刑初123"}))
    assert "(2024)京0105刑初123号" in html
    html = text(inv.get("/search", query_string={"q": "鑫盛"}))
    assert "/subject/91110105MA0000001X" in html
    assert "没有找到" in text(inv.get("/search", query_string={"q": "不存在的人"}))


def test_subject_page_masks_until_revealed_and_audits(app, inv, sup):
    html = text(inv.get("/subject/P001"))
    assert "张建国" in html and "(2024)京0105刑初123号" in html
    assert FULL_ID not in html and "13812345678" not in html
    assert "110101********001X" in html and "138****5678" in html
    assert "T0002" in html and "李秀英" in html and "前配偶" in html  # transfer, counterparty, relation
    assert "<svg" in html and "timeline" in html
    assert 'id="reveal"' not in html  # revealing is a supervisor's
    assert post(inv, "/subject/P001/reveal").status_code == 403
    r = post(sup, "/subject/P001/reveal")
    assert r.status_code == 302
    html = text(sup.get("/subject/P001"))
    assert FULL_ID in html and "13812345678" in html
    with app.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "reveal"))
        assert row.target == "P001" and row.username == "sup"
    post(sup, "/subject/P001/mask")
    assert FULL_ID not in text(sup.get("/subject/P001"))
    assert inv.get("/subject/NOPE").status_code == 404


def _vis(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="net-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_network_page(inv):
    html = text(inv.get("/subject/P001/network"))
    vis = _vis(html)
    ids = {n["id"] for n in vis["nodes"]}
    assert {"p:P001", "p:P002", "a:9999000000000001"} <= ids
    # default window starts at the open case's litigation start: the 2023 inbound transfer is out
    assert 'value="2024-03-01"' in html
    assert not any(e["id"] == "transfer:6222000000000005->6222000000000001" for e in vis["edges"])
    shapes = {n["kind"]: n["shape"] for n in vis["nodes"]}
    assert shapes["inmate"] != shapes["person"] and shapes["unknown_account"] != shapes["account"]
    assert all("x" in n and "y" in n for n in vis["nodes"])
    tr = next(e for e in vis["edges"] if e["id"] == "transfer:6222000000000001->6222000000000002")
    assert "2024-04-10" in tr["label"] and "¥20万" in tr["label"]
    wide = _vis(text(inv.get("/subject/P001/network", query_string={"since": "", "depth": 2})))
    assert any(e["id"] == "transfer:6222000000000005->6222000000000001" for e in wide["edges"])
    assert "p:P006" in {n["id"] for n in wide["nodes"]}
    capped = text(inv.get("/subject/P005/network", query_string={"since": "", "depth": 3}))
    assert "vendor/vis-network/vis-network.min.js" in capped and "cdn" not in capped.lower()


def test_network_escapes_names(inv):
    html = text(inv.get("/subject/P005/network", query_string={"since": ""}))
    assert "<script>alert(1)</script>" not in html
    assert any("alert(1)" in n["label"] for n in _vis(html)["nodes"])  # kept as text in the JSON
    html = text(inv.get("/subject/P007"))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_expand_api(inv):
    r = inv.get("/api/expand", query_string={"key": "6222000000000006"})
    got = r.get_json()
    assert r.status_code == 200 and got["truncated"] and got["more"] > 0
    assert len(got["nodes"]) == 20
    r = inv.get("/api/expand", query_string={"key": "9999000000000001"})
    assert "a:6222000000000003" in {n["id"] for n in r.get_json()["nodes"]}
    assert inv.get("/api/expand", query_string={"key": "NOPE"}).status_code == 404


def _scan(client):
    from web import scan_jobs
    r = post(client, "/scan", as_of=AS_OF)
    assert r.status_code == 302
    assert scan_jobs.wait(client.application, 300)
    assert scan_jobs.status(client.application)["error"] is None


def test_scan_leads_new_and_dismissals_survive_rescan(app, sup, inv):
    assert post(inv, "/scan", as_of=AS_OF).status_code == 403  # investigators may not rescan
    _scan(sup)
    with app.app_context():
        leads = db.session.scalars(select(LeadRecord)).all()
        assert leads
        patterns = {r.pattern for r in leads}
        assert "post_filing_transfer_to_related" in patterns
        target = next(r for r in leads if r.pattern == "post_filing_transfer_to_related")
        lead_id = target.lead_id
    html = text(sup.get("/"))
    assert lead_id in html and "新" in html
    # filters: by pattern and by amount
    html = text(sup.get("/", query_string={"pattern": "small_fine_capacity"}))
    assert lead_id not in html
    html = text(sup.get("/", query_string={"min_yuan": "100000000"}))
    assert lead_id not in html
    # dismiss, rescan: still dismissed, and nothing new
    assert post(inv, f"/leads/{lead_id}/dismiss", reason="已核实", next="/").status_code == 302
    _scan(sup)
    html = text(sup.get("/"))
    assert f'data-lead="{lead_id}"' not in html
    assert 'badge bg-warning text-dark">新<' not in html
    assert f'data-lead="{lead_id}"' in text(sup.get("/", query_string={"dismissed": "1"}))
    with app.app_context():
        assert db.session.get(LeadDismissal, lead_id) is not None
    # the subject page still shows the lead, marked dismissed
    assert "已驳回" in text(inv.get("/subject/P001")) or "已排除" in text(inv.get("/subject/P001"))


def test_builtin_pattern_run_and_csv(app, inv):
    html = text(inv.get("/patterns"))
    assert "post_filing_transfer_to_related" in html
    q = {"run": "1", "as_of": AS_OF}
    html = text(inv.get("/patterns/post_filing_transfer_to_related", query_string=q))
    assert "张建国" in html and "/subject/P001/network?lead=" in html
    r = inv.get("/patterns/post_filing_transfer_to_related/export.csv", query_string=q)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert any(x["subject_id"] == "P001" and "T0002" in x["transfer_ids"] for x in rows)
    assert any(x["subject_name"] == "张建国" for x in rows)
    bad = text(inv.get("/patterns/post_filing_transfer_to_related", query_string={**q, "p_min_total": "abc"}))
    assert "min_total" in bad
    with app.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export_csv"))
        assert row.target == "pattern:post_filing_transfer_to_related" and row.username == "inv"


READ_Q = ("MATCH (p:Person)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)\n"
          "WHERE t.amount_fen >= $min_amount\n"
          "RETURN p.person_id AS subject_id, p.name AS name, t.transfer_id AS transfer_id, t.amount_fen AS amount_fen\n"
          "ORDER BY amount_fen DESC")


def test_saved_queries(app, sup, inv):
    assert inv.get("/queries/new").status_code == 403
    r = post(sup, "/queries/new", slug="big", title="大额转出", description="d", legal_basis="刑法第313条",
             cypher="MATCH (n:Person) DETACH DELETE n", params="")
    assert r.status_code == 400 and "拒绝" in text(r)
    with app.app_context():
        assert db.session.scalar(select(SavedQuery)) is None
    r = post(sup, "/queries/new", slug="big", title="大额转出", description="d", legal_basis="刑法第313条",
             cypher=READ_Q, params="min_amount yuan 100000")
    assert r.status_code == 302
    with app.app_context():
        qid = db.session.scalar(select(SavedQuery)).id
    # an edit is a new version, and a write is refused on edit too
    assert post(sup, f"/queries/{qid}/edit", title="大额转出", cypher="CREATE (:Person {person_id:'x'})",
                params="").status_code == 400
    assert post(sup, f"/queries/{qid}/edit", title="大额转出 v2", description="d", legal_basis="l", cypher=READ_Q,
                params="min_amount yuan 100000").status_code == 302
    html = text(inv.get("/patterns"))
    assert "大额转出 v2" in html and "v2" in html and "sup" in html
    html = text(inv.get(f"/queries/{qid}", query_string={"run": "1", "p_min_amount": "100000"}))
    assert "T0002" in html and "T0003" in html and "T0004" not in html  # 80,000 < 100,000
    r = inv.get(f"/queries/{qid}/export.csv", query_string={"p_min_amount": "100000"})
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert {x["transfer_id"] for x in rows} == {"T0002", "T0003"}
    assert r.get_data().startswith(b"\xef\xbb\xbf")


def test_investigation_workflow(app, sup, inv):
    _scan(sup)
    with app.app_context():
        lead_id = db.session.scalar(select(LeadRecord.lead_id).where(LeadRecord.subject_id == "P001"))
    r = post(inv, "/investigations/open", subject_id="P001", lead_id=lead_id)
    assert r.status_code == 302
    iid = int(r.headers["Location"].rsplit("/", 1)[1])
    html = text(inv.get(f"/investigations/{iid}"))
    assert lead_id in html and "张建国" in html
    post(inv, f"/investigations/{iid}/notes", body="已调取银行流水，待核实。")
    post(inv, f"/investigations/{iid}/pin", kind="transfer", ref_id="T0002")
    post(inv, f"/investigations/{iid}/update", status="referred", recovered_yuan="1,000.50")
    html = text(inv.get(f"/investigations/{iid}"))
    assert "已调取银行流水，待核实。" in html and "李秀英" in html  # the pinned transfer, from the graph
    with app.app_context():
        i = db.session.get(Investigation, iid)
        assert i.status == "referred" and i.recovered_fen == 100_050 and i.unpaid_fen == 49_000_000
    html = text(inv.get("/"))
    assert "¥1,000.50" in html  # recovered total
    assert "¥490,000.00" in html


def test_pages_reference_only_local_assets(inv):
    for url in ("/", "/search?q=张", "/subject/P001", "/subject/P001/network", "/patterns", "/investigations"):
        html = text(inv.get(url))
        for m in re.finditer(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", m.group(1)), (url, m.group(1))
    css = inv.get("/static/app.css")
    assert css.status_code == 200 and "WenQuanYi Micro Hei" in css.get_data(as_text=True)


def test_a_stored_write_query_is_refused_at_run_time(app, inv, loaded):
    # A write that reached the store some other way (an old version, a direct insert) never runs.
    from web.models import SavedQueryVersion, User
    with app.app_context():
        sup = db.session.scalar(select(User).where(User.username == "sup"))
        q = SavedQuery(slug="bad", created_by=sup.id)
        db.session.add(q)
        db.session.flush()
        db.session.add(SavedQueryVersion(query_id=q.id, version=1, title="坏查询", author_id=sup.id,
                                         cypher="MATCH (p:Person {person_id: 'P004'}) DETACH DELETE p"))
        db.session.commit()
        qid = q.id
    before = loaded.read_one("MATCH (p:Person) RETURN count(p) AS n")["n"]
    html = text(inv.get(f"/queries/{qid}", query_string={"run": "1"}))
    assert "alert-danger" in html
    assert inv.get(f"/queries/{qid}/export.csv").status_code == 400
    assert loaded.read_one("MATCH (p:Person) RETURN count(p) AS n")["n"] == before
