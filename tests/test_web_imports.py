"""The import page: roles, safe staging (zip bombs, paths in archives), inspection, background load, undo,
and a browser run in headless Chromium with a screenshot."""
from __future__ import annotations

import io
import re
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from ingest import imports as imp
from test_webutil import PASSWORD, login, make_app
from web.extensions import db
from web.models import AuditLog

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "statements"))
import make_fixtures  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in files.items():
            z.writestr(n, b)
    return buf.getvalue()


def test_staging_refuses_unsafe_archives(tmp_path):
    with pytest.raises(imp.ImportRefused, match="outside"):
        imp.stage(tmp_path, [("a.zip", io.BytesIO(_zip({"../../etc/passwd.csv": b"x"})))])
    with pytest.raises(imp.ImportRefused, match="outside"):
        imp.stage(tmp_path, [("a.zip", io.BytesIO(_zip({"/abs/x.csv": b"x"})))])
    with pytest.raises(imp.ImportRefused, match="zip bomb"):
        imp.stage(tmp_path, [("bomb.zip", io.BytesIO(_zip({"big.csv": b"0" * (50 * 2**20)})))])
    with pytest.raises(imp.ImportRefused, match="only"):
        imp.stage(tmp_path, [("evil.exe", io.BytesIO(b"MZ"))])
    bid, names = imp.stage(tmp_path, [("sub/dir/流水.csv", io.BytesIO(b"a,b\n")),
                                      ("r.zip", io.BytesIO(_zip({"inner/TenpayTrades.txt": b"x\ty\n"})))])
    assert names == ["TenpayTrades.txt", "流水.csv"]
    assert sorted(p.name for p in (tmp_path / bid / "files").iterdir()) == names
    with pytest.raises(imp.ImportRefused):
        imp.batch_dir(tmp_path, "../" + bid)


def _upload_case(client, tmp_path) -> str:
    case = tmp_path / "case"
    make_fixtures.write_case(case)
    z = _zip({p.name: p.read_bytes() for p in case.iterdir()})
    r = client.post("/imports/upload", data={"csrf_token": client.token, "files": (io.BytesIO(z), "returns.zip")},
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return r.headers["Location"].rsplit("/", 1)[-1]


def test_import_flow_with_undo(graph, tmp_path):
    app = make_app(graph, tmp_path, IMPORT_DIR=str(tmp_path / "imports"))
    inv = login(app, "inv")
    assert inv.get("/imports").status_code == 403
    sup = login(app, "sup")
    assert sup.get("/imports").status_code == 200
    bid = _upload_case(sup, tmp_path)
    html = sup.get(f"/imports/{bid}").get_data(as_text=True)
    assert "police_transactions" in html and "tenpay_trades" in html and "jiwei_feedback" in html
    assert html.count('data-kind="table"') == 2 and html.count('data-kind="return"') == 6
    r = sup.post(f"/imports/{bid}/load", data={"csrf_token": sup.token})
    assert r.status_code == 302
    for _ in range(600):
        st = sup.get(f"/imports/{bid}/status").get_json()
        if st["status"] != "running":
            break
        time.sleep(0.2)
    assert st["status"] == "done", st
    html = sup.get(f"/imports/{bid}").get_data(as_text=True)
    m = re.search(r'id="pairing-summary">([^<]*)<', html)
    assert m and re.findall(r"\d+", m.group(1))[:3] == ["9", "10", "4"], m and m.group(1)
    r = sup.get(f"/imports/{bid}/rejects/statements.csv")
    assert r.status_code == 200 and "ICBC0008" in r.get_data(as_text=True)
    assert sup.get(f"/imports/{bid}/rejects/..%2Fx.csv").status_code == 404
    n = graph.read_one("MATCH ()-[t:TRANSFER]->() WHERE coalesce(t.kind, 'transfer') = 'transfer' "
                       "RETURN count(t) AS n")["n"]
    assert n == 9  # and one cash withdrawal, a self-loop of its account
    r = sup.post(f"/imports/loads/{st['load_id']}/undo", data={"csrf_token": sup.token})
    assert r.status_code == 302
    assert graph.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"] == 0
    with app.app_context():
        actions = [a.action for a in db.session.scalars(db.select(AuditLog).order_by(AuditLog.id))]
    assert {"import.upload", "import.load", "import.rejects_download", "import.undo"} <= set(actions)


@pytest.mark.browser
def test_import_page_in_browser(graph, tmp_path, artifacts_dir):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server
    app = make_app(graph, tmp_path, IMPORT_DIR=str(tmp_path / "imports"))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    case = tmp_path / "case"
    make_fixtures.write_case(case)
    wechat = make_fixtures.write_layout("wechat_bill", tmp_path / "w")
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
            page = b.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(base + "/login")
            page.fill("#username", "sup")
            page.fill("#password", PASSWORD)
            page.click("#login-btn")
            page.click("#nav-import")
            page.set_input_files("#files", [str(x) for x in sorted(case.iterdir())] + [str(wechat)])
            page.click("#upload-btn")
            page.wait_for_selector(".import-file")
            assert page.locator(".import-file").count() == 9
            assert page.locator(".import-file[data-file='TenpayTrades_20240401.txt'] .profile").inner_text() == \
                "tenpay_trades"
            # the WeChat bill names no account: the page asks, loading waits
            assert page.locator("#load-btn").is_disabled()
            page.fill("input[name='account:微信支付账单(20240301-20240331).csv']", "wxid_jiang")
            page.click(".import-file[data-file='微信支付账单(20240301-20240331).csv'] button")
            page.wait_for_selector("#load-btn:not([disabled])")
            page.screenshot(path=str(shots / "import-01-inspect.png"), full_page=True)
            page.click("#load-btn")
            page.wait_for_selector("#summary", timeout=120000)
            assert page.locator("#progress").inner_text() == "100%"
            assert page.locator("#summary tbody tr").count() == 7
            page.screenshot(path=str(shots / "import-02-summary.png"), full_page=True)
            assert page.locator(".rejects-link").count() == 1
            page.goto(base + "/imports")
            assert page.locator("#loads tr[data-load]").count() == 1
            cells = page.locator("#loads tr[data-load] td").all_inner_texts()
            read, loaded, paired, skipped, rejected = (int(c) for c in cells[3:8])
            assert read == loaded + paired + skipped + rejected and paired > 0 and skipped > 0
            page.screenshot(path=str(shots / "import-03-loads.png"), full_page=True)
            page.click(".undo-btn")
            page.wait_for_selector("#loads")
            assert page.locator("#loads tr[data-load]").count() == 0
            b.close()
    finally:
        srv.shutdown()
    assert errors == []
