"""Contract v1.1 against a real Neo4j: transfer kind and merchant, cash rows without a
counterparty, the restrictions and encumbrances tables, their rejects, idempotence and unload."""
from __future__ import annotations

import csv
from pathlib import Path

from ingest import load_dir
from ingest.loads import unload


def _write(folder: Path, table: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with open(folder / f"{table}.csv", "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "v11"
    d.mkdir()
    _write(d, "persons", ["person_id", "name"], [["P1", "张三"], ["P2", "李四"]])
    _write(d, "companies", ["company_id", "name"], [["C1", "某银行股份有限公司"]])
    _write(d, "accounts", ["account_id", "holder_id", "kind"], [["A1", "P1", "bank"], ["A2", "P2", "bank"]])
    _write(d, "assets", ["asset_id", "kind", "owner_id", "appraised_value"], [["H1", "real_estate", "P1", "3000000"]])
    _write(d, "cases", ["case_no", "debtor_id", "kind", "filed_on", "amount_due"],
           [["(2015)温民初1号", "P1", "civil_enforcement", "2015-05-25", "375526.66"]])
    # Chinese headers and spellings for the new columns; a v1.0 file (no kind column) is the other half
    _write(d, "transfers", ["流水号", "付款账号", "收款账号", "金额", "交易时间", "交易类型", "商户名称"], [
        ["T1", "A1", "", "50000", "2016-03-29 10:01", "取现", ""],             # cash withdrawal: ok
        ["T2", "", "A1", "2000", "2016-03-30", "cash_deposit", ""],            # cash deposit: ok
        ["T3", "A1", "A2", "1200", "2016-04-01", "转账", "中国国际航空"],        # merchant kept
        ["T4", "A1", "", "100", "2016-04-02", "transfer", ""],                 # a transfer needs a payee: reject
        ["T5", "A1", "A2", "100", "2016-04-02", "cash_withdrawal", ""],        # cash with a payee: reject
        ["T6", "A1", "A2", "100", "2016-04-02", "ATM", ""],                    # unknown kind: reject
    ])
    _write(d, "transfers_old", ["transfer_id", "from_account", "to_account", "amount", "at"],
           [["T7", "A2", "A1", "10", "2016-04-03"]])
    _write(d, "restrictions", ["subject_id", "kind", "ordered_on", "lifted_on", "case_no", "target"], [
        ["P1", "account_freeze", "2016-01-10", "", "(2015)温民初1号", "A1"],
        ["P1", "限制高消费", "2016-01-10", "2016-06-01", "", ""],
        ["P1", "asset_seizure", "2016-01-10", "", "", "H1"],
        ["P9", "dishonest_list", "2016-01-10", "", "", ""],                   # dangling subject: reject
        ["P1", "consumption_ban", "2016-05-10", "2016-01-01", "", ""],        # lifted before ordered: reject
        ["P1", "travel_ban", "2016-05-10", "", "", ""],                       # unknown kind: reject
    ])
    _write(d, "encumbrances", ["登记编号", "财产编号", "类型", "权利人编号", "登记日期", "担保金额", "注销日期"], [
        ["E1", "H1", "抵押", "P2", "2015-02-25", "3000000", ""],
        ["E2", "H1", "mortgage", "C1", "2012-01-01", "500000", "2014-01-01"],
        ["E3", "H9", "pledge", "C1", "2015-01-01", "", ""],                   # dangling asset: reject
        ["E4", "H1", "lien", "C1", "", "", ""],                               # bad kind, no date: reject
    ])
    return d


def test_v11_load_cash_restrictions_encumbrances(graph, tmp_path):
    d = _folder(tmp_path)
    res = load_dir(graph, d, rejects_dir=tmp_path / "rej")
    assert res.tables["transfers"] == {"read": 7, "loaded": 4, "rejected": 3}
    assert res.tables["restrictions"] == {"read": 6, "loaded": 3, "rejected": 3}
    assert res.tables["encumbrances"] == {"read": 4, "loaded": 2, "rejected": 2}
    rej = (tmp_path / "rej" / "transfers.csv").read_text(encoding="utf-8-sig")
    assert "to_account (收款账号): required value missing" in rej
    assert "must be blank on a cash_withdrawal row" in rej and "unknown value 'ATM'" in rej
    rej = (tmp_path / "rej" / "restrictions.csv").read_text(encoding="utf-8-sig")
    assert "dangling" in rej and "lifted_on" in rej and "travel_ban" in rej
    rej = (tmp_path / "rej" / "encumbrances.csv").read_text(encoding="utf-8-sig")
    assert "'H9' is not a known asset" in rej and "registered_on (登记日期): required value missing" in rej

    # cash rows: a self-loop on the debtor's own account, no other account created
    rows = graph.read("MATCH (a:Account)-[t:TRANSFER]->(b:Account) RETURN t.transfer_id AS id, t.kind AS kind, "
                      "t.merchant AS merchant, a.account_id AS a, b.account_id AS b ORDER BY id")
    assert [(r["id"], r["kind"], r["a"], r["b"]) for r in rows] == [
        ("T1", "cash_withdrawal", "A1", "A1"), ("T2", "cash_deposit", "A1", "A1"),
        ("T3", "transfer", "A1", "A2"), ("T7", "transfer", "A2", "A1")]
    assert rows[2]["merchant"] == "中国国际航空"
    assert graph.read_one("MATCH (a:Account) RETURN count(a) AS n")["n"] == 2

    r = graph.read("MATCH (p:Person {person_id: 'P1'})-[:RESTRICTED_BY]->(r:Restriction) "
                   "OPTIONAL MATCH (r)-[:TARGETS]->(t) OPTIONAL MATCH (r)-[:IN_CASE]->(c:Case) "
                   "RETURN r.kind AS kind, r.lifted_on AS lifted, coalesce(t.account_id, t.asset_id) AS target, "
                   "c.case_no AS case_no ORDER BY kind")
    assert [(x["kind"], x["target"], x["case_no"]) for x in r] == [
        ("account_freeze", "A1", "(2015)温民初1号"), ("asset_seizure", "H1", None), ("consumption_ban", None, None)]
    assert str(r[2]["lifted"]) == "2016-06-01"
    e = graph.read("MATCH (e:Encumbrance)-[:ENCUMBERS]->(s:Asset), (e)-[:HELD_BY]->(h) "
                   "RETURN e.encumbrance_id AS id, e.kind AS kind, e.amount_fen AS fen, "
                   "coalesce(h.person_id, h.company_id) AS holder ORDER BY id")
    assert [(x["id"], x["kind"], x["fen"], x["holder"]) for x in e] == [
        ("E1", "mortgage", 300_000_000, "P2"), ("E2", "mortgage", 50_000_000, "C1")]

    # the domain functions the subject page, timeline and package call
    from investigations import measures
    import datetime as dt
    rs = measures.restrictions(graph, "P1", as_of=dt.date(2016, 7, 1))
    assert [(r["kind"], r["in_force"], r["target_kind"]) for r in rs] == [
        ("account_freeze", True, "account"), ("asset_seizure", True, "asset"), ("consumption_ban", False, None)]
    assert rs[0]["kind_zh"] == "账户冻结" and rs[0]["src_file"] == "restrictions.csv"
    es = measures.encumbrances(graph, "P1")
    assert [(e["encumbrance_id"], e["role"], e["holder_id"]) for e in es] == [
        ("E2", "on_own_asset", "C1"), ("E1", "on_own_asset", "P2")]
    assert [(e["encumbrance_id"], e["role"]) for e in measures.encumbrances(graph, "P2")] == [("E1", "as_creditor")]
    cs = measures.cash(graph, "P1")
    assert [(c["transfer_id"], c["kind"], c["amount_fen"]) for c in cs] == [
        ("T1", "cash_withdrawal", 5_000_000), ("T2", "cash_deposit", 200_000)]
    ev = measures.timeline_events(graph, "P1", as_of=dt.date(2016, 7, 1))
    assert [e["type"] for e in ev] == ["encumbrance_registered", "encumbrance_released", "encumbrance_registered",
                                       "restriction_ordered", "restriction_ordered", "restriction_ordered",
                                       "cash_withdrawal", "cash_deposit", "restriction_lifted"]

    before = {k: v for k, v in graph.counts().items() if k != "Load"}
    again = load_dir(graph, d, rejects_dir=tmp_path / "rej2")
    assert {k: v for k, v in graph.counts().items() if k != "Load"} == before  # idempotent
    unload(graph, again.load_id)
    unload(graph, res.load_id)
    assert graph.read_one("MATCH (n) WHERE n:Restriction OR n:Encumbrance RETURN count(n) AS n")["n"] == 0
