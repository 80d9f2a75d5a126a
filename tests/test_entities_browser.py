"""The entity review page in a real headless Chromium: a supervisor sees the candidates with reasons
and score, compares two records side by side with their sources, and rejects a namesake pair; the
rejection is audited and the pair stays rejected after another resolve. Chinese by default, English
on the switch. Screenshots in tests/artifacts/screenshots/entities-*.png.
"""
from __future__ import annotations

import csv
import datetime as dt
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from synth import names
from test_webutil import PASSWORD, make_app
from web.i18n import mask_id_number, mask_phone

pytestmark = pytest.mark.browser

from test_browser import ARGS, CHROMIUM  # noqa: E402  (the same headless Chromium as the main journey)


def _world(d: Path) -> dict:
    born = dt.date(1985, 2, 3)
    ids = {"a": names.id_number("110105", dt.date(1979, 4, 5), 13), "w1": names.id_number("110105", born, 22),
           "w2": names.id_number("320102", born, 48)}
    persons = [
        ["person_id", "name", "id_number", "gender", "birth_date", "phone", "address"],
        ["P1", "张伟", ids["a"], "M", "1979-04-05", "13900000001", "北京市朝阳区"],
        ["P2", "王芳", ids["w1"], "F", "1985-02-03", "", "北京市朝阳区"],
        ["P3", "王芳", ids["w2"], "F", "1985-02-03", "13700000003", "南京市玄武区"],
        ["P4", "李娜", "", "F", "", "13800000004", ""],
    ]
    second = [persons[0], ["S1", "張 偉", ids["a"], "M", "", "", ""], ["S4", "李 娜", "", "F", "", "138-0000-0004", ""]]
    d.mkdir(parents=True, exist_ok=True)
    for name, rows in (("persons.csv", persons), ("persons_second.csv", second)):
        with open(d / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return ids


@pytest.fixture(scope="module")
def server(module_graph, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make setup installs it)")
    from werkzeug.serving import make_server

    from ingest import entities, load_dir
    from web.extensions import db

    d = tmp_path_factory.mktemp("entities_web")
    _world(d)
    load_dir(module_graph, d, rejects_dir=tmp_path_factory.mktemp("rejects"))
    app = make_app(module_graph, tmp_path_factory.mktemp("app"))
    with app.app_context():
        entities.resolve(module_graph, db.engine)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", app
    srv.shutdown()


def test_supervisor_reviews_and_rejects_a_namesake_pair(server, module_graph, artifacts_dir):
    from playwright.sync_api import sync_playwright

    from ingest import entities
    from web.extensions import db
    from web.models import AuditLog

    base, app = server
    born = dt.date(1985, 2, 3)
    ids = {"w1": names.id_number("110105", born, 22), "w2": names.id_number("320102", born, 48)}  # as _world
    shots = artifacts_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = b.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # an investigator has no entities page
        page.goto(base + "/login")
        page.fill("#username", "inv")
        page.fill("#password", PASSWORD)
        page.click("#login-btn")
        assert page.locator("#nav-entities").count() == 0
        assert page.goto(base + "/entities/candidates").status == 403
        errors.clear()  # the 403 just asked for is the console's only complaint so far
        ctx.clear_cookies()
        page.goto(base + "/login")
        page.fill("#username", "sup")
        page.fill("#password", PASSWORD)
        page.click("#login-btn")
        page.click("#nav-entities")
        page.wait_for_selector("#candidates")
        rows = page.locator("#candidates tr.candidate")
        assert rows.count() == 2  # the namesakes, and 李娜 / 李 娜 (same phone); 张伟 / 張 偉 is merged
        text = page.inner_text("#candidates")
        assert "出生日期相同" in text and "两个不同的有效身份证号" in text and "电话相同" in text
        assert "P1" not in text and "S1" not in text
        page.screenshot(path=str(shots / "entities-1-candidates.png"), full_page=True)
        # compare the namesakes: both records and both sources side by side
        page.click("#candidates tr.candidate:has-text('P3') a.review-link")
        page.wait_for_selector("#side-by-side")
        side = page.inner_text("#side-by-side")
        assert "P2" in side and "P3" in side and "persons.csv" in side and "南京市玄武区" in side
        # ID numbers and phones are masked until the supervisor asks (audited)
        assert ids["w2"] not in side and "13700000003" not in side
        assert mask_id_number(ids["w2"]) in side and mask_phone("13700000003") in side
        page.screenshot(path=str(shots / "entities-2-review.png"), full_page=True)
        page.click("#reveal-both")
        page.wait_for_selector("#side-by-side")
        side = page.inner_text("#side-by-side")
        assert ids["w1"] in side and ids["w2"] in side and "13700000003" in side
        assert page.locator("#reveal-form").count() == 0
        page.fill("#note", "不同身份证号，住址不同")
        page.click("#decide-reject")
        page.wait_for_selector("#candidates")
        assert page.locator("#candidates tr.candidate").count() == 1
        page.goto(base + "/entities/candidates?status=rejected")
        assert "P3" in page.inner_text("#candidates")
        # English on the switch
        page.click("#lang-en")
        page.wait_for_selector("#candidates")
        assert "two different valid ID numbers" in page.inner_text("#candidates")
        page.screenshot(path=str(shots / "entities-3-rejected-en.png"), full_page=True)
        # the subject page sees through: P1's other record S1 is listed
        page.goto(base + "/subject/P1", timeout=180_000)
        page.wait_for_selector("#same-as")
        assert "S1" in page.inner_text("#same-as") and "persons_second.csv" in page.inner_text("#same-as")
        page.screenshot(path=str(shots / "entities-4-subject.png"), full_page=True)
        b.close()
    assert not errors, errors
    with app.app_context():
        entities.resolve(module_graph, db.engine)
        st = {(c["left"], c["right"]): c["status"] for c in entities.candidates(db.engine)}
        assert st[("P2", "P3")] == "rejected"
        row = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "entity_judge"))
        assert row.username == "sup" and row.target == "P2|P3"
        seen = {(a.action, a.target) for a in db.session.scalars(db.select(AuditLog).where(AuditLog.username == "sup"))}
        assert ("view_entity_review", "P2|P3") in seen and ("reveal", "P2|P3") in seen
    assert module_graph.read_one("MATCH (:Person {person_id: 'S1'})-[r:SAME_AS]->(:Person {person_id: 'P1'}) "
                                 "RETURN r.rule AS rule")["rule"] == "id_number"
