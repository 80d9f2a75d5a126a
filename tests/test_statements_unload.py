"""Exact unload of statement loads (issue 8): two returns whose periods overlap, loaded in either order;
unloading either load leaves exactly what the other alone states, and a reload is taken back to nothing."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ingest import load_dir, unload

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "statements"))
import make_fixtures as mf  # noqa: E402

X, Y, Z, W = "11001000000000501", "11001000000000502", "11001000000000503", "11001000000000504"
X_CARD = "6227000000000000501"
X_ID = mf.idn("11010119900909123")  # a holder no table knows: a person from the bank's 人员信息


def _jw(own: str, n: int, flag: str, amount: str, bal: str, time: str, cp: str, cp_name: str, serial: str) -> list[str]:
    return mf._row(mf.JIWEI, 序号=str(n), 反馈单位="中国建设银行", 查询账户=own, 交易类型="转账", 借贷标志=flag, 币种="CNY",
                   交易金额=amount, 账户余额=bal, 交易时间=time, 交易流水号=serial, 本方账号=own, 交易对方姓名=cp_name,
                   交易对方账户=cp, 交易摘要="转账", 交易是否成功="是")


def write_returns(root: Path) -> tuple[Path, Path]:
    """X's return (January) with its 账户信息 and 人员信息; Y's return (15 January - 15 February).

    Both state the 200.00 payment X -> Y (X's 借 and Y's 贷, 60 s apart); only X states the 100.00 one and
    the 50.00 from Z; only Y states the 70.00 to X and the 30.00 to W.
    """
    one, two = root / "x", root / "y"
    one.mkdir(parents=True), two.mkdir(parents=True)
    mf._csv(one / "X_查询反馈.csv", [mf.JIWEI,
                                  _jw(X, 1, "借", "100.00", "900.00", "2024-01-05 10:00:00", Y, "乙", "X01"),
                                  _jw(X, 2, "借", "200.00", "700.00", "2024-01-20 10:00:00", Y, "乙", "X02"),
                                  _jw(X, 3, "贷", "50.00", "750.00", "2024-01-25 10:00:00", Z, "丙", "X03")])
    mf._csv(one / "X_账户信息.csv", [mf.POLICE_ACC, ["甲", X_ID, X_CARD, X, "中国建设银行", "正常", "20150101", "", "人民币"]],
            encoding="gb18030")
    mf._csv(one / "X_人员信息.csv", [mf.POLICE_PERSON, ["甲", "身份证", X_ID, "13900000009", "北京市某路9号"]],
            encoding="gb18030")
    mf._csv(two / "Y_查询反馈.csv", [mf.JIWEI,
                                  _jw(Y, 1, "贷", "200.00", "1200.00", "2024-01-20 10:01:00", X, "甲", "Y01"),
                                  _jw(Y, 2, "借", "70.00", "1130.00", "2024-02-01 09:00:00", X, "甲", "Y02"),
                                  _jw(Y, 3, "借", "30.00", "1100.00", "2024-02-10 09:00:00", W, "丁", "Y03")])
    return one, two


def snapshot(g) -> dict:
    """What the graph says, without load ids and transfer ids (a transfer's id depends on which side came first)."""
    t = g.read("MATCH (a:Account)-[t:TRANSFER]->(b:Account) RETURN a.account_id AS f, b.account_id AS to, "
               "t.amount_fen AS fen, toString(t.at) AS at, t.out_side AS out_side, t.in_side AS in_side, "
               "t.out_file AS out_file, t.out_row AS out_row, t.out_serial AS out_serial, t.in_file AS in_file, "
               "t.in_row AS in_row, t.in_serial AS in_serial, t.kind AS kind, t.from_name AS from_name, "
               "t.to_name AS to_name")
    a = g.read("MATCH (a:Account) RETURN a.account_id AS id, coalesce(a.holder_known, false) AS holder_known, "
               "a.holder_id AS holder_id, a.holder_reason AS reason, coalesce(a.queried, false) AS queried, "
               "a.kind AS kind, a.institution AS institution, coalesce(a.aliases, []) AS aliases, "
               "coalesce(a.stmt_names, []) AS names, coalesce(a.stmt_id_numbers, []) AS idns")
    for r in a:
        r["aliases"], r["names"], r["idns"] = sorted(r["aliases"]), sorted(r["names"]), sorted(r["idns"])
    p = g.read("MATCH (p:Person) RETURN p.person_id AS id, p.name AS name, p.known_from AS known_from, "
               "p.phone AS phone")
    h = g.read("MATCH (p)-[r:HOLDS]->(a:Account) RETURN coalesce(p.person_id, p.company_id) AS party, "
               "a.account_id AS account, r.reason AS reason")
    b = g.read("MATCH (a:Account)-[:HAS_BALANCE]->(b:Balance) RETURN a.account_id AS account, toString(b.as_of) AS d, "
               "b.balance_fen AS fen")
    n = g.read_one("MATCH (n) WHERE NOT n:Load RETURN count(n) AS n")["n"]
    key = lambda r: sorted((k, str(v)) for k, v in r.items())  # noqa: E731
    return {"transfers": sorted(t, key=key), "accounts": sorted(a, key=key), "persons": sorted(p, key=key),
            "holds": sorted(h, key=key), "balances": sorted(b, key=key), "nodes": n}


@pytest.fixture
def returns(tmp_path) -> tuple[Path, Path]:
    return write_returns(tmp_path / "returns")


def test_unload_either_of_two_overlapping_loads_in_either_order(graph, returns, tmp_path):
    one, two = returns
    alone = {}
    for folder in (one, two):
        graph.wipe()
        load_dir(graph, folder, tmp_path / "r")
        alone[folder] = snapshot(graph)
    # X alone: 3 transfers, the BANK person holds X, X's card is an alias
    assert len(alone[one]["transfers"]) == 3 and alone[one]["holds"][0]["party"] == f"BANK-{X_ID}"
    assert [r["aliases"] for r in alone[one]["accounts"] if r["id"] == X] == [[X_CARD]]
    for first, second in ((one, two), (two, one)):
        for undo in (first, second):
            graph.wipe()
            loads = {first: load_dir(graph, first, tmp_path / "r"), second: load_dir(graph, second, tmp_path / "r")}
            both = snapshot(graph)
            # the 200.00 payment is one transfer holding both sides, whichever load came first
            shared = [t for t in both["transfers"] if t["fen"] == 20000]
            assert len(shared) == 1 and shared[0]["out_serial"] == "X02" and shared[0]["in_serial"] == "Y01"
            assert len(both["transfers"]) == 5
            unload(graph, loads[undo].load_id)
            kept = second if undo is first else first
            assert snapshot(graph) == alone[kept], (first.name, second.name, "unload", undo.name)
            # the shared transfer keeps the other load's side only
            shared = [t for t in snapshot(graph)["transfers"] if t["fen"] == 20000]
            sides = (shared[0]["out_serial"], shared[0]["in_serial"])
            assert sides == (("X02", None) if kept is one else (None, "Y01"))
            unload(graph, loads[kept].load_id)
            assert snapshot(graph)["nodes"] == 0


def test_reload_is_taken_back_exactly(graph, returns, tmp_path):
    one, two = returns
    first = load_dir(graph, one, tmp_path / "r")
    before = snapshot(graph)
    prov = graph.read("MATCH ()-[t:TRANSFER]->() RETURN t.prov AS prov")
    assert all(len(r["prov"]) == 1 and r["prov"][0].startswith(f"{first.load_id}|statements|") for r in prov)
    second = load_dir(graph, one, tmp_path / "r")
    assert snapshot(graph) == before
    assert all(len(r["prov"]) == 2 for r in graph.read("MATCH ()-[t:TRANSFER]->() RETURN t.prov AS prov"))
    unload(graph, second.load_id)
    assert snapshot(graph) == before
    unload(graph, first.load_id)
    assert snapshot(graph)["nodes"] == 0
