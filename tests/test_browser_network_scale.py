"""A subject with 5,000 neighbours: the network page is capped, draws in headless Chromium, and stays
usable (click a node, read its panel, zoom). Screenshot: tests/artifacts/screenshots/net-5000-*.png."""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from hubdata import HUB, write_hub
from investigations import netmodel
from test_webutil import PASSWORD, make_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
NEIGHBOURS = 5000


@pytest.fixture(scope="module")
def server(module_graph, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make setup installs it)")
    from ingest import load_dir
    from werkzeug.serving import make_server

    data = write_hub(tmp_path_factory.mktemp("hub"), NEIGHBOURS)
    load_dir(module_graph, data, rejects_dir=tmp_path_factory.mktemp("rejects"))
    app = make_app(module_graph, tmp_path_factory.mktemp("app"))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_network_of_5000_neighbours(server, artifacts_dir):
    from playwright.sync_api import sync_playwright

    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = b.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server + "/login")
        page.fill("#username", "inv")
        page.fill("#password", PASSWORD)
        page.click("#login-btn")
        page.wait_for_selector("#leads, nav")
        page.goto(server + f"/subject/{HUB}/network", timeout=120000)
        page.wait_for_selector("body[data-net-ready='1']", timeout=120000)
        data = json.loads(page.inner_text("#net-data"))
        # capped: the page keeps PAGE_MAX_NODES nodes and says how many more there are
        assert data["count"] == netmodel.PAGE_MAX_NODES and data["truncated"]
        assert data["more"] >= NEIGHBOURS - netmodel.PAGE_MAX_NODES
        notice = page.inner_text("#net-capped")
        assert re.search(r"\d", notice) and str(data["more"]) in notice
        # the canvas draws, and a node can be clicked: its panel opens
        drawn = page.evaluate("""() => {
            const c = document.querySelector('#network canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4 * 97) { if (d[i] > 0) n++; } return n; }""")
        assert drawn > 100
        page.screenshot(path=str(shots / "net-5000-capped.png"), full_page=True)
        target = next(n for n in data["nodes"] if n["kind"] == "person" and not n["root"])
        xy = page.evaluate("""(id) => { const p = window.__net.getPositions([id])[id];
            const d = window.__net.canvasToDOM(p); const r = document.querySelector('#network').getBoundingClientRect();
            return [r.left + d.x, r.top + d.y]; }""", target["id"])
        page.mouse.click(xy[0], xy[1])
        page.wait_for_selector("#node-info:not(.d-none)")
        assert target["key"] in page.inner_text("#node-title")
        page.evaluate("(id) => window.__net.moveTo({scale: 0.6, position: window.__net.getPositions([id])[id]})",
                      target["id"])
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "net-5000-zoomed.png"), full_page=True)
        b.close()
    assert not errors, errors
