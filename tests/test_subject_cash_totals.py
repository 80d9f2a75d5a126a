"""Subject totals keep cash apart: a cash withdrawal / deposit (a self-loop with no counterparty)
is its own line, never "between own accounts" (issue 12), against a real Neo4j."""
from __future__ import annotations

import csv

from ingest import load_dir
from investigations import subject as subj

from test_webutil import login, make_app


def _load(graph, d, rej):
    def w(name, rows):
        with open(d / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    w("persons.csv", [["person_id", "name"], ["D", "债务人"], ["X", "他人"]])
    w("accounts.csv", [["account_id", "holder_id", "kind"], ["A-D", "D", "bank"], ["A-D2", "D", "bank"],
                       ["A-X", "X", "bank"]])
    w("transfers.csv", [["transfer_id", "from_account", "to_account", "amount", "at", "kind"],
                        ["OUT", "A-D", "A-X", "100.00", "2025-01-02 09:00", "transfer"],
                        ["IN", "A-X", "A-D", "40.00", "2025-01-03 09:00", "transfer"],
                        ["OWN", "A-D", "A-D2", "7.00", "2025-01-04 09:00", "transfer"],
                        ["CW1", "A-D", "", "5000.00", "2025-01-05 10:00", "cash_withdrawal"],
                        ["CW2", "A-D2", "", "300.00", "2025-01-06 10:00", "cash_withdrawal"],
                        ["CD1", "", "A-D", "20.00", "2025-01-07 10:00", "cash_deposit"],
                        ["XC", "A-X", "", "999.00", "2025-01-07 11:00", "cash_withdrawal"]])
    w("cases.csv", [["case_no", "debtor_id", "kind", "filed_on", "amount_due"],
                    ["K1", "D", "civil_enforcement", "2024-12-01", "900000"]])
    r = load_dir(graph, d, rej)
    assert r.rejected == 0, r
    return graph


def test_cash_is_its_own_line(graph, tmp_path):
    (tmp_path / "in").mkdir()
    g = _load(graph, tmp_path / "in", tmp_path / "rej")
    got = subj.transfer_totals(g, "D")
    assert got == {"count": 6, "by_currency": {"CNY": {
        "out": 10000, "in": 4000, "internal": 700, "cash_out": 530000, "cash_in": 2000, "n": 6}}}
    # someone else's withdrawal is not the subject's
    assert subj.transfer_totals(g, "X")["by_currency"]["CNY"]["cash_out"] == 99900
    # a range leaves out what falls outside it
    import datetime as dt
    part = subj.transfer_totals(g, "D", dt.date(2025, 1, 5), dt.date(2025, 1, 6))
    assert part["by_currency"]["CNY"] == {"out": 0, "in": 0, "internal": 0, "cash_out": 530000, "cash_in": 0, "n": 2}
    # the subject page (Chinese by default) prints cash on its own line, not as 本人账户间
    app = make_app(g, tmp_path)
    c = login(app, "inv")
    html = c.get("/subject/D", query_string={"from": ""}).get_data(as_text=True)
    line = html[html.index('id="transfer-totals"'):]
    line = line[:line.index("</div>")]
    assert "本人账户间 ¥7.00" in line
    assert '<span id="totals-cash-out-CNY">取现 ¥5,300.00</span>' in line
    assert '<span id="totals-cash-in-CNY">存现 ¥20.00</span>' in line
