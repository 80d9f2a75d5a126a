"""The spec-v2 patterns and baselines against a real Neo4j: hits, near-misses, parameters,
and the four convicted cases of the spec, each with its own dates and amounts."""
from __future__ import annotations

import datetime as dt

import pytest

from ingest import load_dir
from investigations import run_pattern
from investigations.leads import score
from investigations.postprocessors import classify_merchant, restricted_categories

from v2_scenarios import Folder

AS_OF = dt.date(2025, 10, 31)


def _load(graph, f: Folder, tmp_path) -> None:
    graph.wipe()  # each scenario module fixture starts from an empty database
    res = load_dir(graph, f.write(tmp_path / "data"), rejects_dir=tmp_path / "rejects")
    rejected = {t: c["rejected"] for t, c in res.tables.items() if c["rejected"]}
    assert not rejected, f"fixture rows rejected: {rejected}"


def _by_subject(res) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for h in res.hits:
        out.setdefault(h["subject_id"], []).append(h)
    return out


# -- cash withdrawals ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cash_graph(session_graph, tmp_path_factory):
    f = Folder()
    f.person("C1", account="AC1")
    f.case("(2025)京01民初1号", "C1", "2024-12-20", "2025-01-10")
    c1 = [f.cash("AC1", "20000", "2025-03-01 10:00"), f.cash("AC1", "20000", "2025-03-10"),
          f.cash("AC1", "15000", "2025-03-20")]
    f.cash("AC1", "2000", "2025-06-01")                               # small, months later: not in the window hit
    f.person("C2", account="AC2")
    f.case("(2025)京01民初2号", "C2", "2024-12-20", "2025-01-10")
    f.cash("AC2", "60000", "2025-01-09")                              # the day before litigation start
    for d in ("2025-03-01", "2025-03-11", "2025-03-21"):
        f.cash("AC2", "15000", d)                                     # 45,000 in 30 days: below min_total
    f.person("C3", account="AC3")
    f.case("(2025)京01民初3号", "C3", "2024-12-20", "2025-01-10")
    f.rows["restrictions"].append({"subject_id": "C3", "kind": "account_freeze", "ordered_on": "2025-04-01",
                                   "target": "AC3", "case_no": "(2025)京01民初3号"})
    c3 = f.cash("AC3", "12000", "2025-05-01")                         # single >= 10,000 while frozen: hit
    f.cash("AC3", "9000", "2025-06-01")                               # below min_single: not
    f.person("C5", account="AC5")
    f.case("(2025)京01民初5号", "C5", "2024-12-20", "2025-01-10")
    f.rows["restrictions"].append({"subject_id": "C5", "kind": "asset_seizure", "ordered_on": "2025-02-01",
                                   "lifted_on": "2025-04-20", "target": "H5"})
    f.cash("AC5", "20000", "2025-05-01")                              # seizure already lifted: not
    f.tx("AC5", "AC1", "80000", "2025-05-02")                         # a transfer is not cash
    # 永嘉: judgment of 98.9万 effective 2010-03-26; house and equipment seized; 5万 at an ATM on
    # 2016-03-29, 2016-04-07 and 2016-04-08 from a CCB account.
    f.person("YJ", "永嘉被执行人", account="6217000YJ")
    f.case("(2009)温永民初88号", "YJ", "2009-09-15", "", effective="2010-03-26", judged="2010-03-10",
           enforcement="2010-05-06", due="989000")
    f.rows["restrictions"].append({"subject_id": "YJ", "kind": "asset_seizure", "ordered_on": "2010-06-01",
                                   "target": "永嘉房产及设备", "case_no": "(2009)温永民初88号"})
    yj = [f.cash("6217000YJ", "50000", d) for d in ("2016-03-29 14:02", "2016-04-07 09:40", "2016-04-08 16:15")]
    tmp = tmp_path_factory.mktemp("cash")
    _load(session_graph, f, tmp)
    return session_graph, {"c1": c1, "c3": c3, "yj": yj}


def test_cash_withdrawal_hits_and_near_misses(cash_graph):
    g, ids = cash_graph
    res = run_pattern(g, "cash_withdrawal_after_litigation", as_of=AS_OF)
    by = _by_subject(res)
    assert set(by) == {"C1", "C3", "YJ"}, {k: [h["explanation_en"] for h in v] for k, v in by.items()}
    (h1,) = by["C1"]
    assert h1["evidence"]["transfer_ids"] == ids["c1"] and h1["amount_fen"] == 5_500_000 and h1["rule"] == "window"
    assert h1["counterparties"] == [] and "withdrew 55,000.00 yuan" in h1["explanation_en"]
    (h3,) = by["C3"]
    assert h3["evidence"]["transfer_ids"] == [ids["c3"]] and h3["rule"] == "in_force"
    assert h3["restrictions_in_force"][0]["target"] == "AC3"
    # the parameters are used: a lower min_total turns C2's 45,000 into a hit
    res = run_pattern(g, "cash_withdrawal_after_litigation", {"min_total": 40000}, as_of=AS_OF)
    assert "C2" in _by_subject(res)
    res = run_pattern(g, "cash_withdrawal_after_litigation", {"min_single": 9000}, as_of=AS_OF)
    assert len(_by_subject(res)["C3"][0]["evidence"]["transfer_ids"]) == 2


def test_convicted_yongjia_cash_while_seized(cash_graph):
    g, ids = cash_graph
    res = run_pattern(g, "cash_withdrawal_after_litigation", as_of=dt.date(2016, 12, 31), subject_id="YJ")
    (h,) = res.hits
    assert h["evidence"]["transfer_ids"] == ids["yj"] and h["amount_fen"] == 15_000_000
    assert h["stage"] == "in_enforcement" and h["rule"] == "window"
    assert [r["kind"] for r in h["restrictions_in_force"]] == ["asset_seizure"]
    assert "查封扣押" in h["explanation_zh"]


# -- income redirection ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def income_graph(session_graph, tmp_path_factory):
    f = Folder()
    f.company("E1", "某某科技有限公司", account="AE1")
    f.person("R1", account="AR1")
    f.person("R1S", "配偶", account="AR1S")
    f.rows["relations"].append({"person_id": "R1", "other_person_id": "R1S", "relation": "spouse",
                                "since": "2010-01-01"})
    f.case("(2025)京02民初1号", "R1", "2025-02-10", "2025-03-01")
    f.monthly("AE1", "AR1", "12000", "2024-03-01", 12, memo="工资")
    r1 = f.monthly("AE1", "AR1S", "12000", "2025-03-01", 4, memo="工资")          # salary to the spouse: hit
    f.person("R2", account="AR2")
    f.case("(2025)京02民初2号", "R2", "2025-02-10", "2025-03-01")
    f.monthly("AE1", "AR2", "9000", "2024-03-01", 12, memo="工资")
    f.monthly("AE1", "AR2", "14000", "2025-03-01", 6, memo="工资")                # a raise, same account: not
    f.person("R3", account="AR3")
    f.account("AR3NEW", "R3", opened="2025-04-01")
    f.case("(2025)京02民初3号", "R3", "2025-02-10", "2025-03-01")
    f.monthly("SOCIAL01", "AR3", "4000", "2024-03-01", 12, memo="养老金")          # unknown holder: by account
    r3 = f.monthly("SOCIAL01", "AR3NEW", "4000", "2025-04-01", 4, memo="养老金")   # new account: hit
    f.person("R4", account="AR4")
    f.account("AR4B", "R4", opened="2015-01-01")
    f.case("(2025)京02民初4号", "R4", "2025-02-10", "2025-03-01")
    f.monthly("SOCIAL02", "AR4", "4000", "2024-03-01", 12)
    f.monthly("SOCIAL02", "AR4B", "4000", "2025-04-01", 4)                         # old account, no freeze: not
    # 京口: enforcement began 2021-01-25; after the pension account was frozen the pension was paid
    # into another account (2021-08).
    f.person("JK", "京口被执行人", account="PENSION_JK")
    f.account("OTHER_JK", "JK", opened="2016-05-01")
    f.case("(2020)苏1111民初2345号", "JK", "2020-05-20", "2020-06-08", judged="2020-09-15",
           effective="2020-10-10", enforcement="2021-01-25", due="160000")
    f.rows["restrictions"].append({"subject_id": "JK", "kind": "account_freeze", "ordered_on": "2021-02-03",
                                   "target": "PENSION_JK", "case_no": "(2020)苏1111民初2345号"})
    f.company("SIF", "镇江市社会保险基金", account="SIF_ACC")
    f.monthly("SIF_ACC", "PENSION_JK", "3100", "2019-01-01", 30, day=15, memo="养老金")   # to 2021-06
    jk = f.monthly("SIF_ACC", "OTHER_JK", "3100", "2021-08-01", 5, day=15, memo="养老金")
    tmp = tmp_path_factory.mktemp("income")
    _load(session_graph, f, tmp)
    return session_graph, {"r1": r1, "r3": r3, "jk": jk}


def test_income_redirection_hits_and_near_misses(income_graph):
    g, ids = income_graph
    by = _by_subject(run_pattern(g, "income_redirection", as_of=AS_OF))
    assert set(by) == {"R1", "R3", "JK"}, {k: [h["explanation_en"] for h in v] for k, v in by.items()}
    (h1,) = by["R1"]
    assert h1["evidence"]["transfer_ids"] == ids["r1"] and h1["amount_fen"] == 4_800_000
    assert h1["redirect_kinds"] == ["related_person"] and h1["payer"] == "E1"
    assert h1["baseline"]["months"][0] == "2024-03" and len(h1["baseline"]["months"]) == 12
    (h3,) = by["R3"]
    assert h3["evidence"]["transfer_ids"] == ids["r3"] and h3["redirect_kinds"] == ["new_account"]
    assert h3["payer"] == "account:SOCIAL01"
    # parameters: a payer needs baseline_min_months; 13 months is more than R1's twelve
    by = _by_subject(run_pattern(g, "income_redirection", {"baseline_min_months": 13}, as_of=AS_OF))
    assert "R1" not in by and "R3" not in by


def test_convicted_jingkou_pension_redirected_after_freeze(income_graph):
    g, ids = income_graph
    (h,) = run_pattern(g, "income_redirection", as_of=dt.date(2021, 12, 31), subject_id="JK").hits
    assert h["evidence"]["transfer_ids"] == ids["jk"] and h["amount_fen"] == 5 * 310_000
    assert h["redirect_kinds"] == ["unfrozen_account"] and h["stage"] == "in_enforcement"
    assert h["freezes"][0]["target"] == "PENSION_JK" and "PENSION_JK" in h["explanation_en"]


# -- restricted consumption -------------------------------------------------------------------
@pytest.fixture(scope="module")
def ban_graph(session_graph, tmp_path_factory):
    f = Folder()
    f.company("AIR", "中国东方航空股份有限公司", account="MAIR")
    f.company("HTL", "北京希尔顿酒店有限公司", account="MHTL")
    f.company("SUP", "北京物美超市有限公司", account="MSUP")
    f.person("B1", account="AB1")
    f.case("(2024)京03民初1号", "B1", "2024-06-01", "2024-06-10")
    f.rows["restrictions"].append({"subject_id": "B1", "kind": "consumption_ban", "ordered_on": "2025-02-01"})
    b1 = [f.tx("AB1", "MAIR", "1580", "2025-03-05 08:00", merchant="东方航空"),
          f.tx("AB1", "MHTL", "2300", "2025-03-06 20:00")]
    f.tx("AB1", "MSUP", "300", "2025-03-07")                         # a supermarket: not restricted
    f.tx("AB1", "MAIR", "1200", "2025-01-20")                        # before the ban: not
    f.tx("AB1", "PLATFORM9", "4000", "2025-04-01", merchant="携程旅行社", to_name="携程")  # unknown holder, merchant: hit
    f.person("B2", account="AB2")
    f.case("(2024)京03民初2号", "B2", "2024-06-01", "2024-06-10")
    f.rows["restrictions"].append({"subject_id": "B2", "kind": "consumption_ban", "ordered_on": "2025-01-01",
                                   "lifted_on": "2025-03-01"})
    f.tx("AB2", "MAIR", "1800", "2025-04-10")                        # ban already lifted: not
    f.person("B3REP", account="AB3REP")
    f.company("B3", "某某贸易有限公司", account="AB3")
    f.rows["company_roles"].append({"person_id": "B3REP", "company_id": "B3", "role": "legal_rep",
                                    "since": "2015-01-01"})
    f.case("(2024)京03民初3号", "B3", "2024-06-01", "2024-06-10")
    f.rows["restrictions"].append({"subject_id": "B3", "kind": "consumption_ban", "ordered_on": "2025-02-01"})
    b3 = f.tx("AB3REP", "GOLF1", "8800", "2025-05-01", to_name="北京某某高尔夫俱乐部")
    # 限高 (2015 SPC provisions): a debtor under a consumption ban buys air tickets and stays in hotels.
    f.person("XG", "限高被执行人", account="AXG")
    f.case("(2016)浙0102民初77号", "XG", "2016-03-01", "2016-03-12", judged="2016-08-01",
           effective="2016-08-20", enforcement="2016-12-05", due="420000")
    f.rows["restrictions"].append({"subject_id": "XG", "kind": "consumption_ban", "ordered_on": "2017-01-10",
                                   "case_no": "(2016)浙0102民初77号"})
    xg = [f.tx("AXG", "MAIR", "2140", "2017-04-02 07:30", merchant="东方航空机票"),
          f.tx("AXG", "MHTL", "1860", "2017-04-02 22:10", memo="住宿")]
    tmp = tmp_path_factory.mktemp("ban")
    _load(session_graph, f, tmp)
    return session_graph, {"b1": b1, "b3": b3, "xg": xg}


def test_restricted_consumption_hits_and_near_misses(ban_graph):
    g, ids = ban_graph
    by = _by_subject(run_pattern(g, "restricted_consumption", as_of=AS_OF))
    assert set(by) == {"B1", "B3", "XG"}, {k: [h["explanation_en"] for h in v] for k, v in by.items()}
    (h1,) = by["B1"]
    assert h1["evidence"]["transfer_ids"][:2] == ids["b1"] and len(h1["evidence"]["transfer_ids"]) == 3
    assert set(h1["categories"]) == {"air_travel", "hotels_resorts", "travel_agencies"}
    assert h1["amount_fen"] == 158_000 + 230_000 + 400_000
    (h3,) = by["B3"]
    assert h3["evidence"]["transfer_ids"] == [ids["b3"]] and h3["via_legal_rep"]
    assert h3["categories"] == {"golf_clubs": 880_000}
    by = _by_subject(run_pattern(g, "restricted_consumption", {"min_total": 8000}, as_of=AS_OF))
    assert set(by) == {"B3"}                                      # B1 spent 7,880 yuan under the ban
    assert set(_by_subject(run_pattern(g, "restricted_consumption", {"min_total": 7880}, as_of=AS_OF))) == {"B1", "B3"}


def test_convicted_consumption_ban_flights_and_hotel(ban_graph):
    g, ids = ban_graph
    (h,) = run_pattern(g, "restricted_consumption", as_of=dt.date(2017, 12, 31), subject_id="XG").hits
    assert h["evidence"]["transfer_ids"] == ids["xg"] and h["amount_fen"] == 400_000
    assert h["stage"] == "in_enforcement" and h["ban"]["ordered_on"] == "2017-01-10"


def test_keywords_are_configuration(tmp_path, monkeypatch):
    cats = restricted_categories()
    assert classify_merchant(["如家快捷酒店"], cats) is None
    assert classify_merchant([None, "上海浦东香格里拉大酒店"], cats)[0] == "hotels_resorts"
    alt = tmp_path / "kw.json"
    alt.write_text('{"categories": {"air_travel": {"zh": "飞机", "en": "air", "keywords": ["某某"]}}}',
                   encoding="utf-8")
    monkeypatch.setenv("RESTRICTED_CONSUMPTION_KEYWORDS", str(alt))
    cats = restricted_categories()
    assert classify_merchant(["东方航空"], cats) is None and classify_merchant(["某某公司"], cats)[0] == "air_travel"


# -- sham encumbrance ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def enc_graph(session_graph, tmp_path_factory):
    f = Folder()
    f.company("BANK", "某某银行股份有限公司", account="ABANK")

    def debtor(pid: str, start: str, asset: str, appraised: str = "4000000") -> None:
        f.person(pid, account="A" + pid)
        f.case(f"(2025)京04民初{pid}号", pid, start, "")
        f.rows["assets"].append({"asset_id": asset, "kind": "real_estate", "owner_id": pid,
                                 "appraised_value": appraised})

    def enc(eid: str, asset: str, holder: str, on: str, amount: str) -> None:
        f.rows["encumbrances"].append({"encumbrance_id": eid, "asset_id": asset, "kind": "mortgage",
                                       "holder_id": holder, "registered_on": on, "amount": amount})

    debtor("S1", "2025-03-01", "H1")
    f.person("S1B", "兄弟")
    f.rows["relations"].append({"person_id": "S1", "other_person_id": "S1B", "relation": "sibling"})
    enc("E1", "H1", "S1B", "2025-04-01", "1000000")               # to a related person after start: hit
    debtor("S2", "2025-03-01", "H2")
    enc("E2", "H2", "BANK", "2025-04-01", "2500000")              # bank, loan paid out: not
    f.tx("ABANK", "AS2", "2500000", "2025-04-08", memo="个人住房贷款发放")
    debtor("S3", "2025-03-01", "H3", "3500000")
    f.person("FR3", "朋友")
    enc("E3", "H3", "FR3", "2025-01-15", "3000000")               # unrelated, 86% of value, no money: hit (before)
    debtor("S4", "2025-03-01", "H4")
    f.person("S4B", "弟弟")
    f.rows["relations"].append({"person_id": "S4", "other_person_id": "S4B", "relation": "sibling"})
    enc("E4", "H4", "S4B", "2024-08-01", "1000000")               # 212 days before start: outside the lookback
    debtor("S5", "2025-03-01", "H5")
    f.person("FR5", "路人")
    enc("E5", "H5", "FR5", "2025-04-01", "1000000")               # unrelated, 25% of value: not
    # (2018)浙08刑终33号: injury 2015-01-17; a sham mortgage of 300万 to a friend on 2015-02-25
    # (the real debt about 30万); suit filed 2015-05-25; judgment 375,526.66 on 2015-10-08;
    # enforcement filed 2015-11-16.
    f.person("ZJ", "衢州被执行人", account="AZJ")
    f.person("ZJF", "朋友甲", account="AZJF")
    f.rows["assets"].append({"asset_id": "浙(2012)衢州市不动产权第0012345号", "kind": "real_estate", "owner_id": "ZJ",
                             "appraised_value": "3200000"})
    f.case("(2015)衢柯民初1234号", "ZJ", "2015-05-25", "", judged="2015-10-08", effective="2015-10-26",
           enforcement="2015-11-16", due="375526.66")
    enc("ZJE1", "浙(2012)衢州市不动产权第0012345号", "ZJF", "2015-02-25", "3000000")
    f.tx("AZJF", "AZJ", "300000", "2014-06-01", memo="借款")      # the real debt, long before
    tmp = tmp_path_factory.mktemp("enc")
    _load(session_graph, f, tmp)
    return session_graph


def test_sham_encumbrance_hits_and_near_misses(enc_graph):
    g = enc_graph
    by = _by_subject(run_pattern(g, "sham_encumbrance", as_of=AS_OF))
    assert set(by) == {"S1", "S3", "ZJ"}, {k: [h["explanation_en"] for h in v] for k, v in by.items()}
    (h1,) = by["S1"]
    assert h1["evidence"]["encumbrance_ids"] == ["E1"] and h1["rule"] == "related" and h1["relation"] == "sibling"
    assert h1["stage"] == "before_judgment" and h1["amount_fen"] == 100_000_000
    (h3,) = by["S3"]
    assert h3["rule"] == "unmatched" and h3["stage"] == "before_litigation"
    assert "art. 313 needs more" in h3["explanation_en"] and "第313条" in h3["explanation_zh"]
    assert h3["score"] < h1["score"]
    by = _by_subject(run_pattern(g, "sham_encumbrance", {"lookback_days": 250, "ratio": 0.2}, as_of=AS_OF))
    assert {"S4", "S5"} <= set(by) and "S2" not in by
    by = _by_subject(run_pattern(g, "sham_encumbrance", {"match_days": 5}, as_of=AS_OF))
    assert "S2" in by                                             # the loan arrived 7 days later


def test_convicted_zhejiang_sham_mortgage_before_suit(enc_graph):
    (h,) = run_pattern(enc_graph, "sham_encumbrance", as_of=dt.date(2016, 6, 30), subject_id="ZJ").hits
    assert h["evidence"]["encumbrance_ids"] == ["ZJE1"] and h["amount_fen"] == 300_000_000
    assert h["stage"] == "before_litigation" and h["rule"] == "unmatched" and h["counterparties"] == ["ZJF"]
    assert h["score"] == score(h["amount_fen"], 37_552_666, h["closeness"], 1, "before_litigation")
    assert h["score"] < score(h["amount_fen"], 37_552_666, h["closeness"], 1, "before_judgment")


# -- baselines (spec v2): payroll and family support paid before litigation --------------------
@pytest.fixture(scope="module")
def baseline_graph(session_graph, tmp_path_factory):
    f = Folder()
    f.person("F1", account="AF1")
    f.case("(2025)京05民初1号", "F1", "2025-02-10", "2025-03-01")
    staff = [f.person(f"F1S{i}", account=f"AF1S{i}") for i in range(6)]
    for i in range(6):
        f.monthly("AF1", f"AF1S{i}", "12000", "2024-03-01", 20, day=5, memo="工资")   # to 2025-10: baseline payees
    new = [f.person(f"F1N{i}", account=f"AF1N{i}") for i in range(5)]
    f1 = [f.tx("AF1", f"AF1N{i}", "20000", f"2025-06-{10 + i:02d}") for i in range(5)]
    f.person("F2", account="AF2")                                      # an honest owner: payroll only
    f.case("(2025)京05民初2号", "F2", "2025-02-10", "2025-03-01")
    for i in range(6):
        f.person(f"F2S{i}", account=f"AF2S{i}")
        f.monthly("AF2", f"AF2S{i}", "15000", "2024-03-01", 20, day=5, memo="工资")

    def family(pid: str, rel: str) -> None:
        f.person(pid, account="A" + pid)
        f.person(pid + "K", account="A" + pid + "K")
        f.rows["relations"].append({"person_id": pid, "other_person_id": pid + "K", "relation": rel})
        f.case(f"(2025)京05民初{pid}号", pid, "2025-02-10", "2025-03-01")

    family("P1", "child")
    f.monthly("AP1", "AP1K", "3000", "2024-03-01", 20, memo="生活费")                 # the same support: not
    family("P2", "child")
    f.monthly("AP2", "AP2K", "3000", "2024-03-01", 12, memo="生活费")
    f.monthly("AP2", "AP2K", "3000", "2025-03-01", 3, memo="生活费")
    p2 = f.tx("AP2", "AP2K", "40000", "2025-06-20", memo="生活费")                   # support jumps: hit
    f.tx("AP2", "AP2K", "3000", "2025-07-10", memo="生活费")
    family("P3", "spouse")
    f.tx("AP3", "AP3K", "2000", "2024-12-01")
    f.tx("AP3", "AP3K", "2000", "2025-01-01")                                      # 2 months: no baseline
    p3 = f.tx("AP3", "AP3K", "50000", "2025-05-01")
    _load(session_graph, f, tmp_path_factory.mktemp("baseline"))
    return session_graph, {"f1": f1, "p2": p2, "p3": p3}


def test_fan_out_ignores_baseline_payees(baseline_graph):
    g, ids = baseline_graph
    by = _by_subject(run_pattern(g, "fan_out_dispersal", as_of=AS_OF))
    assert set(by) == {"F1"}, {k: [h["explanation_en"] for h in v] for k, v in by.items()}
    (h,) = by["F1"]
    assert h["evidence"]["transfer_ids"] == ids["f1"] and h["recipients"] == 5
    assert len(h["baseline_payees_excluded"]) == 6 and h["baseline_payees_excluded"][0]["median_fen"] == 1_200_000
    assert "baseline payees" in h["explanation_en"]
    # with a baseline needing more months than the window holds, the payroll counts again (v1 behaviour)
    by = _by_subject(run_pattern(g, "fan_out_dispersal", {"baseline_min_months": 13}, as_of=AS_OF))
    assert {"F1", "F2"} <= set(by)


def test_post_filing_counts_only_the_excess_over_baseline(baseline_graph):
    g, ids = baseline_graph
    by = _by_subject(run_pattern(g, "post_filing_transfer_to_related", as_of=AS_OF))
    assert set(by) == {"P2", "P3"}, {k: [h["explanation_en"] for h in v] for k, v in by.items()}
    (h2,) = by["P2"]
    assert h2["evidence"]["transfer_ids"] == [ids["p2"]]
    assert h2["amount_fen"] == 4_000_000 - 450_000                       # beyond 1.5 x the 3,000 median
    b = h2["baseline"]
    assert b["payee"] == "P2K" and b["median_fen"] == 300_000 and len(b["months"]) == 12
    assert b["threshold_fen"] == 450_000 and h2["transfers"][0]["counted_fen"] == 3_550_000
    assert "median 3,000.00 yuan" in h2["explanation_en"] and "中位数3,000.00元" in h2["explanation_zh"]
    (h3,) = by["P3"]
    assert h3["amount_fen"] == 5_000_000 and "baseline" not in h3 and h3["evidence"]["transfer_ids"] == [ids["p3"]]
    # a higher factor leaves less excess; min_total then drops P2
    by = _by_subject(run_pattern(g, "post_filing_transfer_to_related", {"baseline_factor": 12}, as_of=AS_OF))
    assert "P2" not in by and "P3" in by


# -- one baseline, two walks ------------------------------------------------------------------
def _raw_rows(g, pattern_id: str) -> list[dict]:
    """A pattern's candidate read as the runner sends it (defaults, pre-step parameters)."""
    from investigations.patterns import get_pattern
    from investigations.postprocessors import PRE, Context
    from investigations.runner import effective_params, query_params
    p = get_pattern(pattern_id)
    eff = effective_params(p, None)
    params = {**query_params(p, eff, AS_OF), "subject_id": None}
    if p.pre:
        params.update(PRE[p.pre](Context(g, pattern_id, eff, params, AS_OF)))
    return g.read(p.cypher, params)


@pytest.fixture(scope="module")
def two_walks_graph(session_graph, tmp_path_factory):
    """One debtor whose spouse is a baseline payee, and who also fans out after filing: both
    baseline patterns read the spouse's baseline window in their own walk."""
    f = Folder()
    f.person("B1", account="AB1")
    f.account("AB1X", "B1")                                         # the debtor's second account
    f.person("B1K", account="AB1K")
    f.rows["relations"].append({"person_id": "B1", "other_person_id": "B1K", "relation": "spouse"})
    f.case("(2025)京05民初9号", "B1", "2025-02-10", "2025-02-10")  # window 2024-02-11 .. 2025-02-09
    f.tx("AB1", "AB1K", "9999", "2024-02-10")                        # the day before the window: out
    f.monthly("AB1", "AB1K", "5000", "2024-03-01", 11, day=5)        # 2024-03 .. 2025-01
    f.tx("AB1", "AB1K", "2000", "2024-06-20")                        # June: 7,000
    f.tx("AB1X", "AB1K", "1000", "2025-02-09")                       # the window's last day, the other account
    f.tx("AB1", "AB1X", "30000", "2024-07-01")                       # to its own account: not a payee
    f.cash("AB1", "8000", "2024-08-01")                              # cash: not a transfer
    f.tx("AB1", "AB1K", "80000", "2025-02-10")                       # litigation start: after, not baseline
    for i in range(5):
        f.person(f"B1N{i}", account=f"AB1N{i}")
        f.tx("AB1", f"AB1N{i}", "20000", f"2025-06-{10 + i:02d}")
    f.tx("AB1", "AB1K", "20000", "2025-06-15")
    _load(session_graph, f, tmp_path_factory.mktemp("two_walks"))
    return session_graph


def test_both_baseline_patterns_read_the_same_baseline(two_walks_graph):
    """fan_out_dispersal and post_filing_transfer_to_related each read the baseline window in their
    own Cypher walk (docs/detection.md "Baselines"): for the same payee they must give the same
    months and totals, and the ones the definition says (window bounds, every debtor account,
    no transfer to the debtor's own account, no cash, nothing from litigation start on)."""
    from investigations.baseline import Baseline
    want = [(202403, 500_000), (202404, 500_000), (202405, 500_000), (202406, 700_000)] + \
        [(m, 500_000) for m in (202407, 202408, 202409, 202410, 202411, 202412, 202501)] + [(202502, 100_000)]
    (fo,) = _raw_rows(two_walks_graph, "fan_out_dispersal")
    fan = {p: sorted(map(tuple, m)) for p, m in fo["base_monthly"]}
    (pf,) = _raw_rows(two_walks_graph, "post_filing_transfer_to_related")
    post: dict[str, dict[int, int]] = {}   # post_filing returns each transfer's [yyyymm, fen]: summed per month
    for p, items in pf["base"]:
        for ym, fen in items:
            post.setdefault(p, {}).setdefault(ym, 0)
            post[p][ym] += fen
    post = {p: sorted(m.items()) for p, m in post.items()}
    assert fan == {"B1K": want}, fan
    assert post == {"B1K": want}, post
    start = dt.date(2025, 2, 10)
    assert Baseline.from_months("B1K", start, 365, fan["B1K"]) == Baseline.from_months("B1K", start, 365, post["B1K"])
