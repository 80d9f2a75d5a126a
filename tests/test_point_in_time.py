"""Point in time and time of day, against a real Neo4j: a scan as of a date counts only what was
known by then (intermediary degrees up to as_of), and a real 00:00:00 transfer is ordered by its
time while a date-only one is not."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from ingest import load_dir
from investigations.runner import run_pattern

AS_OF = dt.date(2024, 6, 30)


def _w(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _base(d: Path, hop2_at: str) -> None:
    d.mkdir()
    _w(d / "persons.csv", [["person_id", "name"], ["D", "债务人"], ["W", "配偶"]])
    _w(d / "relations.csv", [["person_id", "other_person_id", "relation", "since"], ["D", "W", "spouse", "2000-01-01"]])
    _w(d / "accounts.csv", [["account_id", "holder_id", "kind"], ["A-D", "D", "bank"], ["A-W", "W", "bank"]])
    _w(d / "cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due"],
                         ["K1", "D", "civil_enforcement", "2024-01-01", "900000"]])
    _w(d / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                             ["H1", "A-D", "M", "50000", "2024-02-01 10:00:00"],
                             ["H2", "M", "A-W", "49000", hop2_at]])


def _chains(graph) -> set[tuple[str, ...]]:
    res = run_pattern(graph, "layered_chain", as_of=AS_OF)
    return {tuple(t["transfer_id"] for t in h["path"]) for h in res.hits}


def test_a_real_midnight_is_a_time_a_date_only_row_is_not(graph, tmp_path):
    _base(tmp_path / "mid", "2024-02-01 00:00:00")  # before H1 that day: not a chain
    load_dir(graph, tmp_path / "mid", tmp_path / "r1")
    assert _chains(graph) == set()
    graph.wipe()
    _base(tmp_path / "day", "2024-02-01")  # same day, time unknown: counts as in order
    load_dir(graph, tmp_path / "day", tmp_path / "r2")
    assert _chains(graph) == {("H1", "H2")}


def test_intermediary_degree_is_counted_up_to_as_of(graph, tmp_path):
    _base(tmp_path / "a", "2024-02-02 09:00:00")
    load_dir(graph, tmp_path / "a", tmp_path / "ra")
    before = run_pattern(graph, "layered_chain", as_of=AS_OF)
    assert {tuple(t["transfer_id"] for t in h["path"]) for h in before.hits} == {("H1", "H2")}
    # a newer load: M becomes a busy account after as_of (300 salary payments in September)
    later = tmp_path / "b"
    later.mkdir()
    _w(later / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                                 *[[f"S{i}", "M", f"E{i}", "100", f"2024-09-{i % 28 + 1:02d} 09:00"]
                                   for i in range(300)]])
    load_dir(graph, later, tmp_path / "rb")
    after = run_pattern(graph, "layered_chain", as_of=AS_OF)
    assert [h["lead_id"] for h in after.hits] == [h["lead_id"] for h in before.hits]
    assert [h["amount_fen"] for h in after.hits] == [h["amount_fen"] for h in before.hits]
    # as of a date after September, M is busy and is not followed
    assert run_pattern(graph, "layered_chain", as_of=dt.date(2024, 12, 31)).hits == []


def _figures(data: dict) -> dict:
    """What a package states as figures (not provenance text)."""
    return {
        "cases": [(c["case_no"], c["unpaid_fen"], c["open"]) for c in data["all_cases"]],
        "leads": [(x["lead_id"], x["amount_fen"], x["score"], x["details"].get("unpaid_fen") if "details" in x
                   else x.get("unpaid_fen")) for x in data["leads"]],
        "summary": data["summary"],
        "moved": data["moved"],
        "records": [(r["kind"], r["id"], r["amount_fen"], r["currency"], r["relation"]) for r in data["records"]],
    }


def test_a_package_rebuilt_as_of_the_same_day_after_a_newer_load_gives_the_same_figures(graph, tmp_path):
    from evidence.gather import gather
    d = tmp_path / "a"
    d.mkdir()
    _w(d / "persons.csv", [["person_id", "name"], ["D", "债务人"], ["W", "配偶"]])
    _w(d / "relations.csv", [["person_id", "other_person_id", "relation", "since"], ["D", "W", "spouse", "2000-01-01"]])
    _w(d / "accounts.csv", [["account_id", "holder_id", "kind"], ["A-D", "D", "bank"], ["A-W", "W", "bank"]])
    _w(d / "cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due", "amount_paid"],
                         ["K1", "D", "civil_enforcement", "2025-01-01", "500000", "0"]])
    _w(d / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                             ["T1", "A-D", "A-W", "60000", "2025-03-01 10:00:00"]])
    load_dir(graph, d, tmp_path / "ra", known_on=dt.date(2025, 10, 31))
    as_of = dt.date(2025, 11, 1)
    before = _figures(gather(graph, "D", as_of=as_of))
    assert before["cases"] == [("K1", 50_000_000, True)]
    # a newer load: the court records 450,000 paid; one more transfer to the spouse after as_of
    e = tmp_path / "b"
    e.mkdir()
    _w(e / "cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due", "amount_paid"],
                         ["K1", "D", "civil_enforcement", "2025-01-01", "500000", "450000"]])
    _w(e / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                             ["T2", "A-D", "A-W", "40000", "2025-12-01 10:00:00"]])
    load_dir(graph, e, tmp_path / "rb", known_on=dt.date(2025, 12, 15))
    assert _figures(gather(graph, "D", as_of=as_of)) == before
    # as of a day after the newer data was known, the figures move
    later = _figures(gather(graph, "D", as_of=dt.date(2025, 12, 31)))
    assert later["cases"] == [("K1", 5_000_000, True)]
    assert later != before
    # and a scan as of the earlier day scores with the earlier unpaid amount too
    from investigations.scan import scan
    s = scan(graph, as_of, subject_id="D")
    assert {x["subject_id"]: x["unpaid_fen"] for x in s["subjects"]} == {"D": 50_000_000}


def test_a_case_paid_in_full_by_a_later_load_still_yields_its_lead_as_of_an_earlier_day(graph, tmp_path):
    """The patterns' case filter reads what was unpaid at as_of, not what the latest load says."""
    d = tmp_path / "a"
    d.mkdir()
    _w(d / "persons.csv", [["person_id", "name"], ["D", "债务人"], ["W", "配偶"]])
    _w(d / "relations.csv", [["person_id", "other_person_id", "relation", "since"], ["D", "W", "spouse", "2000-01-01"]])
    _w(d / "accounts.csv", [["account_id", "holder_id", "kind"], ["A-D", "D", "bank"], ["A-W", "W", "bank"]])
    _w(d / "cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due", "amount_paid"],
                         ["K1", "D", "civil_enforcement", "2025-01-01", "500000", "0"]])
    _w(d / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                             ["T1", "A-D", "A-W", "60000", "2025-03-01 10:00:00"]])
    load_dir(graph, d, tmp_path / "ra", known_on=dt.date(2025, 10, 31))
    as_of = dt.date(2025, 11, 1)
    before = run_pattern(graph, "post_filing_transfer_to_related", as_of=as_of)
    assert [h["subject_id"] for h in before.hits] == ["D"]
    e = tmp_path / "b"
    e.mkdir()
    _w(e / "cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due", "amount_paid"],
                         ["K1", "D", "civil_enforcement", "2025-01-01", "500000", "500000"]])
    load_dir(graph, e, tmp_path / "rb", known_on=dt.date(2025, 12, 15))
    again = run_pattern(graph, "post_filing_transfer_to_related", as_of=as_of)
    assert [h["lead_id"] for h in again.hits] == [h["lead_id"] for h in before.hits]
    # as of a day after the payment was known: paid in full, no lead
    assert run_pattern(graph, "post_filing_transfer_to_related", as_of=dt.date(2025, 12, 31)).hits == []
