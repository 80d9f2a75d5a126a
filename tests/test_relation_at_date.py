"""Relatedness at the transfer day, the same in the lead, the subject page and the package:
a company debtor's money to the spouse of its legal representative is money to a related person,
and money paid to someone before the marriage is not money to a spouse."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from evidence.gather import gather
from investigations import subject
from investigations.scan import scan

AS_OF = dt.date(2025, 10, 31)
CO = "91110105MA00000REL"


def _write(d: Path, name: str, rows: list[list]) -> None:
    with open(d / name, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def write_world(d: Path) -> None:
    """A company debtor whose legal representative is married, and a debtor who married after paying."""
    _write(d, "persons.csv", [["person_id", "name"], ["L1", "法人甲"], ["W1", "配偶乙"], ["D2", "债务人丙"],
                              ["B2", "新婚丁"]])
    _write(d, "companies.csv", [["company_id", "name", "registered_on"], [CO, "某某贸易有限公司", "2015-01-01"]])
    _write(d, "company_roles.csv", [["person_id", "company_id", "role", "share_pct", "since", "until"],
                                    ["L1", CO, "legal_rep", "", "2015-01-01", ""]])
    # W1 married L1 long ago; B2 married D2 only on 2024-09-01
    _write(d, "relations.csv", [["person_id", "other_person_id", "relation", "since", "until"],
                                ["L1", "W1", "spouse", "2000-01-01", ""], ["D2", "B2", "spouse", "2024-09-01", ""]])
    _write(d, "accounts.csv", [["account_id", "holder_id", "kind"], ["6222000000000101", CO, "bank"],
                               ["6222000000000102", "W1", "bank"], ["6222000000000103", "D2", "bank"],
                               ["6222000000000104", "B2", "bank"]])
    _write(d, "cases.csv", [["case_no", "debtor_id", "kind", "court", "filed_on", "served_on", "amount_due", "amount_paid"],
                            ["(2024)京0105民初1号", CO, "civil_enforcement", "某法院", "2024-01-10", "2024-01-20",
                             "900000.00", "0"],
                            ["(2024)京0105民初2号", "D2", "civil_enforcement", "某法院", "2024-01-10", "2024-01-20",
                             "900000.00", "0"]])
    _write(d, "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at", "currency"],
                                ["RT01", "6222000000000101", "6222000000000102", "300000.00", "2024-03-01 10:00", "CNY"],
                                ["RT02", "6222000000000103", "6222000000000104", "200000.00", "2024-05-01 10:00", "CNY"],
                                ["RT03", "6222000000000103", "6222000000000104", "150000.00", "2024-10-01 10:00", "CNY"]])


@pytest.fixture(scope="module")
def world(module_graph, tmp_path_factory):
    from ingest import load_dir

    d = tmp_path_factory.mktemp("rel")
    write_world(d)
    res = load_dir(module_graph, d, rejects_dir=tmp_path_factory.mktemp("rejects"))
    assert res.rejected == 0, res.summary()
    return module_graph


def test_company_to_spouse_of_its_legal_rep(world):
    g = world
    lead = next(x for x in scan(g, as_of=AS_OF)["leads"]
                if x["subject_id"] == CO and x["pattern"] == "post_filing_transfer_to_related")
    assert lead["evidence"]["transfer_ids"] == ["RT01"]
    words = lead["details"]["relation_zh"]
    assert words == "被执行企业法定代表人L1的配偶"
    row = next(r for r in subject.transfers(g, CO) if r["transfer_id"] == "RT01")
    assert row["tie_kind"] == "related_person" and row["relation_zh"] == words
    data = gather(g, CO, as_of=AS_OF)
    rec = next(r for r in data["records"] if r["id"] == "RT01")
    assert rec["relation_zh"] == words
    assert data["moved"]["total"]["related_fen"] == 30_000_000


def test_transfer_before_the_marriage_is_not_to_a_spouse(world):
    g = world
    rows = {r["transfer_id"]: r for r in subject.transfers(g, "D2")}
    assert rows["RT02"]["tie_kind"] is None and rows["RT02"]["relation_zh"] == "无已知关系"
    assert rows["RT03"]["relation"] == "spouse" and rows["RT03"]["relation_zh"] == "配偶"
    data = gather(g, "D2", as_of=AS_OF)
    recs = {r["id"]: r for r in data["records"]}
    assert recs["RT02"]["relation_zh"] == "无已知关系" and recs["RT03"]["relation_zh"] == "配偶"
    assert data["moved"]["total"]["related_fen"] == 15_000_000  # only the transfer after the marriage
    lead = next(x for x in data["leads"] if x["pattern"] == "post_filing_transfer_to_related")
    assert lead["evidence"]["transfer_ids"] == ["RT03"]
