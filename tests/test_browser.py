"""The UI as a person uses it, in a real headless Chromium (Debian's), against a real Neo4j.

Log in, search a planted subject, open the network (the canvas draws nodes), expand a node,
run a built-in pattern and a saved query, export CSV, open an investigation and add a note,
switch language. No console errors; no request leaves 127.0.0.1. Screenshots are saved
under tests/artifacts/screenshots/ for a person to look at.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_webutil import PASSWORD, WEB_FIXTURE, make_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
READ_Q = ("MATCH (p:Person)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)\n"
          "WHERE t.amount_fen >= $min_amount\n"
          "RETURN p.person_id AS subject_id, p.name AS name, t.transfer_id AS transfer_id, "
          "t.amount_fen AS amount_fen ORDER BY amount_fen DESC")


@pytest.fixture(scope="module")
def server(module_graph, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make setup installs it)")
    from ingest import load_dir
    from werkzeug.serving import make_server

    from web.extensions import db
    from web.main import run_scan
    from web.models import SavedQuery, SavedQueryVersion, User

    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    app = make_app(module_graph, tmp_path_factory.mktemp("app"), SCAN_AS_OF=dt.date(2025, 10, 31),
                   PACKAGE_DIR=str(tmp_path_factory.mktemp("packages")))
    with app.app_context():
        sup = db.session.scalar(db.select(User).where(User.username == "sup"))
        run_scan(sup, dt.date(2025, 10, 31))
        q = SavedQuery(slug="big_out", created_by=sup.id)
        db.session.add(q)
        db.session.flush()
        db.session.add(SavedQueryVersion(query_id=q.id, version=1, title="大额转出", description="十万元以上的转出",
                                         legal_basis="刑法第313条", cypher=READ_Q, author_id=sup.id,
                                         params_json=json.dumps([{"name": "min_amount", "type": "yuan",
                                                                  "default": "100000"}])))
        db.session.commit()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_investigator_journey(server, browser, artifacts_dir, tmp_path):
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    external: list[str] = []
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True, locale="zh-CN")

    def gate(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith("data:") or host == "127.0.0.1":
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    ctx.route("**/*", gate)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    # a download shows as an aborted navigation request: not an error
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}")
            if urlparse(r.url).hostname == "127.0.0.1" and ".csv" not in urlparse(r.url).path
            and not urlparse(r.url).path.endswith("/package") else None)

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    # log in (Chinese by default)
    page.goto(server + "/")
    assert "/login" in page.url
    shot("01-login")
    page.fill("#username", "inv")
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#leads")
    assert page.locator("nav").inner_text().find("仪表板") >= 0
    assert page.locator("#leads tbody tr[data-lead]").count() > 0
    shot("02-dashboard")

    # search a planted subject by partial Chinese name, open it
    page.fill("nav input[name=q]", "建国")
    page.press("nav input[name=q]", "Enter")
    page.wait_for_selector("#res-persons")
    shot("03-search")
    page.click("#res-persons a[href='/subject/P001']")
    page.wait_for_selector("#subject-name")
    assert page.inner_text("#subject-name") == "张建国"
    assert "110101********001X" in page.inner_text("#id-number")
    assert page.locator("#timeline svg circle").count() > 0
    shot("04-subject")

    # network: the canvas draws nodes
    page.click("#open-network")
    page.wait_for_selector("body[data-net-ready='1']", timeout=20000)
    n_nodes = page.evaluate("window.__net.body.nodeIndices.length")
    assert n_nodes > 5
    painted = page.evaluate("""() => {
        const c = document.querySelector('#network canvas');
        const ctx = c.getContext('2d');
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 16) { if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) n++; }
        return n;
    }""")
    assert painted > 500, painted
    shot("05-network")

    # expand a node: click the payer that sent money to the subject (a busy account with many recipients)
    node = "a:6222000000000006"
    assert page.evaluate(f"window.__net.body.nodes[{json.dumps(node)}] !== undefined")
    pos = page.evaluate(f"""() => {{ const p = window.__net.getPositions([{json.dumps(node)}])[{json.dumps(node)}];
        window.__net.moveTo({{position: p, scale: 1.0}});
        const d = window.__net.canvasToDOM(p); const r = document.querySelector('#network').getBoundingClientRect();
        return {{x: r.left + d.x, y: r.top + d.y}}; }}""")
    page.mouse.click(pos["x"], pos["y"])
    page.wait_for_selector("#node-info:not(.d-none)")
    page.click("#node-expand")
    page.wait_for_selector("body[data-expanded]")
    assert int(page.get_attribute("body", "data-expanded")) > 0
    assert page.evaluate("window.__net.body.nodeIndices.length") > n_nodes
    assert page.is_visible("#expand-notice")
    shot("06-network-expanded")

    # built-in pattern: run, sort, export CSV
    page.goto(server + "/patterns")
    shot("07-patterns")
    page.click("a[href='/patterns/post_filing_transfer_to_related']")
    page.fill("#as_of", "2025-10-31")
    page.click("#run")
    page.wait_for_selector("#results")
    assert "张建国" in page.inner_text("#results")
    page.click("#results thead th:nth-child(5)")  # sort by amount
    shot("08-pattern-results")
    with page.expect_download() as dl:
        page.click("#export-csv")
    path = tmp_path / "hits.csv"
    dl.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "张建国" in raw.decode("utf-8-sig")

    # saved query
    page.goto(server + "/patterns")
    page.click("text=大额转出")
    page.fill("#p_min_amount", "100000")
    page.click("#run")
    page.wait_for_selector("#results")
    assert "T0002" in page.inner_text("#results") and "T0004" not in page.inner_text("#results")
    shot("09-saved-query")

    # open an investigation from the subject's lead and add a note
    page.goto(server + "/subject/P001")
    page.locator("[data-lead] form button.btn-outline-primary").first.click()
    page.wait_for_selector("#note-body")
    page.fill("#note-body", "已调取银行流水，待核实资金去向。")
    page.click("#add-note")
    page.wait_for_selector(".note-body")
    assert "已调取银行流水" in page.inner_text("#notes")
    page.select_option("#status", "in_progress")
    page.click("#inv-save")
    page.wait_for_selector("#inv-status")
    assert page.inner_text("#inv-status") == "核查中"
    shot("10-investigation")

    # evidence package of the investigation (its note included): the button downloads a ZIP
    with page.expect_download(timeout=120000) as dl:
        page.click("#generate-package", timeout=120000)  # a PDF build; slow when the machine is busy
    assert dl.value.suggested_filename.startswith("证据材料包_P001_EP-")
    zpath = tmp_path / "package.zip"
    dl.value.save_as(zpath)
    import zipfile
    with zipfile.ZipFile(zpath) as zf:
        assert {n for n in zf.namelist() if not n.startswith("冻结保全建议清单_")} == {
            "dossier.pdf", "evidence.csv", "network.html", "leads.json", "manifest.json"}
        assert json.loads(zf.read("manifest.json"))["notes"] == 1

    # switch language
    page.click("#lang-en")
    page.wait_for_selector("#inv-status")
    assert page.inner_text("#inv-status") == "in progress"
    assert "Dashboard" in page.inner_text("nav")
    shot("11-english")
    page.goto(server + "/subject/P001/network")
    page.wait_for_selector("body[data-net-ready='1']", timeout=20000)
    assert "Legend" in page.inner_text("body")
    shot("12-network-english")

    ctx.close()
    assert not external, external
    assert not errors, errors
