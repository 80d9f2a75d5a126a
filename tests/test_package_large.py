"""A large subject: the package still builds, figures are capped and tables are complete."""
from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path

from evidence import common, files, pdf
from evidence.package import build_package

N_TRANSFERS = 1200
N_RECIPIENTS = 250


def _write(d: Path, name: str, header: list[str], rows: list[list]) -> None:
    with open(d / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _dataset(d: Path) -> None:
    _write(d, "persons.csv", ["person_id", "name", "id_number"],
           [["B001", "钱多多", "110105197003071234"]] + [[f"R{i:04d}", f"收款人{i}", ""] for i in range(N_RECIPIENTS)])
    _write(d, "accounts.csv", ["account_id", "holder_id", "kind"],
           [["6222000000009999", "B001", "bank"]]
           + [[f"6217{i:012d}", f"R{i:04d}", "bank"] for i in range(N_RECIPIENTS)])
    _write(d, "cases.csv", ["case_no", "debtor_id", "kind", "court", "filed_on", "served_on", "amount_due",
                            "amount_paid"],
           [["(2024)京0105民初999号", "B001", "civil_enforcement", "朝阳区人民法院", "2024-01-10", "2024-02-01",
             "5000000", "0"]])
    _write(d, "relations.csv", ["person_id", "other_person_id", "relation"], [["B001", "R0001", "sibling"]])
    base = dt.datetime(2023, 6, 1, 9, 0)
    rows = []
    for i in range(N_TRANSFERS):
        at = base + dt.timedelta(minutes=97 * i)
        rows.append([f"BT{i:06d}", "6222000000009999", f"6217{i % N_RECIPIENTS:012d}",
                     f"{(i * 7919) % 50000 + 100}.{i % 100:02d}", at.strftime("%Y-%m-%d %H:%M")])
    _write(d, "transfers.csv", ["transfer_id", "from_account", "to_account", "amount", "at"], rows)


def test_large_subject_package(graph, tmp_path, monkeypatch):
    from ingest import load_dir

    src = tmp_path / "data"
    src.mkdir()
    _dataset(src)
    load_dir(graph, src, rejects_dir=tmp_path / "rejects")
    monkeypatch.setattr(pdf, "MAX_TIMELINE_POINTS", 300)
    monkeypatch.setattr(files, "MAX_HTML_NODES", 450)
    res = build_package(graph, "B001", tmp_path / "out", as_of=dt.date(2025, 10, 31))
    raw = res.paths["evidence.csv"].read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    ids = {r["编号"] for r in rows if r["记录类型"] == "资金转账"}
    assert ids == {f"BT{i:06d}" for i in range(N_TRANSFERS)}  # complete
    fig = res.manifest["figures"]
    assert fig["timeline_records"] == N_TRANSFERS and fig["timeline_points"] == 300
    assert fig["network_nodes_drawn"] == common.MAX_FIGURE_NODES and fig["network_nodes_not_drawn"] > 0
    html = res.paths["network.html"].read_text(encoding="utf-8")
    assert "个节点未显示" in html
    text = subprocess.run(["pdftotext", str(res.pdf_path), "-"], check=True, capture_output=True, text=True).stdout
    # the detail table and the sources table are complete: every transfer id, twice
    for i in range(N_TRANSFERS):
        assert text.count(f"BT{i:06d}") >= 2, f"BT{i:06d}"
    assert "个节点未绘出" in text and "金额最大的记录" in text
    # sum of all outgoing money after litigation start, exact in fen, is on the page
    fen = sum(int(r["金额（分）"]) for r in rows if r["记录类型"] == "资金转账" and r["日期"] >= "2024-02-01")
    assert common.fen_text(fen, "¥") in text
