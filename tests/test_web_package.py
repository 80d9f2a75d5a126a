"""The evidence-package button of the subject and investigation pages, through Flask's test client,
against a real Neo4j loaded from tests/fixtures/web (the package itself is tested in test_package.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from urllib.parse import quote

import pytest
from sqlalchemy import select

from web.extensions import db
from web.models import AuditLog, User

from test_webutil import PASSWORD, WEB_FIXTURE, csrf, login, make_app

SCAN_AS_OF = dt.date(2025, 10, 31)
CRIMINAL_CASE = "(2024)京0105刑初123号"
PACKAGE_FILES = {"dossier.pdf", "evidence.csv", "network.html", "leads.json", "manifest.json"}


@pytest.fixture(scope="module")
def loaded(module_graph, tmp_path_factory):
    from ingest import load_dir
    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


@pytest.fixture
def pkg_dir(tmp_path):
    return tmp_path / "packages"


@pytest.fixture
def app(loaded, tmp_path, pkg_dir):
    return make_app(loaded, tmp_path, SCAN_AS_OF=SCAN_AS_OF, PACKAGE_DIR=str(pkg_dir))


@pytest.fixture
def inv(app):
    return login(app, "inv")


def post(client, url, **data):
    return client.post(url, data={"csrf_token": client.token, **data})


def package_rows(app) -> list[AuditLog]:
    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "package.generate")
                                       .order_by(AuditLog.id)))


def test_subject_page_shows_the_button_with_the_cases_and_default_as_of(app, inv):
    html = inv.get("/subject/P001").get_data(as_text=True)
    assert 'id="generate-package"' in html and "生成证据材料包" in html
    assert 'action="/subject/P001/package"' in html
    assert f'<option value="{CRIMINAL_CASE}">' in html
    assert f'value="{SCAN_AS_OF.isoformat()}"' in html  # no scan stored yet: SCAN_AS_OF
    from web.leadstore import record_scan
    with app.app_context():
        record_scan({"as_of": "2025-09-30", "leads": []}, None)
    html = inv.get("/subject/P001").get_data(as_text=True)
    assert 'id="package-as-of" value="2025-09-30"' in html  # the last stored scan's as-of wins


def test_subject_package_download_is_complete_and_audited(app, inv, pkg_dir):
    r = post(inv, "/subject/P001/package", case_no=CRIMINAL_CASE, as_of="")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/zip"
    body = r.get_data()
    package_id = r.headers["X-Package-Id"]
    assert package_id.startswith("EP-20251031-")
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''" + quote(f"证据材料包_P001_{package_id}.zip", safe="") in cd
    assert f'filename="evidence-package_P001_{package_id}.zip"' in cd
    assert hashlib.sha256(body).hexdigest() == r.headers["X-Package-SHA256"]

    zf = zipfile.ZipFile(io.BytesIO(body))
    assert {n for n in zf.namelist() if not n.startswith("冻结保全建议清单_")} == PACKAGE_FILES
    assert sorted(n[-4:] for n in zf.namelist() if n.startswith("冻结保全建议清单_")) == [".csv", ".pdf"]
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["package_id"] == package_id
    assert manifest["subject_id"] == "P001" and manifest["case_no"] == CRIMINAL_CASE
    assert manifest["as_of"] == SCAN_AS_OF.isoformat()  # the default when the form leaves it empty
    assert manifest["investigator"] == "inv" and manifest["notes"] == 0
    for name, info in manifest["files"].items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == info["sha256"]

    kept = pkg_dir / package_id
    assert sorted(p.name for p in pkg_dir.iterdir()) == [package_id]  # no build folder left behind
    assert hashlib.sha256(next(kept.glob("*.zip")).read_bytes()).hexdigest() == r.headers["X-Package-SHA256"]

    rows = package_rows(app)
    assert len(rows) == 1
    row = rows[0]
    assert row.username == "inv" and row.target == "P001"
    d = row.detail
    assert d["subject_id"] == "P001" and d["case_no"] == CRIMINAL_CASE and d["investigator"] == "inv"
    assert d["package_id"] == package_id and d["zip_sha256"] == r.headers["X-Package-SHA256"]


def test_unknown_case_and_bad_date_are_flashed_not_500(app, inv, pkg_dir):
    r = post(inv, "/subject/P001/package", case_no="(2099)不存在1号", as_of="2025-10-31")
    assert r.status_code == 302 and r.headers["Location"].endswith("/subject/P001")
    html = inv.get("/subject/P001").get_data(as_text=True)
    assert "案件 (2099)不存在1号 不是该被调查人的案件，未生成证据材料包。" in html
    r = post(inv, "/subject/P001/package", as_of="31.10.2025")
    assert r.status_code == 302
    assert "日期有误。" in inv.get("/subject/P001").get_data(as_text=True)
    r = post(inv, "/subject/NOPE/package")
    assert r.status_code == 302
    assert "没有该编号的人员或企业。" in inv.get("/").get_data(as_text=True)  # the flash, on the next page
    assert package_rows(app) == []
    assert not pkg_dir.exists() or list(pkg_dir.iterdir()) == []  # failed builds leave nothing


def test_refused_without_login_csrf_or_role(app, inv):
    anon = app.test_client()
    token = csrf(anon)
    r = anon.post("/subject/P001/package", data={"csrf_token": token})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert inv.post("/subject/P001/package", data={}).status_code == 400  # no CSRF token
    with app.app_context():  # an account whose role is below investigator (not one of ROLES)
        u = User(username="guest", role="guest")
        u.set_password(PASSWORD)
        db.session.add(u)
        db.session.commit()
    guest = login(app, "guest")
    assert post(guest, "/subject/P001/package").status_code == 403
    assert post(guest, "/investigations/1/package").status_code == 403
    assert package_rows(app) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_investigation_package_carries_its_notes(app, inv, tmp_path):
    r = post(inv, "/investigations/open", subject_id="P001")
    iid = int(r.headers["Location"].rsplit("/", 1)[1])
    note = "已调取银行流水，前妻账户收款待核实。"
    post(inv, f"/investigations/{iid}/notes", body=note)
    html = inv.get(f"/investigations/{iid}").get_data(as_text=True)
    assert f'action="/investigations/{iid}/package"' in html and "生成证据材料包" in html

    r = post(inv, f"/investigations/{iid}/package", as_of="2025-10-31")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    zf = zipfile.ZipFile(io.BytesIO(r.get_data()))
    assert {n for n in zf.namelist() if not n.startswith("冻结保全建议清单_")} == PACKAGE_FILES
    assert sorted(n[-4:] for n in zf.namelist() if n.startswith("冻结保全建议清单_")) == [".csv", ".pdf"]
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["subject_id"] == "P001" and manifest["notes"] == 1 and manifest["investigator"] == "inv"
    pdf = tmp_path / "dossier.pdf"
    pdf.write_bytes(zf.read("dossier.pdf"))
    txt = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True,
                         text=True).stdout
    squeezed = "".join(txt.split())
    assert "".join(note.split()) in squeezed

    rows = package_rows(app)
    assert len(rows) == 1 and rows[0].username == "inv"
    assert rows[0].detail["investigation"] == iid and rows[0].detail["package_id"] == manifest["package_id"]


def test_investigation_package_unknown_case_is_flashed(app, inv):
    r = post(inv, "/investigations/open", subject_id="P001")
    iid = int(r.headers["Location"].rsplit("/", 1)[1])
    r = post(inv, f"/investigations/{iid}/package", case_no="(2099)不存在1号")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/investigations/{iid}")
    assert "不是该被调查人的案件" in inv.get(f"/investigations/{iid}").get_data(as_text=True)
    assert post(inv, "/investigations/99999/package").status_code == 404
