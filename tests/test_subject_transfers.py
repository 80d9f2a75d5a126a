"""Subject page transfers against a real Neo4j: newest first, paged, a date range defaulting to the
period since litigation start, counts and per-currency totals of the whole range, the timeline on
the same range, and a real 00:00:00 transfer kept apart from a date-only one."""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from ingest import load_dir
from ingest.parse import format_fen
from investigations import subject as subj
from web import subjects as subject_view

from test_webutil import login, make_app

START = dt.date(2024, 6, 1)


def _rows() -> list[list[str]]:
    rows = []
    day0 = dt.date(2023, 1, 1)
    for i in range(330):
        day = day0 + dt.timedelta(days=3 * i)
        cur = "USD" if i % 11 == 0 else "CNY"
        out = i % 3 != 0
        frm, to = ("A-D", "A-X") if out else ("A-X", "A-D")
        rows.append([f"T{i:04d}", frm, to, f"{100 + i}.{i % 100:02d}", f"{day.isoformat()} 09:{i % 60:02d}", cur])
    # one day with a real midnight transfer and a date-only one
    rows.append(["MID", "A-D", "A-X", "10.00", "2025-06-10 00:00:00", "CNY"])
    rows.append(["DAY", "A-D", "A-X", "20.00", "2025-06-10", "CNY"])
    rows.append(["NOON", "A-D", "A-X", "30.00", "2025-06-10 12:00", "CNY"])
    return rows


@pytest.fixture(scope="module")
def loaded(module_graph, tmp_path_factory):
    d = tmp_path_factory.mktemp("subject")
    def w(name, rows):
        with open(d / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    w("persons.csv", [["person_id", "name"], ["D", "债务人"], ["X", "他人"]])
    w("accounts.csv", [["account_id", "holder_id", "kind"], ["A-D", "D", "bank"], ["A-X", "X", "bank"]])
    w("transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at", "currency"], *_rows()])
    w("cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due"],
                    ["K1", "D", "civil_enforcement", START.isoformat(), "900000"]])
    r = load_dir(module_graph, d, tmp_path_factory.mktemp("rej"))
    assert r.rejected == 0
    return module_graph


def _expected(since: dt.date | None, until: dt.date | None = None) -> dict:
    out: dict = {"count": 0, "by_currency": {}}
    for tid, frm, _to, amount, at, cur in _rows():
        day = dt.date.fromisoformat(at[:10])
        if (since and day < since) or (until and day > until):
            continue
        y, f = amount.split(".")
        c = out["by_currency"].setdefault(cur, {"in": 0, "out": 0, "internal": 0, "cash_out": 0, "cash_in": 0, "n": 0})
        c["out" if frm == "A-D" else "in"] += int(y) * 100 + int(f)
        c["n"] += 1
        out["count"] += 1
    return out


def test_totals_of_the_whole_range_per_currency(loaded):
    got = subj.transfer_totals(loaded, "D", START, None)
    assert got == _expected(START)
    assert set(got["by_currency"]) == {"CNY", "USD"} and got["count"] > subject_view.TRANSFERS_PER_PAGE
    assert subj.transfer_totals(loaded, "D", None, None) == _expected(None)
    assert subj.transfer_totals(loaded, "D", dt.date(2024, 1, 1), dt.date(2024, 3, 31)) == \
        _expected(dt.date(2024, 1, 1), dt.date(2024, 3, 31))


def test_pages_newest_first_cover_the_range_once(loaded):
    total = subj.transfer_totals(loaded, "D", START, None)["count"]
    seen: list[dict] = []
    for offset in range(0, total, 50):
        page = subj.transfers(loaded, "D", START, None, limit=50, newest_first=True, offset=offset)
        seen.extend(page)
    ids = [t["transfer_id"] for t in seen]
    assert len(ids) == total == len(set(ids))
    keys = [t["on"] for t in seen]
    assert keys == sorted(keys, reverse=True) and min(keys) >= START
    # the same day: noon, then the real midnight, and the date-only one (time unknown) listed apart
    day = [t for t in seen if t["on"] == dt.date(2025, 6, 10)]
    assert [t["transfer_id"] for t in day] == ["DAY", "NOON", "T0297", "MID"]  # T0297 at 09:57
    mid = next(t for t in day if t["transfer_id"] == "MID")
    assert mid["at_has_time"] is True and mid["at"] == dt.datetime(2025, 6, 10, 0, 0)
    assert next(t for t in day if t["transfer_id"] == "DAY")["at_has_time"] is False
    oldest_first = [t["transfer_id"] for t in subj.transfers(loaded, "D", dt.date(2025, 6, 10), dt.date(2025, 6, 10))]
    assert oldest_first == ["MID", "T0297", "NOON", "DAY"]


def test_subject_page_default_range_paging_totals_and_timeline(loaded, tmp_path):
    app = make_app(loaded, tmp_path)
    c = login(app, "inv")
    html = c.get("/subject/D").get_data(as_text=True)
    exp = _expected(START)
    assert f'id="range-from" name="from" value="{START.isoformat()}"' in html
    assert f'id="transfer-count">({exp["count"]})' in html
    usd = exp["by_currency"]["USD"]
    assert f"USD {format_fen(usd['out'], '')}" in html and f"USD {format_fen(usd['in'], '')}" in html
    assert "¥" + format_fen(usd["out"], "") not in html
    rows = re.findall(r'id="tr-([^"]+)"', html)
    assert len(rows) == subject_view.TRANSFERS_PER_PAGE and rows[0] == "T0329"
    assert "2025-06-10 00:00" in html  # the real midnight keeps its time
    # page 2 continues where page 1 stopped
    html2 = c.get("/subject/D", query_string={"from": START.isoformat(), "page": 2}).get_data(as_text=True)
    rows2 = re.findall(r'id="tr-([^"]+)"', html2)
    assert rows2 and not set(rows) & set(rows2)
    # the timeline is drawn on the same range: no transfer before litigation start
    tl = subj.timeline(loaded, "D", since=START)
    assert tl["events"] and min(e["on"] for e in tl["events"]) >= START
    # an explicit empty "from" shows everything
    html3 = c.get("/subject/D", query_string={"from": ""}).get_data(as_text=True)
    assert f'id="transfer-count">({len(_rows())})' in html3
