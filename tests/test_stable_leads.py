"""Stable leads against a real Neo4j: a newer load (new balance rows, a further transfer to the
same relative) keeps each lead's id, updates its amount, and a dismissed lead stays dismissed."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from ingest import load_dir
from investigations.scan import scan
from web import leadstore
from web.extensions import db
from web.models import LeadRecord, User

from test_webutil import make_app


def _csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _first_load(d: Path) -> None:
    d.mkdir()
    _csv(d / "persons.csv", [["person_id", "name"], ["D1", "罪犯甲"], ["W1", "配偶乙"], ["D2", "债务人丙"]])
    _csv(d / "relations.csv", [["person_id", "other_person_id", "relation", "since"], ["D2", "W1", "spouse", "2000-01-01"]])
    _csv(d / "inmates.csv", [["person_id", "inmate_no", "prison", "admitted_on", "release_on", "treatment_level"],
                             ["D1", "J1", "第一监狱", "2023-01-01", "2026-01-31", "ordinary"]])
    _csv(d / "accounts.csv", [["account_id", "holder_id", "kind"], ["PR-1", "D1", "prison"],
                              ["B-D2", "D2", "bank"], ["B-W1", "W1", "bank"]])
    _csv(d / "balances.csv", [["account_id", "as_of", "balance"], ["PR-1", "2025-09-30", "30000"],
                              ["PR-1", "2025-10-31", "32000"]])
    _csv(d / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                               ["T1", "B-D2", "B-W1", "60000", "2025-03-01 10:00:00"]])
    _csv(d / "cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due", "amount_paid"],
                           ["K1", "D1", "criminal_fine", "2023-01-01", "100000", "0"],
                           ["K2", "D2", "civil_enforcement", "2025-01-01", "500000", "0"]])


def _second_load(d: Path) -> None:
    d.mkdir()
    _csv(d / "balances.csv", [["account_id", "as_of", "balance"], ["PR-1", "2025-11-30", "45000"]])
    _csv(d / "transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at"],
                               ["T2", "B-D2", "B-W1", "40000", "2025-11-15 09:00:00"]])


def _by_pattern(leads: list[dict]) -> dict[str, dict]:
    return {x["pattern"]: x for x in leads if x["pattern"] in ("small_fine_capacity",
                                                               "post_filing_transfer_to_related")}


def test_a_newer_load_keeps_lead_ids_updates_amounts_and_dismissals_stay(graph, tmp_path):
    _first_load(tmp_path / "a")
    load_dir(graph, tmp_path / "a", tmp_path / "ra")
    first = _by_pattern(scan(graph, dt.date(2025, 10, 31))["leads"])
    assert set(first) == {"small_fine_capacity", "post_filing_transfer_to_related"}
    app = make_app(graph, tmp_path)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "sup")).one()
        leadstore.record_scan(scan(graph, dt.date(2025, 10, 31)), user)
        for x in first.values():
            leadstore.dismiss(x["lead_id"], user, "已核实")
        db.session.commit()

    _second_load(tmp_path / "b")
    load_dir(graph, tmp_path / "b", tmp_path / "rb")
    result = scan(graph, dt.date(2025, 12, 1))
    second = _by_pattern(result["leads"])
    for pat in first:
        assert second[pat]["lead_id"] == first[pat]["lead_id"], pat
    # the capacity lead now measures the November balance; the transfer lead takes in T2
    assert second["small_fine_capacity"]["evidence"]["balance_rows"] == ["PR-1@2025-11-30"]
    assert second["small_fine_capacity"]["amount_fen"] != first["small_fine_capacity"]["amount_fen"]
    assert first["post_filing_transfer_to_related"]["amount_fen"] == 6_000_000
    assert second["post_filing_transfer_to_related"]["amount_fen"] == 10_000_000
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "sup")).one()
        leadstore.record_scan(result, user)
        for pat, x in second.items():
            rec = db.session.get(LeadRecord, x["lead_id"])
            assert rec.amount_fen == x["amount_fen"]
        shown, dismissed = leadstore.current_leads()
        assert not {x["lead_id"] for x in second.values()} & {r.lead_id for r in shown}
        assert {x["lead_id"] for x in second.values()} <= dismissed
