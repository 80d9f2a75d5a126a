"""Figures as of a date, from facts known by that date.

A case's amount paid changes from load to load (each load restates the case with what the
court's system said at export). Every load that states a case adds to `Case.paid_history`
one entry `"<known at, UTC ISO>|<amount paid, fen>"`: when the loaded data was known (the
load's `--known-on` day, else the load's start) and what was paid. The unpaid amount of a
case as of a date is its amount due less the amount paid in the latest entry known by the
end of that day (Beijing time); when no entry was known by then, the earliest entry (the
first the tool learnt) stands for it. So a package or scan rebuilt with the same `as_of`
after a newer load gives the same figures.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ingest.clock import end_of_day_utc


def known_by(as_of: dt.date) -> dt.datetime:
    """The end of `as_of` in Beijing time, as aware UTC: what was known by then counts."""
    return end_of_day_utc(as_of)


def _entries(history: list[str] | None) -> list[tuple[dt.datetime, int]]:
    out = []
    for e in history or []:
        when, _, paid = e.partition("|")
        out.append((dt.datetime.fromisoformat(when.replace("Z", "+00:00")), int(paid)))
    return sorted(out)


def paid_at(case: dict[str, Any], as_of: dt.date | None) -> int:
    """The amount paid on the case as known at the end of `as_of` (see the module docstring)."""
    entries = _entries(case.get("paid_history"))
    if not entries or as_of is None:
        return int(case.get("amount_paid_fen") or 0) if not entries else entries[-1][1]
    limit = known_by(as_of)
    known = [paid for when, paid in entries if when <= limit]
    return known[-1] if known else entries[0][1]


def unpaid_at(case: dict[str, Any], as_of: dt.date | None) -> int:
    """Amount due less the amount paid as known at `as_of` (never below 0)."""
    due = case.get("amount_due_fen")
    if due is None:
        return int(case.get("unpaid_fen") or 0)
    return max(0, int(due) - paid_at(case, as_of))
