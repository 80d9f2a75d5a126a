"""The small reads behind the investigator's pages that are not about one subject: search by name,
ID number, account or case number; the dashboard's unpaid totals; the prison and court of leads."""
from __future__ import annotations

import logging

from graph import Graph
from . import queries

logger = logging.getLogger(__name__)


def search(graph: Graph, q: str, limit: int = 50) -> dict[str, list[dict]]:
    """Persons and companies by (partial) Chinese name, ID number, id; accounts; case numbers."""
    q = (q or "").strip()
    if not q:
        return {"persons": [], "companies": [], "accounts": [], "cases": []}
    p = {"q": q, "limit": limit}
    persons = {r["id"]: r for r in graph.read(queries.Q_LOOKUP_SEARCH_PERSON_ID, p)}
    for r in graph.read(queries.Q_LOOKUP_SEARCH_PERSON_NAME, p):
        persons.setdefault(r["id"], r)
    return {"persons": list(persons.values())[:limit], "companies": graph.read(queries.Q_LOOKUP_SEARCH_COMPANY, p),
            "accounts": graph.read(queries.Q_LOOKUP_SEARCH_ACCOUNT, p), "cases": graph.read(queries.Q_LOOKUP_SEARCH_CASE, p)}


def unpaid_totals(graph: Graph) -> dict[str, int]:
    """Open cases (unpaid > 0) and their unpaid total in fen."""
    row = graph.read_one(queries.Q_LOOKUP_UNPAID) or {}
    return {"open_cases": row.get("open_cases") or 0, "unpaid_fen": row.get("unpaid_fen") or 0}


def unpaid_of(graph: Graph, ids: list[str]) -> dict[str, int]:
    """Unpaid fen per debtor id (only debtors with something unpaid)."""
    if not ids:
        return {}
    return {r["id"]: r["unpaid_fen"] for r in graph.read(queries.Q_LOOKUP_UNPAID_OF, {"ids": ids})}


def lead_context(graph: Graph, leads: list[dict]) -> dict[tuple[str, str | None], dict]:
    """Prison of each lead's subject and court of its case, keyed by (subject_id, case_no)."""
    pairs = [{"subject_id": lead.get("subject_id"), "case_no": lead.get("case_no")} for lead in leads]
    out: dict[tuple[str, str | None], dict] = {}
    for i in range(0, len(pairs), 5000):
        for r in graph.read(queries.Q_LOOKUP_LEAD_CONTEXT, {"pairs": pairs[i:i + 5000]}):
            out[(r["subject_id"], r["case_no"])] = {"prison": r["prison"], "court": r["court"]}
    return out


def case_context(graph: Graph, case_no: str) -> dict | None:
    """Debtor, court, prison and unpaid amount of one case (None when unknown)."""
    return graph.read_one(queries.Q_LOOKUP_CASE_CONTEXT, {"case_no": case_no})


def prison_of(graph: Graph, subject_id: str) -> str | None:
    """The prison of an inmate subject (None for others)."""
    return (graph.read_one(queries.Q_LOOKUP_SUBJECT_PRISON, {"id": subject_id}) or {}).get("prison")


def cases_unpaid(graph: Graph, case_nos: list[str]) -> list[dict]:
    """case_no, unpaid_fen, court and debtor of each named case."""
    return graph.read(queries.Q_LOOKUP_UNPAID_CASES, {"case_nos": case_nos})
