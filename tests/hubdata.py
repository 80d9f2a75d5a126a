"""A subject with many neighbours (tests/test_browser_network_scale.py, bench/bench_pages.py --hub):
H0 pays each of `n` persons' accounts once; each of those pays on to one of 500 second-hop accounts."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HUB = "H0"
HUB_ACCOUNT = "6222990000000000"


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_hub(d: Path, n: int) -> Path:
    """Contract CSVs (persons, accounts, cases, transfers) for the hub subject in folder `d`."""
    d.mkdir(parents=True, exist_ok=True)
    _write(d / "persons.csv", ["person_id", "name", "id_number"],
           [[HUB, "枢纽甲", ""]] + [[f"N{i:05d}", f"邻居{i}", ""] for i in range(n)])
    _write(d / "accounts.csv", ["account_id", "holder_id", "kind"],
           [[HUB_ACCOUNT, HUB, "bank"]] + [[f"6217{i:012d}", f"N{i:05d}", "bank"] for i in range(n)])
    _write(d / "cases.csv", ["case_no", "debtor_id", "kind", "court", "filed_on", "served_on", "amount_due",
                             "amount_paid"],
           [["(2024)京0105执999号", HUB, "civil_enforcement", "朝阳区人民法院", "2024-01-10", "2024-02-01",
             "5000000", "0"]])
    base = dt.datetime(2024, 3, 1, 9, 0)
    rows = []
    for i in range(n):
        at = base + dt.timedelta(minutes=7 * i)
        rows.append([f"HT{i:06d}", HUB_ACCOUNT, f"6217{i:012d}", f"{(i * 7919) % 90000 + 100}.{i % 100:02d}",
                     at.strftime("%Y-%m-%d %H:%M")])
        rows.append([f"HU{i:06d}", f"6217{i:012d}", f"6218{i % 500:012d}", f"{(i * 31) % 5000 + 50}.00",
                     (at + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")])
    _write(d / "transfers.csv", ["transfer_id", "from_account", "to_account", "amount", "at"], rows)
    return d
