"""Bank and payment returns in (issue 8): layouts, pairing, aliases, holders, skips, idempotence."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import InputError, load_dir, unload
from ingest.statements import all_profiles, sniff

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "statements"))
import make_fixtures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def transfers(g) -> list[dict]:
    return g.read("MATCH (a:Account)-[t:TRANSFER]->(b:Account) WHERE coalesce(t.kind, 'transfer') = 'transfer' "
                  "RETURN a.account_id AS f, b.account_id AS to, "
                  "t.amount_fen AS fen, t.transfer_id AS id, t.out_file AS out_file, t.out_row AS out_row, "
                  "t.in_file AS in_file, t.in_row AS in_row, t.out_serial AS out_serial, t.in_serial AS in_serial, "
                  "t.kind AS kind, t.merchant AS merchant ORDER BY t.at, fen")


def counts(g) -> tuple[int, int, int, int]:
    r = g.read_one("CALL () { MATCH ()-[t:TRANSFER]->() WHERE coalesce(t.kind, 'transfer') = 'transfer' RETURN count(t) AS t } "
                   "CALL () { MATCH ()-[c:TRANSFER]->() WHERE c.kind STARTS WITH 'cash' RETURN count(c) AS c } "
                   "CALL () { MATCH (a:Account) RETURN count(a) AS a } "
                   "CALL () { MATCH (p:Person) RETURN count(p) AS p } RETURN t, c, a, p")
    return r["t"], r["c"], r["a"], r["p"]


@pytest.fixture
def case_dir(tmp_path) -> Path:
    make_fixtures.write_case(tmp_path / "case")
    return tmp_path / "case"


def test_every_layout_file_is_recognised(tmp_path, case_dir):
    want = {"工商银行_交易明细信息.csv": "police_transactions", "工商银行_账户信息.csv": "police_accounts",
            "工商银行_人员信息.csv": "police_persons", "李四_查询反馈.csv": "jiwei_feedback",
            "TenpayTrades_20240401.txt": "tenpay_trades", "TenpayRegInfo.txt": "tenpay_reginfo"}
    for name, prof in want.items():
        assert sniff(case_dir / name).profile.name == prof, name
    for lay in make_fixtures.LAYOUTS:
        path = make_fixtures.write_layout(lay, tmp_path / lay)
        s = sniff(path)
        assert s.profile is not None and s.profile.name == lay, (lay, s.why_not())
    assert sniff(tmp_path / "icbc" / "icbc_statement.csv").header_index == 4  # after the 明细查询 preamble
    assert sniff(tmp_path / "wechat_bill" / "微信支付账单(20240301-20240331).csv").header_index == 16
    assert sniff(tmp_path / "cmb" / "cmb.csv").encoding == "gb18030"  # a GBK file
    assert {p.name for p in all_profiles()} >= set(want.values()) | set(make_fixtures.LAYOUTS)
    # the same ABC export saved as .xlsx, and the police return as tab-separated .txt in GBK
    import openpyxl
    wb = openpyxl.Workbook()
    for row in csv.reader(open(tmp_path / "abc" / "abc_明细.csv", encoding="utf-8")):
        wb.active.append(row)
    wb.save(tmp_path / "张三_流水.xlsx")
    s = sniff(tmp_path / "张三_流水.xlsx")
    assert s.profile.name == "abc" and s.header_index == 2 and s.preamble[1].startswith("账户")
    rows = list(csv.reader(open(case_dir / "工商银行_交易明细信息.csv", encoding="gb18030")))
    with open(tmp_path / "明细.txt", "w", encoding="gbk", newline="") as f:
        csv.writer(f, delimiter="\t").writerows(rows)
    s = sniff(tmp_path / "明细.txt")
    assert (s.profile.name, s.delimiter, s.encoding) == ("police_transactions", "\t", "gb18030")


def test_case_folder_pairs_sides_and_links_holders(graph, case_dir, tmp_path):
    res = load_dir(graph, case_dir, tmp_path / "rej")
    st = res.statements
    files = st["files"]
    for name, c in files.items():  # nothing lost
        assert c["read"] == c["loaded"] + c["paired"] + c["skipped"] + c["rejected"], name
    tx = files["工商银行_交易明细信息.csv"]
    assert tx["read"] == 11 and tx["rejected"] == 1 and tx["skipped"] == 2
    assert tx["skipped_reasons"] == {"failed": 1, "reversal": 1}
    rejects = list(csv.DictReader(open(tmp_path / "rej" / "statements.csv", encoding="utf-8-sig")))
    assert [(r["file"], r["row"]) for r in rejects] == [("工商银行_交易明细信息.csv", "9")]
    assert "amount" in rejects[0]["reasons"]
    t = transfers(graph)
    by = {(x["f"], x["to"], x["fen"]): x for x in t}
    # 张三 -> 李四 named by card on one side, account on the other, 105 s apart: one transfer with both sides
    x = by[(make_fixtures.ZHANG_ACC, make_fixtures.LI_ACC, 5_000_000)]
    assert (x["out_file"], x["out_row"], x["out_serial"]) == ("工商银行_交易明细信息.csv", 2, "ICBC0001")
    assert (x["in_file"], x["in_row"], x["in_serial"]) == ("李四_查询反馈.csv", 2, "CCB01")
    # 张三 -> 王五 within one return, 210 s apart, named by card: paired
    x = by[(make_fixtures.ZHANG_ACC, make_fixtures.WANG_ACC, 2_000_000)]
    assert x["in_serial"] == "ICBC0003"
    # two 1,000 transfers two minutes apart: each paired with its own partner
    thousand = [x for x in t if x["fen"] == 100_000]
    assert len(thousand) == 2
    assert sorted((x["out_serial"], x["in_serial"]) for x in thousand) == [("ICBC0009", "CCB02"),
                                                                         ("ICBC0010", "CCB03")]
    # Tenpay sides share 交易单号 (30 minutes apart)
    x = by[(make_fixtures.ZHANG_WX, make_fixtures.LI_WX, 128_800)]
    assert x["out_serial"] == "T1" and x["in_serial"] == "T2"
    # lone sides still make their transfer
    assert (make_fixtures.ZHANG_ACC, make_fixtures.ZHAO_CARD, 800_000) in by and (make_fixtures.LI_ACC, make_fixtures.COMPANY_ACC, 3_000_000) in by
    assert (make_fixtures.WANG_WX, make_fixtures.LI_WX, 6_600) in by
    assert by[(make_fixtures.ZHANG_ACC, make_fixtures.COMPANY_ACC, 200_000)]["merchant"] == "某某贸易"
    assert len(t) == 9
    # cash: a movement of the account, no counterparty
    cash = graph.read("MATCH (a:Account)-[c:TRANSFER]->(b) WHERE c.kind STARTS WITH 'cash' "
                      "RETURN a.account_id AS a, b.account_id AS b, "
                      "c.kind AS kind, c.amount_fen AS fen")
    assert cash == [{"a": make_fixtures.ZHANG_ACC, "b": make_fixtures.ZHANG_ACC, "kind": "cash_withdrawal", "fen": 500_000}]
    assert st["paired_sides"] == 10 and st["cash"] == 1
    # card and account number: one Account; aliases kept
    acc = graph.read_one("MATCH (a:Account {account_id: $a}) RETURN a.aliases AS al, a.kind AS k", {"a": make_fixtures.ZHANG_ACC})
    assert acc == {"al": [make_fixtures.ZHANG_CARD], "k": "bank"}
    assert not graph.read("MATCH (a:Account) WHERE a.account_id IN $c RETURN a", {"c": [make_fixtures.ZHANG_CARD, make_fixtures.LI_CARD,
                                                                                      make_fixtures.WANG_CARD]})
    # holders by ID number, with the reason
    hold = {r["a"]: r for r in graph.read(
        "MATCH (h)-[r:HOLDS]->(a:Account) RETURN a.account_id AS a, coalesce(h.person_id, h.company_id) AS h, "
        "r.reason AS reason")}
    assert hold[make_fixtures.ZHANG_ACC]["h"] == "P001" and "开户人证件号码" in hold[make_fixtures.ZHANG_ACC]["reason"]
    assert hold[make_fixtures.LI_WX]["h"] == "P002" and "TenpayRegInfo.txt row 3" in hold[make_fixtures.LI_WX]["reason"]
    assert hold[make_fixtures.COMPANY_ACC]["h"] == make_fixtures.COMPANY_ID and "对手证件号码" in hold[make_fixtures.COMPANY_ACC]["reason"]
    # 王五: unknown to the tables, created from 人员信息 and marked so
    wang = graph.read_one("MATCH (p:Person {id_number: $i})-[:HOLDS]->(a:Account) RETURN p.person_id AS id, "
                          "p.name AS name, p.phone AS phone, p.known_from AS src, a.account_id AS a", {"i": make_fixtures.WANG_ID})
    assert wang == {"id": f"BANK-{make_fixtures.WANG_ID}", "name": "王五", "phone": "13900000003", "src": "bank_return",
                    "a": make_fixtures.WANG_ACC}
    # 李四's CCB account: no 账户信息, no ID on the rows -> holder not guessed from the name
    assert make_fixtures.LI_ACC not in hold
    # 赵六: an unknown counterparty keeps the name and ID the statement gives; no person invented
    zhao = graph.read_one("MATCH (a:Account {account_id: $a}) RETURN a.holder_known AS k, a.stmt_names AS n, "
                          "a.stmt_id_numbers AS i", {"a": make_fixtures.ZHAO_CARD})
    assert zhao == {"k": False, "n": ["赵六"], "i": [make_fixtures.ZHAO_ID]}
    assert not graph.read("MATCH (p:Person {id_number: $i}) RETURN p", {"i": make_fixtures.ZHAO_ID})
    # balances: the last of each day
    bal = graph.read("MATCH (a:Account {account_id: $a})-[:HAS_BALANCE]->(b:Balance) RETURN toString(b.as_of) AS d, "
                     "b.balance_fen AS fen ORDER BY d", {"a": make_fixtures.ZHANG_ACC})
    assert bal[0] == {"d": "2024-03-01", "fen": 15_000_000}
    assert {"d": "2024-03-07", "fen": 11_530_000} in bal
    # search finds the account by its card number too
    from investigations.lookup import search
    assert [a["id"] for a in search(graph, make_fixtures.ZHANG_CARD)["accounts"]] == [make_fixtures.ZHANG_ACC]
    assert [a["id"] for a in search(graph, make_fixtures.ZHANG_ACC)["accounts"]] == [make_fixtures.ZHANG_ACC]


def test_reload_and_overlapping_return_add_nothing(graph, case_dir, tmp_path):
    first = load_dir(graph, case_dir, tmp_path / "r1")
    before = counts(graph)
    second = load_dir(graph, case_dir, tmp_path / "r2")
    assert counts(graph) == before
    assert second.statements["transfers"] == first.statements["transfers"]
    # a second return of 李四 whose period overlaps the first, in a new load: its rows are known
    src = case_dir / "李四_查询反馈.csv"
    more = tmp_path / "more"
    more.mkdir()
    rows = list(csv.reader(open(src, encoding="utf-8")))
    new = list(rows[-1])
    new[make_fixtures.JIWEI.index("交易时间")], new[make_fixtures.JIWEI.index("交易流水号")] = "2024-03-20 10:00:00", "CCB05"
    new[make_fixtures.JIWEI.index("交易金额")] = "700.00"
    with open(more / "李四_查询反馈_第二次.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows[:1] + rows[3:] + [new])
    third = load_dir(graph, more, tmp_path / "r3")
    t, c, a, p = counts(graph)
    assert (t, c, p) == (before[0] + 1, before[1], before[3])
    assert third.statements["unpaired_sides"] == 1
    # undo the last load: only its new transfer goes
    unload(graph, third.load_id)
    assert counts(graph)[0] == before[0]


def test_partner_from_an_earlier_load_joins_the_same_transfer(graph, case_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for name in ("persons.csv", "companies.csv", "工商银行_交易明细信息.csv", "工商银行_账户信息.csv", "工商银行_人员信息.csv"):
        shutil.copy(case_dir / name, a / name)
    shutil.copy(case_dir / "李四_查询反馈.csv", b)
    load_dir(graph, a, tmp_path / "r")
    n_before = counts(graph)[0]
    res = load_dir(graph, b, tmp_path / "r")
    # 3 of 李四's 4 sides found their partner written by the first load; the 4th is new
    assert res.statements["files"]["李四_查询反馈.csv"]["paired"] == 3
    assert counts(graph)[0] == n_before + 1
    x = graph.read_one("MATCH ()-[t:TRANSFER {out_serial: 'ICBC0001'}]->() RETURN t.in_serial AS s, "
                       "t.in_file AS f")
    assert x == {"s": "CCB01", "f": "李四_查询反馈.csv"}


def test_time_outside_the_tolerance_is_not_paired(graph, case_dir, tmp_path):
    res = load_dir(graph, case_dir, tmp_path / "r", tolerance=60)  # 张三->李四 is 105 s apart
    t = transfers(graph)
    assert len([x for x in t if x["fen"] == 5_000_000]) == 2
    assert res.statements["paired_sides"] < 10


def test_unknown_layout_is_a_clear_error(graph, case_dir, tmp_path):
    bad = case_dir / "某银行_流水.csv"
    bad.write_text("日期,收入金额,支出金额,对方户名\n2024-03-01,1.00,,某人\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_dir(graph, case_dir, tmp_path / "r")
    msg = str(e.value)
    assert "某银行_流水.csv" in msg and "Closest:" in msg and "lacks" in msg
    assert counts(graph) == (0, 0, 0, 0)  # nothing written


@pytest.mark.parametrize("layout,account,n,expect", [
    ("alipay_records", None, 3, [("2088000000000001", "2088000000000002", 120_000),
                                 ("2088000000000001", "2088000000000010", 268_000)]),
    ("icbc", None, 3, [("中国工商银行:北京某某科技有限公司", "6222020200003333333", 800_000),
                       ("6222020200003333333", "中国工商银行:钱八", 300_000)]),
    ("abc", None, 2, [("6228480000000000017", "6228480000000000025", 250_000),
                      ("6217000000000000033", "6228480000000000017", 100_000)]),
    ("boc", None, 2, [("6216600000000000058", "6216600000000000041", 60_000),
                      ("6216600000000000041", "6216600000000000058", 100_000)]),
    ("cmb", None, 2, [("6214830000000000066", "6214830000000000074", 150_000),
                      ("6214830000000000082", "6214830000000000066", 20_000)]),
    ("ccb", None, 3, [("6217000000000000090", "6217000000000000108", 400_000),
                      ("6217000000000000116", "6217000000000000090", 50_000)]),
    ("wechat_bill", "wxid_jiang", 3, [("wxid_jiang", "财付通:某某酒店", 36_800), ("财付通:沈十六", "wxid_jiang", 50_000)]),
    ("alipay_bill", None, 2, [("han17@example.com", "mall@example.com", 19_900),
                              ("yang18@example.com", "han17@example.com", 80_000)]),
])
def test_each_personal_layout_loads(graph, tmp_path, layout, account, n, expect):
    path = make_fixtures.write_layout(layout, tmp_path / layout)
    res = load_dir(graph, path.parent, tmp_path / "r", accounts={"": account} if account else None)
    c = res.statements["files"][path.name]
    assert c["read"] == n and c["read"] == c["loaded"] + c["paired"] + c["skipped"] + c["rejected"]
    got = {(x["f"], x["to"], x["fen"]) for x in transfers(graph)}
    for e in expect:
        assert e in got, (e, got)
    assert len(got) == len(expect)
    named = [a for a in (x for e in expect for x in e[:2]) if ":" in a]
    if named:  # named without a number: unknown holder, marked, nothing invented beyond the name
        rows = graph.read("MATCH (a:Account) WHERE a.account_id IN $ids RETURN a.name_only AS n, "
                          "a.holder_known AS k", {"ids": named})
        assert rows and all(r["n"] is True and r["k"] is False for r in rows)


def test_wechat_bill_needs_its_account(graph, tmp_path):
    path = make_fixtures.write_layout("wechat_bill", tmp_path / "w")
    with pytest.raises(InputError, match="--account"):
        load_dir(graph, path.parent, tmp_path / "r")


def test_cli_profiles_and_sniff(case_dir):
    run = lambda *a: subprocess.run([sys.executable, "-m", "ingest", *a], cwd=ROOT, capture_output=True,  # noqa: E731
                                    text=True, timeout=120)
    r = run("profiles")
    assert r.returncode == 0 and "tenpay_trades" in r.stdout and "icbc" in r.stdout
    r = run("sniff", str(case_dir / "TenpayTrades_20240401.txt"))
    assert r.returncode == 0 and "tenpay_trades" in r.stdout and "tab-separated" in r.stdout
    r = run("sniff", str(case_dir / "persons.csv"))
    assert r.returncode == 2 and "no profile matches" in r.stdout


def test_header_rows_live_in_the_profiles_and_duplicates_map_their_first_column(tmp_path):
    # one home: the fixtures (and synth/returns.py) write the header rows the profiles declare
    tenpay = next(p for p in all_profiles() if p.name == "tenpay_trades")
    assert make_fixtures.TENPAY == list(tenpay.headers)
    assert tenpay.headers.count("网联/银联") == 2 and tenpay.headers.count("第三方账户名称") == 2
    for p in all_profiles():  # every declared header row is recognised as its own layout
        if p.headers:
            path = tmp_path / f"{p.name}.csv"
            path.write_text(",".join(p.headers) + "\n", encoding="utf-8")
            assert sniff(path).profile.name == p.name, p.name
    # a field whose header name appears twice reads the first of the two columns
    import dataclasses
    dup = dataclasses.replace(tenpay, fields={**tenpay.fields, "channel": ("网联/银联",)})
    cols, missing = dup.match(list(tenpay.headers))
    assert not missing and cols["channel"] == [tenpay.headers.index("网联/银联")]
