"""Loads against a real Neo4j: unloading any of two overlapping loads, failed and killed loads, workbooks.

Load A is the `ingest/en` fixture; load B (`loads/b`) restates some of A's records (one
unchanged, one with a changed phone, a changed treatment level, a changed amount paid),
adds records of its own and uses A's persons in a relation.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ingest import load_dir, list_loads, unload
from ingest.readers import InputError

FIX = Path(__file__).parent / "fixtures"
A, B = FIX / "ingest" / "en", FIX / "loads" / "b"
ROOT = Path(__file__).resolve().parent.parent
KA, KB = dt.date(2025, 1, 31), dt.date(2025, 2, 28)  # the days the two loads' data was exported


def full_snapshot(g, names: dict[str, str]) -> list:
    """Every record with every property except `prov`, load ids replaced by `names` (provenance compared too)."""
    nodes = g.read("MATCH (n) WHERE NOT n:Load RETURN labels(n) AS labels, properties(n) AS p")
    rels = g.read("""
        MATCH (a)-[r]->(b)
        RETURN type(r) AS type, properties(r) AS p,
               coalesce(a.person_id, a.company_id, a.account_id, a.asset_id, a.transfer_id, a.case_no) AS a,
               coalesce(b.person_id, b.company_id, b.account_id, b.asset_id, b.transfer_id, b.case_no) AS b,
               b.as_of AS b_as_of""")

    def clean(p: dict) -> list:
        out = []
        for k, v in p.items():
            if k == "prov":
                continue
            if k.endswith("load_id"):
                v = names.get(v, f"other:{v}")
            out.append((k, repr(v)))
        return sorted(out)

    out = [("node", sorted(n["labels"]), clean(n["p"])) for n in nodes]
    out += [("rel", r["type"], r["a"], r["b"], str(r["b_as_of"]), clean(r["p"])) for r in rels]
    return sorted(out, key=repr)


def test_unload_the_newer_of_two_overlapping_loads_restores_the_older(graph, tmp_path):
    a = load_dir(graph, A, tmp_path / "ra", known_on=KA)
    only_a = full_snapshot(graph, {a.load_id: "A"})
    b = load_dir(graph, B, tmp_path / "rb", known_on=KB)
    assert b.rejected == 0, b.tables
    # B changed values A stated: the graph shows B's
    p1 = graph.read_one("MATCH (p:Person {person_id: 'P001'}) RETURN p")["p"]
    assert p1["phone"] == "13900000000" and p1["updated_load_id"] == b.load_id and p1["load_id"] == a.load_id
    case = graph.read_one("MATCH (c:Case {case_no: '(2024)京0105民初123号'}) RETURN c")["c"]
    assert case["unpaid_fen"] == 70000000
    unload(graph, b.load_id)
    assert full_snapshot(graph, {a.load_id: "A"}) == only_a
    assert [x["load_id"] for x in list_loads(graph)] == [a.load_id]


def test_unload_the_older_of_two_overlapping_loads_leaves_the_newer_whole(graph, tmp_path):
    b_alone = load_dir(graph, B, tmp_path / "r0", known_on=KB)
    assert b_alone.rejected == 0
    only_b = full_snapshot(graph, {b_alone.load_id: "B"})
    graph.wipe()
    a = load_dir(graph, A, tmp_path / "ra", known_on=KA)
    b = load_dir(graph, B, tmp_path / "rb", known_on=KB)
    removed = unload(graph, a.load_id)
    # what only A stated is gone: its other persons, the company, the asset, its transfers and case
    assert removed["Company"] == 1 and removed["Asset"] == 1 and removed["TRANSFER"] == 2
    assert removed["Case"] == 1 and removed["Person"] == 2
    # ... and B is exactly as if it had been loaded alone: shared nodes, relationships, values
    assert full_snapshot(graph, {b.load_id: "B"}) == only_b
    unload(graph, b.load_id)
    assert graph.read_one("MATCH (n) RETURN count(n) AS n")["n"] == 0


def test_unload_keeps_a_node_another_load_still_uses(graph, tmp_path):
    """B's relation uses A's person P003 only by reference: unloading A keeps P003 as a bare key."""
    a = load_dir(graph, A, tmp_path / "ra", known_on=KA)
    extra = tmp_path / "c"
    extra.mkdir()
    with open(extra / "relations.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["person_id", "other_person_id", "relation"], ["P003", "P004", "sibling"]])
    c = load_dir(graph, extra, tmp_path / "rc")
    unload(graph, a.load_id)
    rows = graph.read("MATCH (p:Person)-[r:RELATED]-(q:Person) RETURN p.person_id AS p, p.name AS name, "
                      "r.relation AS rel, r.load_id AS l")
    assert {(r["p"], r["name"], r["rel"], r["l"]) for r in rows} == {("P003", None, "sibling", c.load_id),
                                                                     ("P004", None, "sibling", c.load_id)}
    unload(graph, c.load_id)
    assert graph.read_one("MATCH (n) RETURN count(n) AS n")["n"] == 0


def test_a_failed_load_is_marked_and_a_rerun_completes_it(graph, tmp_path):
    clean = load_dir(graph, A, tmp_path / "r0", known_on=KA)
    expected = full_snapshot(graph, {clean.load_id: "L"})
    graph.wipe()

    def stop_after_accounts(table, counts):
        if table == "accounts":
            raise RuntimeError("disk full (test)")

    with pytest.raises(RuntimeError, match="disk full"):
        load_dir(graph, A, tmp_path / "r1", on_table=stop_after_accounts, known_on=KA)
    [failed] = list_loads(graph)
    assert failed["status"] == "failed" and "disk full" in failed["error"]
    again = load_dir(graph, A, tmp_path / "r1", known_on=KA)
    assert again.load_id == failed["load_id"]
    [done] = list_loads(graph)
    assert done["status"] == "complete" and done["error"] is None
    assert full_snapshot(graph, {again.load_id: "L"}) == expected


def _big_folder(folder: Path, n: int) -> None:
    folder.mkdir()
    with open(folder / "persons.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["person_id", "name"])
        w.writerows([f"P{i}", f"人{i}"] for i in range(200))
    with open(folder / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "holder_id", "kind"])
        w.writerows([f"A{i}", f"P{i}", "bank"] for i in range(200))
    with open(folder / "transfers.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transfer_id", "from_account", "to_account", "amount", "at", "from_name"])
        w.writerows([f"T{i}", f"A{i % 200}", f"A{(i * 7 + 1) % 200}" if i % 5 else f"X{i % 900}",
                     f"{i % 9000 + 1}.{i % 100:02d}", f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d} 10:{i % 60:02d}",
                     f"人{i % 200}"] for i in range(n))


def test_sigkill_mid_load_then_rerun_gives_the_graph_of_one_clean_load(graph, tmp_path, neo4j_connection):
    n = 60000
    folder = tmp_path / "big"
    _big_folder(folder, n)
    env = {**os.environ, **neo4j_connection.env()}
    cmd = [sys.executable, "-m", "ingest", "load", str(folder), "--no-progress", "--rejects", str(tmp_path / "rj")]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            c = graph.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
            if c > 0:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    at_kill = graph.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
    assert 0 < at_kill < n, "the kill did not land mid-load"
    [killed] = list_loads(graph)
    assert killed["status"] == "failed" and "ended before the load finished" in killed["error"]
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    [done] = list_loads(graph)
    assert done["load_id"] == killed["load_id"] and done["status"] == "complete"
    resumed = full_snapshot(graph, {done["load_id"]: "L"})
    graph.wipe()
    clean = load_dir(graph, folder, tmp_path / "rj2")
    assert clean.tables["transfers"] == {"read": n, "loaded": n, "rejected": 0}
    assert full_snapshot(graph, {clean.load_id: "L"}) == resumed


def test_every_sheet_of_a_workbook_is_loaded_or_refused_with_a_reason(graph, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("persons", "accounts"):
        (d / f"{name}.csv").write_bytes((A / f"{name}.csv").read_bytes())
    cols = ["流水号", "付款账号", "收款账号", "金额", "交易时间"]
    with pd.ExcelWriter(d / "transfers_2024.xlsx") as xw:
        for m in range(1, 13):  # a month per sheet, sheets named after the month
            pd.DataFrame([[f"M{m}-{i}", "6222000000000001", "6222000000000002", f"{m}00.00", f"2024-{m:02d}-0{i + 1}"]
                          for i in range(3)], columns=cols).to_excel(xw, sheet_name=f"{m}月", index=False)
        pd.DataFrame([["本表为银行导出"]], columns=["说明"]).to_excel(xw, sheet_name="说明", index=False)
        pd.DataFrame().to_excel(xw, sheet_name="空白", index=False)
    r = load_dir(graph, d, tmp_path / "rej")
    assert r.tables["transfers"] == {"read": 36, "loaded": 36, "rejected": 0}
    assert len(r.files["transfers"]) == 12
    refused = {x["source"]: x["reason"] for x in r.refused}
    assert set(refused) == {"transfers_2024.xlsx#说明", "transfers_2024.xlsx#空白"}
    assert "matches no column" in refused["transfers_2024.xlsx#说明"]
    assert "empty sheet" in refused["transfers_2024.xlsx#空白"]
    t = graph.read_one("MATCH ()-[t:TRANSFER {transfer_id: 'M12-2'}]->() RETURN t")["t"]
    assert t["src_file"] == "transfers_2024.xlsx#12月" and t["src_row"] == 4


def test_a_workbook_named_after_no_table_is_read_as_a_return_or_refused_by_name(graph, tmp_path):
    """A workbook whose name and sheets name no table is a bank or payment return; when its header
    row matches no return layout either, the load stops before writing and names the file."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "persons.csv").write_bytes((A / "persons.csv").read_bytes())
    with pd.ExcelWriter(d / "misc.xlsx") as xw:
        pd.DataFrame([["x"]], columns=["a"]).to_excel(xw, sheet_name="Sheet1", index=False)
    with pytest.raises(InputError, match=r"misc\.xlsx"):
        load_dir(graph, d, tmp_path / "rej")
    assert graph.read_one("MATCH (n) RETURN count(n) AS n")["n"] == 0


def _restating(tmp_path: Path, name: str, rows: list[list[str]], header: list[str] | None = None) -> Path:
    d = tmp_path / name
    d.mkdir()
    with open(d / "transfers.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header or ["transfer_id", "from_account", "to_account", "from_name", "to_name",
                                            "amount", "at", "currency", "channel", "memo"], *rows])
    return d


def test_a_new_transfer_keeps_a_compact_entry_and_an_overwrite_expands_it_first(graph, tmp_path):
    """A transfer the loader creates keeps only its source in `prov` (its values are its own); a later
    load that changes it first writes the creator's values into the creator's entry, so unloading
    either load leaves exactly the other one's transfer."""
    a_dir = tmp_path / "a"
    import shutil
    shutil.copytree(A, a_dir)
    with open(a_dir / "transfers.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[0].append("备注2")  # an extra column: kept as x_备注2, named in the compact entry
    for r in rows[1:]:
        r.append("原始" if r[0] == "T0001" else "")
    with open(a_dir / "transfers.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    c_rows = [["T0001", "6222000000000001", "6222000000000002", "张伟", "李娜", "200001.00",
               "2024-04-02 10:16:00", "CNY", "网银", "借款"]]
    c_alone = load_dir(graph, _restating(tmp_path, "c0", c_rows), tmp_path / "r0")
    only_c = full_snapshot(graph, {c_alone.load_id: "C"})
    graph.wipe()

    a = load_dir(graph, a_dir, tmp_path / "ra", known_on=KA)
    assert a.rejected == 0, a.tables
    only_a = full_snapshot(graph, {a.load_id: "A"})
    q = "MATCH ()-[t:TRANSFER {transfer_id: 'T0001'}]->() RETURN t"
    t = graph.read_one(q)["t"]
    assert t["prov"] == [f'{a.load_id}|transfers|{{"_f":"transfers.csv","_r":2,"_x":["x_备注2"]}}']
    assert t["x_备注2"] == "原始" and t["memo"] == "家用"

    c = load_dir(graph, _restating(tmp_path, "c", c_rows), tmp_path / "rc")
    t = graph.read_one(q)["t"]
    assert (t["amount_fen"], t["memo"], t["updated_load_id"]) == (20000100, "借款", c.load_id)
    mine = [e for e in t["prov"] if e.startswith(a.load_id)]
    assert len(mine) == 1 and '"memo":"家用"' in mine[0] and '"amount_fen":20000000' in mine[0] \
        and '"x_备注2":"原始"' in mine[0]
    unload(graph, c.load_id)
    assert full_snapshot(graph, {a.load_id: "A"}) == only_a

    c = load_dir(graph, _restating(tmp_path, "c2", c_rows), tmp_path / "rc2")
    unload(graph, a.load_id)
    assert full_snapshot(graph, {c.load_id: "C"}) == only_c
