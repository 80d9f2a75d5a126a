"""Both sides' provenance of statement-built transfers in the evidence package (issue 8): the payer's
and the payee's return file, row and serial next to src_file / src_row, in evidence.csv and in the
PDF's sources section. Real Neo4j: a scenario folder loaded through the transfers table, then two of
its transfers given the side properties the statements loader writes (docs/statements.md) -- the
statements case folder does not load on this base (ingest/statements/load.py writes balances without
the `$tag` the per-load provenance writers now need; reported to the lead)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess

import pytest

from evidence.package import build_package
from ingest import load_dir

from v2_scenarios import Folder

SIDES = """
MATCH ()-[t:TRANSFER {transfer_id: $tid}]->()
SET t.source = 'statement', t.out_file = $of, t.out_row = $orow, t.out_serial = $os,
    t.in_file = $inf, t.in_row = $irow, t.in_serial = $iser
"""


@pytest.fixture(scope="module")
def package(module_graph, tmp_path_factory):
    f = Folder()
    f.person("Z1", "张三", account="AZ1")
    f.person("L1", "李四", account="AL1")
    f.case("(2025)京07民初1号", "Z1", "2025-01-10", "2025-01-20")
    f.tx("AZ1", "AL1", "50000", "2025-03-01 09:30", tid="ST1")
    f.tx("AL1", "AZ1", "1288", "2025-03-05", tid="ST2")
    f.tx("AZ1", "AL1", "700", "2025-03-09", tid="PLAIN")
    load_dir(module_graph, f.write(tmp_path_factory.mktemp("sides") / "data"), tmp_path_factory.mktemp("rej"))
    module_graph.write(SIDES, {"tid": "ST1", "of": "工商银行_交易明细信息.csv", "orow": 2, "os": "ICBC0001",
                               "inf": "李四_查询反馈.csv", "irow": 2, "iser": "CCB01"})
    module_graph.write(SIDES, {"tid": "ST2", "of": "财付通_交易明细.xlsx", "orow": 7, "os": "T1",
                               "inf": None, "irow": None, "iser": None})
    return build_package(module_graph, "Z1", tmp_path_factory.mktemp("pkg"), as_of=dt.date(2025, 12, 31))


def test_csv_lists_both_sides(package):
    rows = list(csv.DictReader(io.StringIO(package.paths["evidence.csv"].read_bytes().decode("utf-8-sig"))))
    by = {r["编号"]: r for r in rows}
    r = by["ST1"]
    assert (r["付款方流水文件"], r["付款方流水行"], r["付款方流水号"]) == ("工商银行_交易明细信息.csv", "2", "ICBC0001")
    assert (r["收款方流水文件"], r["收款方流水行"], r["收款方流水号"]) == ("李四_查询反馈.csv", "2", "CCB01")
    assert r["来源文件"] == "transfers.csv" and r["来源行"]  # src_file / src_row stay as they were
    r = by["ST2"]  # one side only (the other bank was not queried)
    assert (r["付款方流水文件"], r["付款方流水号"], r["收款方流水文件"]) == ("财付通_交易明细.xlsx", "T1", "")
    for other in [by["PLAIN"]] + [r for r in rows if r["记录类型"] != by["ST1"]["记录类型"]]:
        assert not any(other[c] for c in ("付款方流水文件", "付款方流水行", "收款方流水文件", "收款方流水号"))


def test_pdf_sources_list_both_sides(package, artifacts_dir):
    text = subprocess.run(["pdftotext", "-layout", str(package.pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = "".join(text.split())
    assert "两侧流水" in flat
    sources = flat[flat.index("八、记录来源"):]
    for piece in ("付款方：", "工商银行_交易明细信息.csv:2", "ICBC0001", "收款方：", "李四_查询反馈.csv:2",
                  "流水号CCB01", "财付通_交易明细.xlsx:7", "流水号T1"):
        assert piece in sources, piece
    assert sources.index("ICBC0001") < sources.index("CCB01")
    pages = subprocess.run(["pdfinfo", str(package.pdf_path)], check=True, capture_output=True, text=True).stdout
    last = int(next(ln.split()[-1] for ln in pages.splitlines() if ln.startswith("Pages:")))
    out = artifacts_dir / "screenshots" / "package-sources"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(last - 1), "-l", str(last), str(package.pdf_path),
                    str(out)], check=True)
