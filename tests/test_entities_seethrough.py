"""Every pattern sees through entity resolution on the debtor's own side (issue 13): an account held
by another record of the debtor (same valid ID number, e.g. from a bank's 人员信息) is the debtor's.

Small contract folders, loaded into the real Neo4j; the same folder before and after `resolve`.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine

from ingest import entities, load_dir
from investigations import run_pattern
from synth import names
from tests.v2_scenarios import Folder

AS_OF = dt.date(2025, 10, 31)
IDN = names.id_number("110105", dt.date(1975, 3, 9), 13)


def _world(tmp_path):
    f = Folder()
    f.person("D1", "周建国", account="D1-ACC")
    f.person("D2", "周 建国", account="D2-ACC")  # a second record of the debtor, from a bank return
    for pid in ("D1", "D2"):
        row = next(r for r in f.rows["persons"] if r["person_id"] == pid)
        row.update({"id_number": IDN, "gender": "M", "birth_date": "1975-03-09"})
    f.case("(2025)京0105执100号", "D1", filed="2025-03-01", served="2025-03-10")
    f.cash("D2-ACC", "60000", "2025-04-02 10:00:00")
    for i in range(5):  # five strangers, each 20,000 from the second record's account
        f.person(f"R{i}", f"收款人{i}", account=f"R{i}-ACC")
        f.tx("D2-ACC", f"R{i}-ACC", "20000", f"2025-04-0{i + 3} 09:00:00")
    f.tx("D1-ACC", "D2-ACC", "90000", "2025-04-01 09:00:00")  # between the debtor's own records
    return f.write(tmp_path / "world")


def _hits(graph, pattern):
    return run_pattern(graph, pattern, None, AS_OF).hits


def test_cash_and_fan_out_from_another_record_are_the_debtors(graph, tmp_path):
    load_dir(graph, _world(tmp_path), tmp_path / "rejects")
    assert not _hits(graph, "cash_withdrawal_after_litigation")
    assert not _hits(graph, "fan_out_dispersal")

    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    res = entities.resolve(graph, engine)
    assert res.person_clusters == 1 and res.records_joined == 2


    cash = _hits(graph, "cash_withdrawal_after_litigation")
    assert [h["subject_id"] for h in cash] == ["D1"]
    fan = _hits(graph, "fan_out_dispersal")
    assert [h["subject_id"] for h in fan] == ["D1"]
    # the transfer from D1's account to D2's account is between the debtor's own accounts
    assert set(fan[0]["counterparties"]) == {f"R{i}" for i in range(5)}


def test_subject_totals_count_every_record_s_accounts(graph, tmp_path):
    """The subject page's totals see through: the second record's cash and payments are the debtor's,
    and the transfer between the two records' accounts is between the debtor's own accounts."""
    from investigations import subject

    load_dir(graph, _world(tmp_path), tmp_path / "rejects")
    before = subject.transfer_totals(graph, "D1")
    assert before["count"] == 1 and before["by_currency"]["CNY"]["out"] == 9_000_000  # D1-ACC to a "stranger"
    entities.resolve(graph, create_engine(f"sqlite:///{tmp_path / 'app.db'}"))
    after = subject.transfer_totals(graph, "D1")["by_currency"]["CNY"]
    assert after == {"in": 0, "out": 10_000_000, "internal": 9_000_000, "cash_out": 6_000_000, "cash_in": 0, "n": 7}
