"""Ingest against a real Neo4j: both input styles, idempotence, unload, rejects, the count invariant."""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import InputError, list_loads, load_dir, unload
from ingest.parse import format_fen, id_check_char, parse_datetime, parse_money_fen

FIX = Path(__file__).parent / "fixtures" / "ingest"
ROOT = Path(__file__).resolve().parent.parent

def snapshot(g) -> list:
    nodes = g.read("""
        MATCH (n) WHERE NOT n:Load
        RETURN labels(n) AS labels, properties(n) AS p""")
    rels = g.read("""
        MATCH (a)-[r]->(b)
        RETURN type(r) AS type, properties(r) AS p, coalesce(a.person_id, a.company_id, a.account_id, a.asset_id,
               a.transfer_id, a.case_no, a.account_id) AS a, coalesce(b.person_id, b.company_id, b.account_id,
               b.asset_id, b.transfer_id, b.case_no) AS b""")
    drop = {"load_id", "src_file", "src_row", "inmate_load_id", "inmate_src_file", "inmate_src_row",
            "holder_load_id", "updated_load_id", "prov", "paid_history"}
    clean = lambda p: sorted((k, str(v)) for k, v in p.items() if k not in drop)  # noqa: E731
    out = [("node", sorted(n["labels"]), clean(n["p"])) for n in nodes]
    out += [("rel", r["type"], r["a"], r["b"], clean(r["p"])) for r in rels]
    return sorted(out, key=repr)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


# -- parsing ---------------------------------------------------------------------
@pytest.mark.parametrize("text,fen", [("1234.5", 123450), ("1,234.50", 123450), ("¥1,234.50", 123450),
                                      ("1234.50元", 123450), ("0", 0), ("￥0.01", 1), (" 200000 ", 20000000)])
def test_money_to_fen(text, fen):
    assert parse_money_fen(text) == fen


@pytest.mark.parametrize("fen", [0, 1, 99, 100, 123450, 123456789, 10**15 + 7])
def test_format_fen_is_the_exact_inverse(fen):
    assert parse_money_fen(format_fen(fen, "¥")) == fen
    assert parse_money_fen(format_fen(fen, grouped=False)) == fen
    assert format_fen(-123456789, "¥") == "-¥1,234,567.89"


@pytest.mark.parametrize("text", ["-5", "abc", "1.234", "", "1,2,3.4.5"])
def test_money_refused(text):
    with pytest.raises(ValueError):
        parse_money_fen(text)


@pytest.mark.parametrize("text,expected", [
    ("2024-03-01", dt.datetime(2024, 3, 1)), ("2024/3/1", dt.datetime(2024, 3, 1)),
    ("2024年3月1日", dt.datetime(2024, 3, 1)), ("2024-03-01 09:05", dt.datetime(2024, 3, 1, 9, 5)),
    ("2024年3月1日 09:05:07", dt.datetime(2024, 3, 1, 9, 5, 7))])
def test_dates(text, expected):
    assert parse_datetime(text)[0] == expected


# -- loading -----------------------------------------------------------------------
def test_english_and_chinese_styles_give_the_same_graph(graph, tmp_path):
    r1 = load_dir(graph, FIX / "en", tmp_path / "rej1")
    assert r1.rejected == 0, r1.tables
    en = snapshot(graph)
    graph.wipe()
    r2 = load_dir(graph, FIX / "zh", tmp_path / "rej2")
    assert r2.rejected == 0, r2.tables
    assert set(r2.files["cases"]) == {"registry.xlsx#cases"}
    zh = snapshot(graph)
    assert en == zh
    assert len(en) > 30


def test_model_values(graph, tmp_path):
    load_dir(graph, FIX / "en", tmp_path / "rej")
    t = graph.read_one("MATCH (a)-[t:TRANSFER {transfer_id: 'T0001'}]->(b) RETURN t, a.account_id AS a")
    assert t["t"]["amount_fen"] == 20000000 and isinstance(t["t"]["amount_fen"], int)
    assert t["t"]["on"] == dt.date(2024, 4, 2) and t["t"]["at"] == dt.datetime(2024, 4, 2, 10, 15)
    assert t["t"]["src_file"] == "transfers.csv" and t["t"]["src_row"] == 2 and t["t"]["load_id"]
    assert graph.read_one("MATCH ()-[t:TRANSFER {transfer_id:'T0003'}]->() RETURN t.currency AS c")["c"] == "USD"
    p = graph.read_one("MATCH (p:Person {person_id: 'P004'}) RETURN p")["p"]
    assert p["id_number_valid"] is False  # flagged, not rejected
    assert graph.read_one("MATCH (p:Person {person_id: 'P001'}) RETURN p")["p"]["id_number_valid"] is True
    assert graph.read_one("MATCH (p:Person {person_id: 'P001'}) RETURN p.`x_备注` AS x")["x"] == "重点人员"
    # spouse rows A-B and B-A are one relation; child row stored as child -> parent
    assert graph.read_one("MATCH (:Person)-[r:RELATED {relation:'spouse'}]-(:Person) RETURN count(DISTINCT r) AS n")["n"] == 1
    assert graph.read_one("MATCH (c:Person {person_id:'P003'})-[r:RELATED {relation:'parent'}]->"
                          "(p:Person {person_id:'P001'}) RETURN count(r) AS n")["n"] == 1
    c = graph.read_one("MATCH (c:Case {case_no: '(2024)京0105民初123号'}) RETURN c")["c"]
    assert c["litigation_start"] == dt.date(2024, 3, 20) and c["unpaid_fen"] == 80000000
    c2 = graph.read_one("MATCH (c:Case {case_no: '(2023)京0102刑初45号'}) RETURN c")["c"]
    assert c2["litigation_start"] == dt.date(2022, 10, 1) and c2["unpaid_fen"] == 800000
    inmate = graph.read_one("MATCH (p:Person:Inmate {inmate_no: 'J1100001'}) RETURN p.person_id AS id")
    assert inmate["id"] == "P005"
    gift = graph.read_one("MATCH (x:AssetTransfer {transfer_id: 'AT0001'}) RETURN x")["x"]
    assert gift["price_fen"] == 0 and gift["price_given"] is False
    assert graph.read_one("MATCH (:Company)-[:HOLDS]->(a:Account {account_id:'6222000000000003'}) "
                          "RETURN count(a) AS n")["n"] == 1


def test_unknown_counterparty_account_created_not_rejected(graph, tmp_path):
    r = load_dir(graph, FIX / "en", tmp_path / "rej")
    assert r.tables["transfers"] == {"read": 3, "loaded": 3, "rejected": 0}
    a = graph.read_one("MATCH (a:Account {account_id: '6217999900001111'}) RETURN a")["a"]
    assert a["holder_known"] is False and a["stmt_names"] == ["刘某"]
    assert not graph.read("MATCH (h)-[:HOLDS]->(:Account {account_id: '6217999900001111'}) RETURN h")


def test_reload_changes_nothing(graph, tmp_path):
    load_dir(graph, FIX / "en", tmp_path / "rej")
    before, snap = graph.counts(), snapshot(graph)
    load_dir(graph, FIX / "en", tmp_path / "rej")
    after = graph.counts()
    assert {k: v for k, v in before.items() if k != "Load"} == {k: v for k, v in after.items() if k != "Load"}
    assert snapshot(graph) == snap
    assert len(list_loads(graph)) == 2


def test_unload_removes_only_that_load(graph, tmp_path):
    first = load_dir(graph, FIX / "en", tmp_path / "rej")
    base = graph.counts()
    extra = tmp_path / "extra"
    extra.mkdir()
    write_csv(extra / "persons.csv", ["person_id", "name"], [["P900", "新人"]])
    write_csv(extra / "transfers.csv", ["transfer_id", "from_account", "to_account", "amount", "at"],
              [["T9001", "6222000000000001", "6299000000009999", "100", "2024-07-01"],
               ["T0001", "6222000000000001", "6222000000000002", "200000.00", "2024-04-02 10:15:00"]])
    second = load_dir(graph, extra, tmp_path / "rej2")
    assert second.tables["transfers"]["loaded"] == 2
    assert graph.counts()["TRANSFER"] == base["TRANSFER"] + 1
    removed = unload(graph, second.load_id)
    assert removed == {"Person": 1, "Account": 1, "TRANSFER": 1}
    after = graph.counts()
    assert {k: v for k, v in after.items() if k != "Load"} == {k: v for k, v in base.items() if k != "Load"}
    # the earlier load's transfer T0001 (re-stated by the second load) is still there
    assert graph.read_one("MATCH ()-[t:TRANSFER {transfer_id:'T0001'}]->() RETURN t.load_id AS l")["l"] == first.load_id
    assert [l["load_id"] for l in list_loads(graph)] == [first.load_id]


def test_every_reject_reason_and_the_count_invariant(graph, tmp_path):
    shutil.copytree(FIX / "en", tmp_path / "in")
    d = tmp_path / "in"
    with open(d / "transfers_bad.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transfer_id", "from_account", "to_account", "amount", "at", "currency", "银行备注"])
        w.writerows([
            ["B1", "6222000000000001", "6222000000000002", "", "2024-04-02", "", "x"],     # missing amount
            ["B2", "6222000000000001", "6222000000000002", "100", "2024-13-45", "", ""],   # bad date
            ["B3", "6222000000000001", "6222000000000002", "-100", "2024-04-02", "", ""],  # negative
            ["B4", "6222000000000001", "6222000000000002", "100", "2024-04-02", "火星币", ""],  # currency
            ["B5", "6222000000000001", "6222000000000002", "100", "2024-04-02", "", ""],   # good
            ["B5", "6222000000000001", "6222000000000002", "999", "2024-04-02", "", ""],   # contradicting dup
            ["", "6222000000000001", "", "abc", "", "", ""],                                # several reasons
        ])
    write_csv(d / "accounts_bad.csv", ["account_id", "holder_id", "kind"],
              [["A-DANG", "NOBODY", "bank"], ["A-AMB", "AMBIG", "bank"], ["A-KIND", "P001", "spaceship"]])
    write_csv(d / "persons_more.csv", ["person_id", "name"], [["AMBIG", "两者"], ["P777", ""]])
    write_csv(d / "companies_more.csv", ["company_id", "name"], [["AMBIG", "两者公司"]])
    write_csv(d / "cases_bad.csv", ["case_no", "debtor_id", "kind", "filed_on", "amount_due", "amount_paid"],
              [["C-OVER", "P001", "criminal_fine", "2024-01-01", "100", "200"],
               ["C-ENUM", "P001", "tax", "2024-01-01", "100", ""]])
    rej = tmp_path / "rejects"
    r = load_dir(graph, d, rej)
    for name, c in r.tables.items():
        assert c["loaded"] + c["rejected"] == c["read"], name
    assert r.tables["transfers"] == {"read": 10, "loaded": 4, "rejected": 6}
    assert r.tables["accounts"]["rejected"] == 3 and r.tables["persons"]["rejected"] == 1
    assert r.tables["cases"]["rejected"] == 2
    with open(rej / "transfers.csv", encoding="utf-8-sig") as f:
        rows = {(x["file"], x["row"]): x for x in csv.DictReader(f)}
    assert len(rows) == 6
    reasons = {k[1]: v["reasons"] for k, v in rows.items()}
    assert "amount (金额): required value missing" in reasons["2"]
    assert "at (交易时间): not a valid date" in reasons["3"]
    assert "negative amount" in reasons["4"]
    assert "unknown currency" in reasons["5"]
    assert "also in transfers_bad.csv row 6" in reasons["7"]
    assert reasons["8"].count(";") >= 3  # every reason of a row with several
    assert rows[("transfers_bad.csv", "2")]["extra_columns"] == '{"银行备注": "x"}'
    assert rows[("transfers_bad.csv", "2")]["transfer_id"] == "B1"
    with open(rej / "accounts.csv", encoding="utf-8-sig") as f:
        acc = {x["account_id"]: x["reasons"] for x in csv.DictReader(f)}
    assert "dangling" in acc["A-DANG"] and "ambiguous" in acc["A-AMB"] and "unknown value" in acc["A-KIND"]
    # the column is named with THIS table's Chinese header (encumbrances' holder_id is 权利人编号)
    assert "holder_id (户主编号)" in acc["A-DANG"] and "权利人编号" not in acc["A-DANG"]
    with open(rej / "cases.csv", encoding="utf-8-sig") as f:
        cases = {x["case_no"]: x["reasons"] for x in csv.DictReader(f)}
    assert "above amount_due" in cases["C-OVER"] and "unknown value 'tax'" in cases["C-ENUM"]
    assert graph.read_one("MATCH ()-[t:TRANSFER {transfer_id:'B5'}]->() RETURN t.amount_fen AS a")["a"] == 10000


def test_contradicting_an_earlier_load_is_rejected(graph, tmp_path):
    load_dir(graph, FIX / "en", tmp_path / "rej")
    d = tmp_path / "later"
    d.mkdir()
    write_csv(d / "accounts.csv", ["account_id", "holder_id", "kind"], [["6222000000000001", "P002", "bank"]])
    r = load_dir(graph, d, tmp_path / "rej2")
    assert r.tables["accounts"] == {"read": 1, "loaded": 0, "rejected": 1}


def test_unreadable_encoding_is_refused_with_a_clear_error(graph, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "persons.csv").write_bytes("person_id,name\nP1,张三\n".encode("utf-16"))
    with pytest.raises(InputError) as exc:
        load_dir(graph, d, tmp_path / "rej")
    msg = str(exc.value)
    assert "persons.csv" in msg and "utf-8" in msg and "gb18030" in msg
    assert graph.counts()["Person"] == 0 and graph.counts()["Load"] == 0


def test_missing_required_column_is_refused(graph, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    write_csv(d / "persons.csv", ["person_id", "phone"], [["P1", "1"]])
    with pytest.raises(InputError, match=r"persons.csv.*name \(姓名\)"):
        load_dir(graph, d, tmp_path / "rej")


def test_cli_load_summary_json_and_loads(graph, tmp_path, neo4j_connection):
    env = {**__import__("os").environ, **neo4j_connection.env()}
    out = tmp_path / "summary.json"
    r = subprocess.run([sys.executable, "-m", "ingest", "load", str(FIX / "zh"), "--summary-json", str(out),
                        "--rejects", str(tmp_path / "rej")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text())
    assert s["load_id"] and s["tables"]["persons"] == {"read": 5, "loaded": 5, "rejected": 0}
    # the load is in the audit trail (the test session's store), with the OS user, chained
    import audittrail
    from sqlalchemy import create_engine
    with create_engine(env["APP_DATABASE_URL"]).connect() as conn:
        rows = [r for r in audittrail.rows(conn, action="load") if r.target == s["load_id"]]
        assert rows and rows[0].username == f"cli:{audittrail.os_user()}"
        assert audittrail.verify(conn).ok
    r = subprocess.run([sys.executable, "-m", "ingest", "loads"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert s["load_id"] in r.stdout
    r = subprocess.run([sys.executable, "-m", "ingest", "load", str(tmp_path / "nope")], capture_output=True,
                       text=True, env=env, cwd=ROOT)
    assert r.returncode == 2 and "not a folder" in r.stderr


def test_id_check_char_matches_known_number():
    # GB 11643 example number 11010519491231002X
    assert id_check_char("11010519491231002") == "X"


def test_xlsx_named_by_table_and_several_files_per_table(graph, tmp_path):
    """`transfers_<x>.xlsx` feeds transfers from its first sheet, next to `transfers.csv`."""
    import pandas as pd
    d = tmp_path / "in"
    shutil.copytree(FIX / "en", d)
    pd.DataFrame([{"流水号": "X1", "付款账号": "6222000000000002", "收款账号": "6222000000000001",
                   "金额": "¥3,000.00", "交易时间": "2024年5月2日 08:00"}]).to_excel(
        d / "transfers_icbc.xlsx", sheet_name="Sheet1", index=False)
    r = load_dir(graph, d, tmp_path / "rej")
    assert r.files["transfers"] == ["transfers.csv", "transfers_icbc.xlsx#Sheet1"]
    assert r.tables["transfers"] == {"read": 4, "loaded": 4, "rejected": 0}
    t = graph.read_one("MATCH ()-[t:TRANSFER {transfer_id: 'X1'}]->() RETURN t")["t"]
    assert t["amount_fen"] == 300000 and t["src_file"] == "transfers_icbc.xlsx#Sheet1" and t["src_row"] == 2
