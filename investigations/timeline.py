"""The subject timeline model: what a timeline chart draws and how each thing is classed, for the web
page's SVG (web/charts.py) and the evidence dossier's figure (evidence/pdf.py).

Why one module: both drawings read the same model (cases with milestones, transfer / conveyance
events from investigations.subject.timeline, court-measure markers and cash kinds from
investigations.measures.timeline_overlay) and must agree on what an event is (cash, a conveyance,
money out to a related party, ...) and on the markers' colours. Renderers only map classes to
shapes; no renderer decides a class of its own.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from graph import Graph

from . import measures, subject

#: marker type -> (colour, filled, Chinese name): measures ordered / encumbrances registered are
#: filled, lifted / released hollow.
MARKER_STYLE = {"restriction_ordered": ("#7b241c", True, "强制措施决定"),
                "restriction_lifted": ("#7b241c", False, "强制措施解除"),
                "encumbrance_registered": ("#6c3483", True, "抵押/质押登记"),
                "encumbrance_released": ("#6c3483", False, "抵押/质押注销")}
DEFAULT_MARKER = ("#555555", True)
CASH_COLOUR = "#b7950b"

#: Event classes (event_class), in the order a legend lists them.
CLASSES = ("out_related", "out_other", "in", "chain", "conveyance_out", "conveyance_in", "non_cny",
           "cash_withdrawal", "cash_deposit", "internal")


def subject_timeline(graph: Graph, subject_id: str, as_of: dt.date | None, since: dt.date | None = None,
                     until: dt.date | None = None, **rows: Any) -> dict:
    """The timeline model of one subject: investigations.subject.timeline (cases, events; `rows` are
    its limit / profile_data / transfer_rows / conveyance_rows) plus the court measures and cash
    kinds of measures.timeline_overlay within [since, until]."""
    tl = subject.timeline(graph, subject_id, since=since, until=until, **rows)
    tl.update(measures.timeline_overlay(graph, subject_id, as_of, since, until))
    return tl


def marker_style(kind: str) -> tuple[str, bool]:
    """(colour, filled) of a court-measure / encumbrance marker."""
    colour, filled, _ = MARKER_STYLE.get(kind, (*DEFAULT_MARKER, kind))
    return colour, filled


def event_class(e: dict, cash: dict[str, str]) -> str:
    """The one classification of a timeline event (one of CLASSES); `cash` is tl["cash"]."""
    if e["id"] in cash:
        return cash[e["id"]]
    if e["kind"] != "transfer":
        return "conveyance_in" if e.get("direction") == "in" else "conveyance_out"
    if e.get("currency", "CNY") != "CNY":
        return "non_cny"
    direction = e.get("direction")
    if direction == "chain":
        return "chain"
    if direction == "out":
        return "out_related" if e.get("tie_kind") else "out_other"
    if direction == "internal":
        return "internal"
    return "in"


def is_outflow(e: dict, cash: dict[str, str]) -> bool:
    """Whether an event takes value away from the subject (drawn above the axis): withdrawals, money
    and property going out, transfers between own accounts."""
    cls = event_class(e, cash)
    if cls == "non_cny":
        return e.get("direction") in ("out", "internal")
    return cls in ("cash_withdrawal", "out_related", "out_other", "conveyance_out", "internal")


def static_events(tl: dict, max_points: int) -> tuple[list[dict], int]:
    """The dated events a static chart draws, at most `max_points` (cited records always, then the
    largest amounts), and how many there are in all. Transfers between own accounts are left out
    unless they are cash rows (drawn by their kind)."""
    cited = {tuple(c) for c in tl.get("cited", [])}
    cash = tl.get("cash", {})
    events = [e for e in tl["events"] if e["on"] is not None and (e["direction"] != "internal" or e["id"] in cash)]
    total = len(events)
    if total > max_points:
        top = [e for e in events if (e["kind"], e["id"]) in cited]
        rest = sorted((e for e in events if (e["kind"], e["id"]) not in cited),
                      key=lambda e: (-(e["amount_fen"] or 0), e["id"]))
        events = top + rest[:max(0, max_points - len(top))]
    return events, total
