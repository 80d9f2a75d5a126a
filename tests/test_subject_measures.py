"""The subject page's court measures, encumbrances and cash (contract v1.1, issue 12): the
restrictions table (in force or not at the as-of), encumbrances on the subject's assets, cash rows
named by their kind instead of 'between own accounts', and their own timeline markers; through
Flask's test client and in headless Debian chromium (screenshot tests/artifacts/screenshots/
subject-measures.png, for a person to look at). Real Neo4j, loaded from a v2 scenario folder."""
from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest

from ingest import load_dir

from test_webutil import PASSWORD, login, make_app
from v2_scenarios import Folder

AS_OF = dt.date(2025, 10, 31)
CASE = "(2025)京06民初1号"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def measures_graph(module_graph, tmp_path_factory):
    f = Folder()
    f.person("M1", "孙某", account="AM1")
    f.person("MF", "朋友某")
    f.person("MX", "收款人", account="AMX")
    f.case(CASE, "M1", "2025-01-10", "2025-01-20")
    f.tx("AM1", "AMX", "5000", "2025-02-03")
    f.cash("AM1", "48000", "2025-03-02 10:15", tid="CASH1")
    f.cash("AM1", "30000", "2025-03-12", tid="CASH2")
    f.tx("", "AM1", "9000", "2025-04-01", kind="cash_deposit", tid="CASH3")
    f.rows["restrictions"] += [
        {"subject_id": "M1", "kind": "consumption_ban", "ordered_on": "2025-02-15", "case_no": CASE},
        {"subject_id": "M1", "kind": "account_freeze", "ordered_on": "2025-03-20", "lifted_on": "2025-05-01",
         "target": "AM1", "case_no": CASE}]
    f.rows["assets"].append({"asset_id": "HM1", "kind": "real_estate", "owner_id": "M1", "appraised_value": "3000000",
                             "description": "朝阳区某小区3号楼"})
    f.rows["encumbrances"].append({"encumbrance_id": "EM1", "asset_id": "HM1", "kind": "mortgage", "holder_id": "MF",
                                   "registered_on": "2025-02-20", "amount": "2500000"})
    folder = f.write(tmp_path_factory.mktemp("measures") / "data")
    res = load_dir(module_graph, folder, rejects_dir=tmp_path_factory.mktemp("rejects"))
    rejected = {t: c["rejected"] for t, c in res.tables.items() if c["rejected"]}
    assert not rejected, rejected
    return module_graph


@pytest.fixture
def app(measures_graph, tmp_path):
    return make_app(measures_graph, tmp_path, SCAN_AS_OF=AS_OF)


def _section(html: str, elem_id: str) -> str:
    m = re.search(rf'<(table|div) [^>]*id="{elem_id}".*?</\1>', html, re.S)
    assert m, elem_id
    return m.group(0)


def test_subject_page_shows_restrictions_encumbrances_and_cash(app):
    c = login(app, "inv")
    html = c.get("/subject/M1?from=2025-01-01&to=2025-10-31").get_data(as_text=True)
    rs = _section(html, "restrictions")
    rows = re.findall(r"<tr class=\"[^\"]*\" data-restriction=.*?</tr>", rs, re.S)
    assert len(rows) == 2
    assert "限制高消费" in rows[0] and "生效中" in rows[0] and CASE in rows[0] and "2025-02-15" in rows[0]
    assert "账户冻结" in rows[1] and "不在效力期内" in rows[1] and "AM1" in rows[1] and "2025-05-01" in rows[1]
    assert "text-muted" in rows[1].split(">")[0] and "text-muted" not in rows[0].split(">")[0]
    enc = _section(html, "encumbrances")
    assert "抵押" in enc and "朝阳区某小区3号楼" in enc and "朋友某" in enc and "¥2,500,000.00" in enc
    tr = _section(html, "transfers")
    cash_rows = {t: re.search(rf'id="tr-{t}".*?</tr>', tr, re.S).group(0) for t in ("CASH1", "CASH2", "CASH3")}
    assert "取现" in cash_rows["CASH1"] and "取现" in cash_rows["CASH2"] and "存现" in cash_rows["CASH3"]
    assert all("本人账户间" not in r and "本人账户" not in r for r in cash_rows.values())
    assert "转出" in re.search(r'<tr [^>]*id="tr-V\d+".*?</tr>', tr, re.S).group(0)
    svg = _section(html, "timeline")
    assert svg.count('class="cash"') == 3
    assert svg.count("measure restriction_ordered") == 2 and svg.count("measure restriction_lifted") == 1
    assert svg.count("measure encumbrance_registered") == 1 and "限制高消费决定" in svg
    # in English the same page names them in English
    c.post("/lang/en", data={"csrf_token": c.token})
    en = c.get("/subject/M1?from=2025-01-01&to=2025-10-31").get_data(as_text=True)
    assert "consumption ban" in _section(en, "restrictions") and "cash withdrawal" in _section(en, "transfers")


def test_restriction_not_yet_in_force_before_it_was_ordered(measures_graph, tmp_path):
    app = make_app(measures_graph, tmp_path, SCAN_AS_OF=dt.date(2025, 2, 1))
    html = login(app, "inv").get("/subject/M1").get_data(as_text=True)
    rs = _section(html, "restrictions")
    assert "生效中" not in rs and rs.count("不在效力期内") == 2


@pytest.mark.browser
def test_subject_measures_in_chromium(app, artifacts_dir):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make setup installs it)")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
            page = b.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/login")
            page.fill("#username", "inv")
            page.fill("#password", PASSWORD)
            page.click("#login-btn")
            page.goto(base + "/subject/M1?from=2025-01-01&to=2025-10-31")
            page.wait_for_selector("#restrictions")
            assert page.locator("#restrictions tbody tr").count() == 2
            assert page.locator("#timeline polygon.cash").count() == 3
            box = page.locator("#timeline svg").bounding_box()
            assert box and box["width"] > 300
            page.screenshot(path=str(shots / "subject-measures.png"), full_page=True)
            b.close()
    finally:
        srv.shutdown()
    assert not errors, errors


def test_package_timeline_draws_cash_and_measures(measures_graph, tmp_path, artifacts_dir):
    import subprocess

    from evidence.gather import gather
    from evidence.package import build_package

    tl = gather(measures_graph, "M1", as_of=AS_OF)["timeline"]
    assert tl["cash"] == {"CASH1": "cash_withdrawal", "CASH2": "cash_withdrawal", "CASH3": "cash_deposit"}
    assert sorted(m["type"] for m in tl["markers"]) == ["encumbrance_registered", "restriction_lifted",
                                                        "restriction_ordered", "restriction_ordered"]
    res = build_package(measures_graph, "M1", tmp_path / "pkg", as_of=AS_OF)
    assert res.manifest["figures"]["timeline_points"] == 4  # one transfer out and three cash rows
    out = artifacts_dir / "screenshots" / "package-timeline-measures"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "3", "-l", "3", str(res.pdf_path), str(out)], check=True)
    text = subprocess.run(["pdftotext", str(res.pdf_path), "-"], check=True, capture_output=True, text=True).stdout
    assert "四、时间线" in text
