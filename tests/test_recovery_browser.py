"""The flow view, the freeze-list export and recovery records in headless Debian chromium.

Screenshots go to tests/artifacts/screenshots/recovery-*.png and the freeze-list PDF is rendered
with pdftoppm to tests/artifacts/screenshots/recovery-freeze-list-1.png, for a person to look at.
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_webutil import PASSWORD, WEB_FIXTURE, make_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(module_graph, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make setup installs it)")
    from ingest import load_dir
    from werkzeug.serving import make_server

    from web.extensions import db
    from web.main import run_scan
    from web.models import User

    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    app = make_app(module_graph, tmp_path_factory.mktemp("app"), SCAN_AS_OF=dt.date(2025, 10, 31))
    with app.app_context():
        run_scan(db.session.scalar(db.select(User).where(User.username == "sup")), dt.date(2025, 10, 31))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_flow_freeze_list_and_recovery(server, artifacts_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    external: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = b.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True, locale="zh-CN")

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

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"recovery-{name}.png"), full_page=True)

        page.goto(server + "/login")
        page.fill("#username", "sup")
        page.fill("#password", PASSWORD)
        page.click("#login-btn")
        page.wait_for_selector("#leads")

        # from a lead on the dashboard to its flow
        page.locator("a.lead-flow").first.click()
        page.wait_for_selector("#sankey svg")
        assert "/flow?lead=" in page.url
        # from the subject page
        page.goto(server + "/subject/P001")
        page.click("#open-flow")
        page.wait_for_selector("#sankey svg path")
        assert page.locator("#sankey svg path").count() >= 4  # links are drawn
        assert page.locator("#sankey svg text", has_text="李秀英").count() >= 1
        assert "按时间顺序回放交易" in page.inner_text("#flow-rule")
        assert "层" in page.inner_text("#flow-left-out")
        ends = page.locator("#endpoints tbody tr")
        assert ends.count() >= 4
        assert "前配偶" in page.inner_text("#endpoints tr[data-account='6222000000000002']")
        assert page.evaluate("window.recoveryCharts.sankey.getOption().series[0].links.length") >= 4
        shot("01-flow")

        # freeze list: CSV and PDF from the flow page
        with page.expect_download() as dl:
            page.click("#freeze-csv")
        csv_path = tmp_path / "fl.csv"
        dl.value.save_as(csv_path)
        assert dl.value.suggested_filename.startswith("冻结保全建议清单_P001_") and dl.value.suggested_filename.endswith(".csv")
        data = csv_path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and "6222000000000002" in data.decode("utf-8-sig")
        with page.expect_download() as dl:
            page.click("#freeze-pdf")
        pdf_path = shots / "recovery-freeze-list.pdf"
        dl.value.save_as(pdf_path)
        assert pdf_path.read_bytes()[:5] == b"%PDF-"
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf_path), str(shots / "recovery-freeze-list")],
                           check=True)
            assert (shots / "recovery-freeze-list-1.png").exists()
            assert not (shots / "recovery-freeze-list-2.png").exists()  # one page

        # an investigation records a deduction; the dashboard's recovered card and the chart use it
        page.goto(server + "/subject/P001")
        page.click("form[action='/investigations/open'] button")
        page.wait_for_selector("#open-recovery")
        page.click("#open-recovery")
        page.wait_for_selector("#record-form")
        page.select_option("#rec-kind", "deducted")
        page.fill("#rec-target", "6222000000000002")
        page.select_option("#rec-case", "(2024)京0105刑初123号")
        page.fill("#rec-on", "2025-11-20")
        page.fill("#rec-amount", "120000")
        page.fill("#rec-doc", "(2025)京0105执123号之一")
        page.click("#rec-save")
        page.wait_for_selector("#records tbody tr td:has-text('(2025)京0105执123号之一')")
        assert "¥370,000.00" in page.inner_text("#case-balances tr[data-case='(2024)京0105刑初123号']")
        shot("02-recovery-records")
        recovery_url = page.url
        page.goto(server + "/")
        assert page.inner_text("#recovered") == "¥120,000.00"
        page.click("#recovery-overview")
        page.wait_for_function("() => !!(window.recoveryCharts && window.recoveryCharts.court && window.recoveryCharts.prison)")
        assert page.evaluate("window.recoveryCharts.court.getOption().series[0].data") == [120000]
        assert page.locator("#chart-court svg path").count() > 5
        assert "北京市朝阳区人民法院" in page.inner_text("#table-court")
        shot("03-recovered-chart")

        # the deduction was mistyped: correct it (reason required), then record and void a payment;
        # the originals stay on the page, struck out, and the unpaid amount follows the entries in force
        page.goto(recovery_url)
        rid = page.locator("#records tr.rec-live").first.get_attribute("data-record")
        page.click(f"#edit-{rid} summary")
        form = page.locator(f"#edit-{rid} form.correct-form")
        form.locator(".correct-amount").fill("100,000")
        form.locator(".correct-reason").fill("裁定金额为10万元，录入有误")
        form.locator(".correct-save").click()
        page.wait_for_selector(f"#rec-{rid}.rec-old")
        assert "¥390,000.00" in page.inner_text("#case-balances tr[data-case='(2024)京0105刑初123号']")
        assert "¥120,000.00" in page.inner_text(f"#rec-{rid}")  # the original, still shown
        live = page.locator("#records tr.rec-live").first.get_attribute("data-record")
        assert live != rid and "¥100,000.00" in page.inner_text(f"#rec-{live}")
        page.click(f"#edit-{live} summary")
        page.locator(f"#edit-{live} .void-reason").fill("扣划被撤销")
        page.locator(f"#edit-{live} .void-save").click()
        page.wait_for_selector(f"#rec-{live}.rec-old")
        assert "¥490,000.00" in page.inner_text("#case-balances tr[data-case='(2024)京0105刑初123号']")
        assert page.locator("#records tr.rec-live").count() == 0 and page.locator("#records tr.rec-old").count() == 3
        assert "扣划被撤销" in page.inner_text("#records")
        shot("05-recovery-corrected-voided")
        page.goto(server + "/")
        assert page.inner_text("#recovered") == "¥0.00"

        # the language switch keeps the page working in English
        page.goto(server + "/subject/P001/flow")
        page.click("#lang-en")
        page.wait_for_selector("#sankey svg path")
        assert "Attribution rule" in page.inner_text("#flow-rule")
        shot("04-flow-en")
        b.close()
    assert not external, external
    assert not errors, errors
