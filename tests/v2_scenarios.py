"""Contract folders for the spec-v2 patterns: hits, near-misses and the four convicted cases
(their own dates and amounts). Written as CSV and loaded with ingest.load_dir by the tests."""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from ingest.contract import TABLES

COLS = {name: [c.name for c in t.columns] for name, t in TABLES.items()}


class Folder:
    """Rows per table, written as one contract folder."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self._tx = 0

    def person(self, pid: str, name: str | None = None, account: str | None = None, opened: str = "2012-01-01") -> str:
        self.rows["persons"].append({"person_id": pid, "name": name or pid})
        if account:
            self.account(account, pid, opened=opened)
        return pid

    def company(self, cid: str, name: str, account: str | None = None) -> str:
        self.rows["companies"].append({"company_id": cid, "name": name})
        if account:
            self.account(account, cid)
        return cid

    def account(self, aid: str, holder: str, opened: str = "2012-01-01") -> str:
        self.rows["accounts"].append({"account_id": aid, "holder_id": holder, "kind": "bank", "opened_on": opened})
        return aid

    def case(self, case_no: str, debtor: str, filed: str, served: str = "", effective: str = "",
             enforcement: str = "", due: str = "500000", judged: str = "") -> str:
        self.rows["cases"].append({"case_no": case_no, "debtor_id": debtor, "kind": "civil_enforcement",
                                   "filed_on": filed, "served_on": served, "judged_on": judged,
                                   "effective_on": effective, "enforcement_filed_on": enforcement,
                                   "amount_due": due})
        return case_no

    def tx(self, src: str, dst: str, amount: str, at: str, kind: str = "transfer", merchant: str = "",
           memo: str = "", to_name: str = "", tid: str | None = None) -> str:
        self._tx += 1
        tid = tid or f"V{self._tx:05d}"
        self.rows["transfers"].append({"transfer_id": tid, "from_account": src, "to_account": dst, "amount": amount,
                                       "at": at, "kind": kind, "merchant": merchant, "memo": memo,
                                       "to_name": to_name})
        return tid

    def cash(self, account: str, amount: str, at: str, tid: str | None = None) -> str:
        return self.tx(account, "", amount, at, kind="cash_withdrawal", tid=tid)

    def monthly(self, src: str, dst: str, amount: str, first: str, months: int, day: int = 10, memo: str = "") -> list[str]:
        y, m = int(first[:4]), int(first[5:7])
        out = []
        for _ in range(months):
            out.append(self.tx(src, dst, amount, f"{y:04d}-{m:02d}-{day:02d}", memo=memo))
            m += 1
            if m > 12:
                y, m = y + 1, 1
        return out

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for table, rows in self.rows.items():
            cols = COLS[table] if table in COLS else sorted({k for r in rows for k in r})
            with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=cols)
                w.writeheader()
                for r in rows:
                    w.writerow({c: r.get(c, "") for c in cols})
        return folder
