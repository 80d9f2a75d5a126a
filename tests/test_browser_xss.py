"""A name holding `<script>` (and an `<img onerror>`) stays inert text on the subject page, in the
network tooltip and in the search results: real headless Chromium against a real Neo4j.
Screenshots go to tests/artifacts/screenshots/xss-*.png."""
from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from test_webutil import PASSWORD, WEB_FIXTURE, make_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
EVIL = '恶意<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


@pytest.fixture(scope="module")
def server(module_graph, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make setup installs it)")
    from ingest import load_dir
    from werkzeug.serving import make_server

    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    # P002 (P001's former spouse) gets a hostile name, as a statement could carry one
    module_graph.write("MATCH (p:Person {person_id: 'P002'}) SET p.name = $n", {"n": EVIL})
    app = make_app(module_graph, tmp_path_factory.mktemp("app"), SCAN_AS_OF=dt.date(2025, 10, 31))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_script_in_a_name_stays_inert(server, artifacts_dir):
    from playwright.sync_api import sync_playwright
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server + "/login")
        page.fill("#username", "inv")
        page.fill("#password", PASSWORD)
        page.click("#login-btn")
        page.wait_for_selector("#leads")

        # search results
        page.goto(server + "/search?q=恶意")
        page.wait_for_selector("#res-persons")
        assert EVIL in page.inner_text("#res-persons")
        assert page.locator("#res-persons img").count() == 0
        assert page.evaluate("window.__xss") is None
        page.screenshot(path=str(shots / "xss-search.png"), full_page=True)

        # subject page
        page.goto(server + "/subject/P002")
        page.wait_for_selector("#subject-name")
        assert page.inner_text("#subject-name") == EVIL
        assert page.locator("#subject-name img, #subject-name script").count() == 0
        assert page.evaluate("window.__xss") is None
        page.screenshot(path=str(shots / "xss-subject.png"), full_page=True)

        # network of P001: hover P002's node for vis-network's tooltip, click it for the side panel
        page.goto(server + "/subject/P001/network")
        page.wait_for_selector("body[data-net-ready='1']", timeout=20000)
        node = page.evaluate("""() => Object.keys(window.__net.body.nodes)
            .find(k => (window.__net.body.nodes[k].options.label || '').indexOf('恶意') >= 0)""")
        assert node, "P002 is not in P001's network"
        pos = page.evaluate(f"""() => {{ const p = window.__net.getPositions([{json.dumps(node)}])[{json.dumps(node)}];
            window.__net.moveTo({{position: p, scale: 1.0}});
            const d = window.__net.canvasToDOM(p); const r = document.querySelector('#network').getBoundingClientRect();
            return {{x: r.left + d.x, y: r.top + d.y}}; }}""")
        page.mouse.move(pos["x"], pos["y"])
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
        tip = page.locator("div.vis-tooltip")
        assert "<script>" in tip.inner_text()
        assert tip.locator("img, script").count() == 0
        page.screenshot(path=str(shots / "xss-network-tooltip.png"), full_page=True)
        page.mouse.click(pos["x"], pos["y"])
        page.wait_for_selector("#node-info:not(.d-none)")
        assert "<script>" in page.inner_text("#node-name") or "<script>" in page.inner_text("#node-title")
        assert page.locator("#node-info img, #node-info script").count() == 0
        assert page.evaluate("window.__xss") is None
        assert not dialogs
        ctx.close()
        browser.close()
