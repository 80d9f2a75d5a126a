"""Evidence packages (evidence.package) against a real Neo4j loaded from tests/fixtures/package.

P001 (张伟) transfers ¥200,000.00 to his spouse P002 after litigation start (T0001), sends
¥50,000.50 to an account of unknown holder whose statement name is hostile markup (T0002),
USD 1,234.56 to a company of his son (T0003), and gives the flat AT0001 to his spouse.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence.cli import cli_audit, read_notes, register
from evidence.package import CSV_COLUMNS, PackageError, build_package, fen_plain, fen_text, verify_manifest

FIX = Path(__file__).resolve().parent / "fixtures" / "package"
AS_OF = dt.date(2025, 10, 31)
CASE = "(2024)京0105民初123号"
NOTES = [{"author": "王检察官", "at": "2025-11-01", "text": "李娜名下房产系无偿受让，建议调取不动产登记档案。<b>未闭合"}]
HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def loaded(module_graph, tmp_path_factory):
    from ingest import load_dir

    res = load_dir(module_graph, FIX, rejects_dir=tmp_path_factory.mktemp("rejects"))
    assert res.tables["transfers"]["loaded"] == 3
    return module_graph, res.load_id


@pytest.fixture(scope="module")
def packages(loaded, tmp_path_factory):
    g, _ = loaded
    audit: list[tuple[str, dict]] = []
    a = build_package(g, "P001", tmp_path_factory.mktemp("pkg_a"), as_of=AS_OF, investigator="王检察官",
                      notes=NOTES, audit=lambda action, d: audit.append((action, d)))
    b = build_package(g, "P001", tmp_path_factory.mktemp("pkg_b"), as_of=AS_OF, investigator="王检察官",
                      notes=NOTES)
    return a, b, audit


def _csv_rows(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "evidence.csv must start with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))


def test_money_text_is_exact():
    assert fen_text(123450, "¥") == "¥1,234.50"
    assert fen_plain(5000050) == "50000.50"
    assert fen_plain(7) == "0.07" and fen_plain(-105) == "-1.05"
    assert fen_text(10**17 + 1) == "1,000,000,000,000,000.01"  # beyond float precision


def test_planted_evidence_in_csv_and_leads(packages, loaded):
    a, _, _ = packages
    _, load_id = loaded
    rows = {r["编号"]: r for r in _csv_rows(a.paths["evidence.csv"])}
    assert list(_csv_rows(a.paths["evidence.csv"])[0]) == [h for h, _ in CSV_COLUMNS]
    t1 = rows["T0001"]
    assert t1["引用模式"] == "post_filing_transfer_to_related"
    assert t1["与被调查人关系"] == "配偶" and t1["对方编号"] == "P002" and t1["诉讼开始后"] == "是"
    assert (t1["金额"], t1["金额（分）"], t1["币种"]) == ("200000.00", "20000000", "CNY")
    assert (t1["来源文件"], t1["来源行"], t1["导入批次"]) == ("transfers.csv", "2", load_id)
    assert rows["T0002"]["金额"] == "50000.50" and rows["T0002"]["引用模式"] == ""
    assert rows["T0003"]["币种"] == "USD"
    at = rows["AT0001"]
    assert at["记录类型"] == "财产转移" and at["引用模式"] == "below_value_conveyance"
    assert at["金额"] == "0.00" and at["评估价值"] == "3000000.00" and at["转入方"] == "P002"
    assert rows[CASE]["记录类型"] == "案件"
    leads = json.loads(a.paths["leads.json"].read_text(encoding="utf-8"))
    assert leads["subject_id"] == "P001" and leads["as_of"] == AS_OF.isoformat()
    by_pat = {x["pattern"]: x for x in leads["leads"]}
    assert "T0001" in by_pat["post_filing_transfer_to_related"]["evidence"]["transfer_ids"]
    assert "AT0001" in by_pat["below_value_conveyance"]["evidence"]["asset_transfer_ids"]
    assert all(x["subject_id"] == "P001" for x in leads["leads"])
    assert leads["parameters"]["post_filing_transfer_to_related"]["as_of"] == AS_OF.isoformat()


def test_manifest_hashes_verify(packages, loaded):
    a, _, _ = packages
    _, load_id = loaded
    m = json.loads(a.paths["manifest.json"].read_text(encoding="utf-8"))
    freeze = sorted(n for n in m["files"] if n.startswith("冻结保全建议清单_"))
    assert [n[-4:] for n in freeze] == [".csv", ".pdf"] and m["freeze_list"] == freeze
    assert set(m["files"]) == {"dossier.pdf", "evidence.csv", "network.html", "leads.json", *freeze}
    assert (a.out_dir / freeze[1]).read_bytes().startswith(b"%PDF")
    fl = (a.out_dir / freeze[0]).read_text(encoding="utf-8-sig").splitlines()
    lead_ids = {x["lead_id"] for x in json.loads(a.paths["leads.json"].read_text(encoding="utf-8"))["leads"]}
    assert len(fl) >= 3 and CASE in fl[1] and "6222000000000002" in fl[2]  # the spouse's account, from the leads
    assert fl[1].rsplit(",", 1)[1] in lead_ids
    for name, info in m["files"].items():
        assert hashlib.sha256((a.out_dir / name).read_bytes()).hexdigest() == info["sha256"]
    assert verify_manifest(a.out_dir) == []
    assert m["load_ids"] == [load_id]
    assert m["as_of"] == AS_OF.isoformat() and m["investigator"] == "王检察官"
    assert m["patterns"]["below_value_conveyance"]["ratio"] == 0.7
    assert set(m["patterns_hit"]) == {"post_filing_transfer_to_related", "below_value_conveyance"}
    assert m["tool_version"] and m["generated_at"]
    # the zip holds the same files, with fixed entry dates
    with zipfile.ZipFile(a.zip_path) as zf:
        assert sorted(zf.namelist()) == sorted(list(m["files"]) + ["manifest.json"])
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            data = zf.read(info.filename)
            if info.filename != "manifest.json":
                assert hashlib.sha256(data).hexdigest() == m["files"][info.filename]["sha256"]
        assert json.loads(zf.read("manifest.json")) == m
    assert hashlib.sha256(a.zip_path.read_bytes()).hexdigest() == a.zip_sha256
    # a tampered file is reported
    tampered = a.out_dir.parent / "tampered"
    shutil.copytree(a.out_dir, tampered)
    (tampered / "evidence.csv").write_bytes((tampered / "evidence.csv").read_bytes() + b"x")
    assert verify_manifest(tampered) == ["evidence.csv"]


def test_regenerating_gives_identical_files(packages):
    a, b, _ = packages
    assert a.out_dir != b.out_dir
    for name in ("evidence.csv", "leads.json", "network.html", "dossier.pdf", *a.manifest["freeze_list"]):
        assert a.paths[name].read_bytes() == b.paths[name].read_bytes(), name
    assert len(a.manifest["freeze_list"]) == 2 and a.zip_sha256 != ""
    assert a.files == b.files and a.package_id == b.package_id
    ma, mb = dict(a.manifest), dict(b.manifest)
    ma.pop("generated_at"), mb.pop("generated_at")
    assert ma == mb
    # the generation time is only in the manifest
    for name in ("evidence.csv", "leads.json", "network.html"):
        assert a.manifest["generated_at"][:16].encode() not in a.paths[name].read_bytes()


def test_parameters_change_the_package(loaded, packages, tmp_path):
    g, _ = loaded
    a, _, _ = packages
    c = build_package(g, "P001", tmp_path, as_of=AS_OF, investigator="王检察官", notes=NOTES,
                      params={"post_filing_transfer_to_related": {"min_total": "300000"}})
    leads = json.loads(c.paths["leads.json"].read_text(encoding="utf-8"))
    assert {x["pattern"] for x in leads["leads"]} == {"below_value_conveyance"}
    assert c.manifest["patterns"]["post_filing_transfer_to_related"]["min_total"] == "300000"
    assert c.files["leads.json"] != a.files["leads.json"]


def test_audit_records_who_generated_what(packages, tmp_path):
    a, _, audit = packages
    assert len(audit) == 1
    action, d = audit[0]
    assert action == "package.generate"
    assert d["subject_id"] == "P001" and d["investigator"] == "王检察官" and d["package_id"] == a.package_id
    assert d["zip_sha256"] == a.zip_sha256
    log = tmp_path / "audit.jsonl"
    cli_audit(log)("package.generate", d)
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert entry["action"] == "package.generate" and entry["zip_sha256"] == a.zip_sha256 and entry["at"]


def test_network_html_is_offline_and_escaped(packages):
    a, _, _ = packages
    text = a.paths["network.html"].read_text(encoding="utf-8")
    assert re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I) is None
    assert "<link" not in text and not re.search(r"<script[^>]+src", text)
    assert "vis.Network" in text and "vis-network" in text  # the library is inlined
    assert HOSTILE not in text and "刘某\\u003c/script\\u003e" in text
    assert text.lower().count("</script") == 2  # only our two script elements close
    nodes = json.loads(re.search(r"new vis\.DataSet\((\[.*?\])\);", text).group(1))
    assert any(HOSTILE in n["title"] for n in nodes)  # the name survives, as data


def _render(pdf: Path, out: Path, dpi: int = 50) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page-*.png"))


def test_pdf_renders_pages_that_are_not_blank(packages, artifacts_dir):
    from PIL import Image, ImageStat

    a, _, _ = packages
    pages = _render(a.pdf_path, artifacts_dir / "package-sample")
    shutil.copy(a.pdf_path, artifacts_dir / "package-sample" / "dossier.pdf")
    assert len(pages) >= 3
    for p in pages:
        im = Image.open(p).convert("L")
        stat = ImageStat.Stat(im)
        assert stat.stddev[0] > 15, f"{p.name} looks blank"
        dark = sum(im.histogram()[:128]) / (im.width * im.height)
        assert dark > 0.003, f"{p.name} has almost no ink"


def test_pdf_embeds_the_cjk_font_and_holds_the_facts(packages):
    a, _, _ = packages
    fonts = subprocess.run(["pdffonts", str(a.pdf_path)], check=True, capture_output=True, text=True).stdout
    lines = fonts.splitlines()[2:]
    assert any("WenQuanYi" in ln for ln in lines)
    for ln in lines:  # every font embedded: the dossier renders the same anywhere
        assert re.search(r"\s(TrueType|CID TrueType)\s.*\syes\s+yes\s", ln), ln
    text = subprocess.run(["pdftotext", "-layout", str(a.pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout
    for fact in ("11010519700307123X", CASE, "¥800,000.00", "¥200,000.00", "AT0001", "T0001", "王检察官",
                 "第313条", a.package_id, "transfers.csv", "<b>未闭合"):
        assert fact in text, fact
    assert "2024-03-20" in text  # litigation start (served_on)
    # non-CNY money: its own currency and units, per currency, never yuan
    flat = re.sub(r"\s+", "", text)
    assert "USD1笔，转出USD1,234.56，转入USD0.00" in flat and "¥1,234.56" not in text


def test_case_filter_and_errors(loaded, tmp_path):
    g, _ = loaded
    r = build_package(g, "P001", tmp_path / "c", case_no=CASE, as_of=AS_OF)
    assert r.manifest["case_no"] == CASE
    with pytest.raises(PackageError, match="not a case of"):
        build_package(g, "P001", tmp_path / "x", case_no="(2023)京0102刑初45号", as_of=AS_OF)
    with pytest.raises(PackageError, match="unknown subject"):
        build_package(g, "NOBODY", tmp_path / "y", as_of=AS_OF)


def test_small_fine_subject_package_cites_balance(loaded, tmp_path):
    g, _ = loaded
    r = build_package(g, "P005", tmp_path, as_of=AS_OF)
    rows = {x["编号"]: x for x in _csv_rows(r.paths["evidence.csv"])}
    bal = rows["PRISON-J1100001@2025-10-31"]
    assert bal["记录类型"] == "账户余额" and bal["金额"] == "18250.50"
    assert bal["引用模式"] == "small_fine_capacity" and bal["来源文件"] == "balances.csv"


def test_cli_registers_package_and_reads_notes(tmp_path):
    import argparse

    ap = argparse.ArgumentParser()
    register(ap.add_subparsers(dest="cmd"))
    a = ap.parse_args(["package", "P001", "--case", CASE, "--as-of", "2025-10-31", "--investigator", "王",
                       "--out", str(tmp_path)])
    assert a.func.__name__ == "run" and a.as_of == AS_OF and a.case_no == CASE
    (tmp_path / "n.txt").write_text("第一条\n\n第二条\n续", encoding="utf-8")
    assert read_notes(tmp_path / "n.txt") == [{"text": "第一条"}, {"text": "第二条\n续"}]
