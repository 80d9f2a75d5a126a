"""Flow view, freeze-list export (CSV / PDF), recovery records, settled cases and the recovered chart,
through Flask's test client against a real Neo4j loaded from tests/fixtures/web.

P001 (open case (2024)京0105刑初123号, unpaid 490,000 yuan, litigation start 2024-03-01) pays
200,000 to the spouse P002, 150,000 to the company of the child P003, 80,000 through the unknown
account 9999… of which 78,000 reaches P003, who passes 30,000 to P006 (unrelated to P001).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys

import pytest

from test_web import loaded  # noqa: F401  (the web fixture loaded once per module)
from test_webutil import login, make_app

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AS_OF = dt.date(2025, 10, 31)
CASE = "(2024)京0105刑初123号"


@pytest.fixture
def app(loaded, tmp_path):
    from web.extensions import db
    from web.main import run_scan
    from web.models import User
    app = make_app(loaded, tmp_path, SCAN_AS_OF=AS_OF)
    with app.app_context():
        run_scan(db.session.scalar(db.select(User).where(User.username == "sup")), AS_OF)
    return app


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data})


def csv_lines(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_flow_page(app):
    c = login(app, "inv")
    html = c.get("/subject/P001/flow").get_data(as_text=True)
    assert "归集规则" in html or "Attribution rule" in html
    assert "按时间顺序回放交易" in html  # the rule, in Chinese by default
    sk = json.loads(re.search(r'<script type="application/json" id="sankey-data">(.*?)</script>', html, re.S).group(1))
    assert sk["links_total"] == len(sk["links"]) > 0 and sk["links_left_out"] == 0
    # acyclic by construction: every link goes from depth d to d + 1
    depth = {n["name"]: n["depth"] for n in sk["nodes"]}
    assert all(depth[lk["target"]] == depth[lk["source"]] + 1 for lk in sk["links"])
    ends = re.findall(r'<tr data-account="([^"]+)"', html)
    assert "6222000000000002" in ends and "6222000000000003" in ends
    row = re.search(r'<tr data-account="6222000000000002".*?</tr>', html, re.S).group(0)
    assert "前配偶" in row and "¥200,000.00" in row  # marriage ended 2024-05-01: a former spouse is always related
    row = re.search(r'<tr data-account="6222000000000003".*?</tr>', html, re.S).group(0)
    assert "子女" in row and "¥48,000.00" in row  # 78,000 arrived, 30,000 passed on to P006
    assert 'id="flow-left-out"' in html and "echarts.min.js" in html
    # a chosen date after every transfer: nothing to draw
    html = c.get("/subject/P001/flow?since=2025-01-01").get_data(as_text=True)
    assert 'id="no-flow"' in html
    assert c.get("/subject/NOPE/flow").status_code == 404
    assert c.get("/subject/P001/flow?as_of=nonsense").status_code == 400


def test_freeze_list_csv_and_pdf_reproducible_and_audited(app, tmp_path):
    from web.extensions import db
    from web.models import AuditLog
    c = login(app, "inv")
    r1 = post(c, "/subject/P001/freeze-list", case_no=CASE, as_of="2025-10-31", format="csv")
    assert r1.status_code == 200 and r1.mimetype == "text/csv"
    assert "filename*=UTF-8''" in r1.headers["Content-Disposition"]
    rows = csv_lines(r1.data)
    by = {r["账号/财产编号"]: r for r in rows}
    # own prison account first (balance 86,000 on 2025-09-30), then hop 1 by closeness, then hop 2
    assert rows[0]["账号/财产编号"] == "J2024001-ACC" and rows[0]["最新余额(元)"] == "86000.00"
    assert rows[0]["余额来源"].startswith("balances.csv:")
    assert by["6222000000000002"]["与被执行人关系"] == "前配偶" and by["6222000000000002"]["追踪金额(元)"] == "200000.00"
    assert by["6222000000000003"]["追踪金额(元)"] == "48000.00" and by["6222000000000003"]["资金层级"] == "2"
    order = [r["账号/财产编号"] for r in rows]
    assert order.index("6222000000000002") < order.index("6222000000000003")
    # P006 is unrelated, no lead put money there and no balance says it is still there
    assert "6222000000000007" not in by
    proposed = sum(int(r["建议冻结金额(元)"].replace(".", "")) for r in rows)
    assert proposed == 49_000_000  # up to the unpaid 490,000 yuan, not beyond
    r2 = post(c, "/subject/P001/freeze-list", case_no=CASE, as_of="2025-10-31", format="csv")
    assert r2.data == r1.data and r2.headers["X-Freeze-List-Id"] == r1.headers["X-Freeze-List-Id"]
    p1 = post(c, "/subject/P001/freeze-list", case_no=CASE, as_of="2025-10-31", format="pdf")
    p2 = post(c, "/subject/P001/freeze-list", case_no=CASE, as_of="2025-10-31", format="pdf")
    assert p1.mimetype == "application/pdf" and p1.data[:5] == b"%PDF-" and p1.data == p2.data
    assert p1.data.count(b"/Type /Page\n") + p1.data.count(b"/Type /Page ") + len(
        re.findall(rb"/Type\s*/Page[^s]", p1.data)) >= 1
    pdf = tmp_path / "f.pdf"
    pdf.write_bytes(p1.data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
    if info.returncode == 0:
        assert re.search(r"Pages:\s+1\b", info.stdout), info.stdout
    with app.app_context():
        rows = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "freeze_list")).all()
        assert len(rows) == 4 and rows[0].target == "P001"
        assert rows[0].detail["list_id"] == r1.headers["X-Freeze-List-Id"] and rows[0].detail["format"] == "csv"
    # a foreign case is refused with a message, no file
    r = post(c, "/subject/P001/freeze-list", case_no="(2099)京0000民初1号", as_of="2025-10-31", format="csv")
    assert r.status_code == 302


def test_recovery_records_settle_case_and_feed_dashboard(app, loaded):
    from web.extensions import db
    from web.models import Investigation, LeadRecord, RecoveryRecord
    c = login(app, "inv")
    r = post(c, "/investigations/open", subject_id="P001")
    iid = int(r.headers["Location"].rsplit("/", 1)[1])
    page = c.get(f"/investigations/{iid}").get_data(as_text=True)
    assert f"/investigations/{iid}/recovery" in page and "/subject/P001/flow" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LeadRecord)
                                 .where(LeadRecord.case_no == CASE)) > 0
    # a bad record is refused, with the reason: a form that does not parse, then a rule the store keeps
    r = post(c, f"/investigations/{iid}/recovery", kind="paid", target_kind="account", target="x",
             case_no=CASE, on="2025-11-02", amount_yuan="-5", document_no="(2025)京0105执123号")
    assert "日期或金额无效。" in c.get(r.headers["Location"]).get_data(as_text=True)
    r = post(c, f"/investigations/{iid}/recovery", kind="paid", target_kind="account", target="x",
             case_no=CASE, on="2025-11-02", amount_yuan="5", document_no="")
    assert "未登记：the document number is required" in c.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryRecord)) == 0
    post(c, f"/investigations/{iid}/recovery", kind="frozen", target_kind="account", target="6222000000000002",
         case_no=CASE, on="2025-11-01", amount_yuan="200,000", document_no="(2025)京0105执保1号")
    post(c, f"/investigations/{iid}/recovery", kind="deducted", target_kind="account", target="6222000000000002",
         case_no=CASE, on="2025-11-20", amount_yuan="190000", document_no="(2025)京0105执123号之一")
    html = c.get(f"/investigations/{iid}/recovery").get_data(as_text=True)
    assert "(2025)京0105执123号之一" in html and "¥190,000.00" in html
    row = re.search(r'<tr data-case="\(2024\)京0105刑初123号">.*?</tr>', html, re.S).group(0)
    assert "¥300,000.00" in row  # 490,000 unpaid - 190,000 deducted
    dash = c.get("/").get_data(as_text=True)
    assert re.search(r'id="recovered">¥190,000.00<', dash)
    # the freeze list now proposes only what is still unpaid, less what is frozen, and marks the freeze
    rows = csv_lines(post(c, f"/investigations/{iid}/freeze-list", case_no=CASE, as_of="2025-10-31",
                          format="csv").data)
    spouse = next(r for r in rows if r["账号/财产编号"] == "6222000000000002")
    assert spouse["冻结/查封状态"] == "本案已登记冻结" and spouse["建议冻结金额(元)"] == "0.00"
    assert sum(int(r["建议冻结金额(元)"].replace(".", "")) for r in rows) == 10_000_000  # 300,000 - 200,000 frozen
    # paid in full: the case is settled, the next scan yields no lead for it, the old leads stay
    post(c, f"/investigations/{iid}/recovery", kind="paid", target_kind="case", target="", case_no=CASE,
         on="2025-12-01", amount_yuan="300000", document_no="缴款书0001")
    html = c.get(f"/investigations/{iid}/recovery").get_data(as_text=True)
    assert "badge bg-success" in html
    s = login(app, "sup")
    from web import scan_jobs
    post(s, "/scan", as_of="2025-10-31")   # runs in the background
    assert scan_jobs.wait(app, 300) and scan_jobs.status(app)["error"] is None
    with app.app_context():
        from web.leadstore import current_leads, last_scan
        leads, _ = current_leads({"subject_id": "P001"})
        assert all(x.case_no != CASE for x in leads)
        run = last_scan()
        assert db.session.scalar(db.select(db.func.count()).select_from(LeadRecord)
                                 .where(LeadRecord.case_no == CASE)) > 0  # history kept
        assert all(x.last_scan_id != run.id for x in db.session.scalars(
            db.select(LeadRecord).where(LeadRecord.case_no == CASE)))
        assert db.session.get(Investigation, iid).recovered_fen == 49_000_000
    dash = s.get("/").get_data(as_text=True)
    assert re.search(r'id="recovered">¥490,000.00<', dash)
    # supervisors: recovered by court and prison over time; investigators may not see it
    assert c.get("/recovery").status_code == 403
    html = s.get("/recovery").get_data(as_text=True)
    data = json.loads(re.search(r'id="recovered-by-court">(.*?)</script>', html, re.S).group(1))
    assert data["months"] == ["2025-11", "2025-12"]
    assert data["series"] == [{"name": "北京市朝阳区人民法院", "data": [19_000_000, 30_000_000], "total_fen": 49_000_000}]
    prison = json.loads(re.search(r'id="recovered-by-prison">(.*?)</script>', html, re.S).group(1))
    assert [s["total_fen"] for s in prison["series"]] == [49_000_000]


def test_restriction_in_force_is_shown_and_not_proposed_again(loaded):
    """Restriction nodes (contract v1.1 restrictions) on an account: in force on as_of -> shown and proposed 0."""
    from investigations.flow import where_now
    from investigations.freeze import freeze_list
    assert where_now(loaded, ["6222000000000002"], AS_OF)["6222000000000002"]["restrictions"] == []  # none known
    loaded.write("CREATE (:Restriction {subject_id: 'P001', kind: 'account_freeze', ordered_on: date('2025-06-01'),"
                 " target: '6222000000000002', case_no: $c, src_file: 'restrictions.csv', src_row: 2})", {"c": CASE})
    loaded.write("CREATE (:Restriction {subject_id: 'P001', kind: 'account_freeze', ordered_on: date('2025-01-01'),"
                 " lifted_on: date('2025-03-01'), target: '6222000000000003', case_no: $c})", {"c": CASE})
    try:
        now = where_now(loaded, ["6222000000000002", "6222000000000003"], AS_OF)
        assert [r["kind"] for r in now["6222000000000002"]["restrictions"]] == ["account_freeze"]
        assert now["6222000000000003"]["restrictions"] == []  # lifted before as_of
        assert where_now(loaded, ["6222000000000002"], dt.date(2025, 5, 31))["6222000000000002"]["restrictions"] == []
        fl = freeze_list(loaded, "P001", CASE, AS_OF, leads=[])
        line = next(x for x in fl["lines"] if x["target"] == "6222000000000002")
        assert line["proposed_fen"] == 0 and line["restrictions"][0]["kind"] == "account_freeze"
        assert fl["proposed_fen"] == 49_000_000  # the rest goes to the next lines
    finally:
        loaded.write("MATCH (r:Restriction) DELETE r")


def test_cli_freeze_list(loaded, tmp_path):
    out = tmp_path / "fl.csv"
    pdf = tmp_path / "fl.pdf"
    env = dict(os.environ, **loaded.connection.env())
    r = subprocess.run([sys.executable, "-m", "investigations", "freeze-list", "P001", "--case", CASE,
                        "--as-of", "2025-10-31", "--out", str(out), "--pdf", str(pdf)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "proposed ¥" in r.stdout or "proposed 490,000.00" in r.stdout
    rows = csv_lines(out.read_bytes())
    assert {x["账号/财产编号"] for x in rows} >= {"J2024001-ACC", "6222000000000002", "6222000000000003"}
    assert pdf.read_bytes()[:5] == b"%PDF-"
    r = subprocess.run([sys.executable, "-m", "investigations", "freeze-list", "NOPE", "--out", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "unknown subject" in r.stderr



def test_recovery_records_corrected_and_voided_keep_history(app, loaded):
    """A correction or a void is a new audited entry naming the one it replaces: the original stays on
    the page, and the totals, unpaid amounts, chart and freeze list count only the entries in force."""
    from test_webutil import PASSWORD
    from web.extensions import db
    from web.models import AuditLog, Investigation, RecoveryRecord, User
    with app.app_context():
        u = User(username="inv2", role="investigator")
        u.set_password(PASSWORD)
        db.session.add(u)
        db.session.commit()
    c, other, s = login(app, "inv"), login(app, "inv2"), login(app, "sup")
    iid = int(post(c, "/investigations/open", subject_id="P001").headers["Location"].rsplit("/", 1)[1])
    rec = f"/investigations/{iid}/recovery"
    post(c, rec, kind="deducted", target_kind="account", target="6222000000000002", case_no=CASE,
         on="2025-11-20", amount_yuan="190000", document_no="(2025)京0105执123号之一")
    post(c, rec, kind="paid", target_kind="case", target="", case_no=CASE, on="2025-12-01",
         amount_yuan="50000", document_no="缴款书0002")
    with app.app_context():
        a, b = db.session.scalars(db.select(RecoveryRecord).order_by(RecoveryRecord.id)).all()
        a_id, b_id = a.id, b.id

    def counts():
        with app.app_context():
            return db.session.scalar(db.select(db.func.count()).select_from(RecoveryRecord))

    fields = dict(kind="deducted", target_kind="account", target="6222000000000002", case_no=CASE, on="2025-11-20",
                  amount_yuan="100,000.00", document_no="(2025)京0105执123号之一")
    # only the assignee or a supervisor; a reason is required; nothing changes when refused
    assert post(other, f"{rec}/{a_id}/correct", reason="typo", **fields).status_code == 403
    assert post(other, f"{rec}/{a_id}/void", reason="typo").status_code == 403
    r = post(c, f"{rec}/{a_id}/correct", reason="  ", **fields)
    assert "未更正：say why the record is corrected" in c.get(r.headers["Location"]).get_data(as_text=True)
    assert counts() == 2
    r = post(c, f"{rec}/{a_id}/correct", reason="扣划裁定金额录入错误，应为10万元", **fields)
    assert r.status_code == 302 and counts() == 3
    with app.app_context():
        corr = db.session.scalars(db.select(RecoveryRecord).order_by(RecoveryRecord.id.desc())).first()
        assert (corr.action, corr.replaces_id, corr.amount_fen) == ("correction", a_id, 10_000_000)
        assert db.session.get(RecoveryRecord, a_id).amount_fen == 19_000_000  # the original is untouched
        assert db.session.get(Investigation, iid).recovered_fen == 15_000_000
        c_id = corr.id
    html = c.get(rec).get_data(as_text=True)
    old_row = re.search(rf'<tr id="rec-{a_id}".*?</tr>', html, re.S).group(0)
    assert "rec-old" in old_row and "<s>¥190,000.00</s>" in old_row  # still visible, struck out
    assert f"已被第{c_id}条更正" in html and f"更正第{a_id}条" in html and "扣划裁定金额录入错误" in html
    row = re.search(r'<tr data-case="\(2024\)京0105刑初123号">.*?</tr>', html, re.S).group(0)
    assert "¥340,000.00" in row  # 490,000 - 100,000 corrected - 50,000 paid
    assert re.search(r'id="recovered">¥150,000.00<', c.get("/").get_data(as_text=True))
    # the replaced entry can no longer be corrected or voided; the correction can
    r = post(c, f"{rec}/{a_id}/void", reason="again")
    assert "未作废：record" in c.get(r.headers["Location"]).get_data(as_text=True) and counts() == 3
    # a supervisor voids the payment
    assert post(s, f"{rec}/{b_id}/void", reason="缴款书作废，款项未到账").status_code == 302 and counts() == 4
    html = c.get(rec).get_data(as_text=True)
    assert "rec-old" in re.search(rf'<tr id="rec-{b_id}".*?</tr>', html, re.S).group(0)
    assert "缴款书作废，款项未到账" in html
    row = re.search(r'<tr data-case="\(2024\)京0105刑初123号">.*?</tr>', html, re.S).group(0)
    assert "¥390,000.00" in row
    with app.app_context():
        assert db.session.get(Investigation, iid).recovered_fen == 10_000_000
        acts = {x.action: x for x in db.session.scalars(db.select(AuditLog).where(
            AuditLog.action.in_(["recovery_correct", "recovery_void"])))}
        assert acts["recovery_correct"].detail["before"]["amount_fen"] == 19_000_000
        assert acts["recovery_correct"].detail["after"]["amount_fen"] == 10_000_000
        assert acts["recovery_correct"].detail["replaces"] == a_id and acts["recovery_correct"].username == "inv"
        assert acts["recovery_void"].detail["replaces"] == b_id and acts["recovery_void"].username == "sup"
    chart = json.loads(re.search(r'id="recovered-by-court">(.*?)</script>', s.get("/recovery").get_data(as_text=True),
                                 re.S).group(1))
    assert chart["months"] == ["2025-11"] and chart["series"][0]["data"] == [10_000_000]
    rows = csv_lines(post(c, f"/investigations/{iid}/freeze-list", case_no=CASE, as_of="2025-10-31",
                          format="csv").data)
    assert sum(int(r["建议冻结金额(元)"].replace(".", "")) for r in rows) == 39_000_000
