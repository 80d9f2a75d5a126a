"""The small reads behind the investigator's pages that are not about one subject: search by name,
ID number, account or case number; the dashboard's unpaid totals; the prison and court of leads."""
from __future__ import annotations

import logging

from graph import Graph

logger = logging.getLogger(__name__)

Q_SEARCH_PERSON_NAME = """
MATCH (p:Person) WHERE p.name CONTAINS $q
RETURN p.person_id AS id, 'person' AS kind, p.name AS name, p.id_number AS id_number,
       'Inmate' IN labels(p) AS inmate, p.prison AS prison
ORDER BY size(p.name), p.person_id LIMIT $limit
"""
Q_SEARCH_PERSON_ID = """
CALL () {
  MATCH (p:Person {person_id: $q}) RETURN p
  UNION
  MATCH (p:Person {id_number: $q}) RETURN p
  UNION
  MATCH (p:Inmate {inmate_no: $q}) RETURN p
}
RETURN p.person_id AS id, 'person' AS kind, p.name AS name, p.id_number AS id_number,
       'Inmate' IN labels(p) AS inmate, p.prison AS prison
LIMIT $limit
"""
Q_SEARCH_COMPANY = """
CALL () {
  MATCH (c:Company) WHERE c.name CONTAINS $q RETURN c
  UNION
  MATCH (c:Company {company_id: $q}) RETURN c
}
RETURN c.company_id AS id, 'company' AS kind, c.name AS name
ORDER BY size(c.name), c.company_id LIMIT $limit
"""
Q_SEARCH_ACCOUNT = """
CALL () {
  MATCH (a:Account {account_id: $q}) RETURN a
  UNION
  MATCH (a:Account) WHERE a.aliases IS NOT NULL AND $q IN a.aliases RETURN a  // a card number of the account
}
OPTIONAL MATCH (h)-[:HOLDS]->(a)
RETURN a.account_id AS id, a.kind AS account_kind, a.institution AS institution,
       coalesce(a.holder_known, false) AS holder_known, a.holder_id AS holder_id, h.name AS holder_name,
       a.stmt_names AS stmt_names
LIMIT $limit
"""
Q_SEARCH_CASE = """
MATCH (k:Case) WHERE k.case_no CONTAINS $q
OPTIONAL MATCH (d)-[:DEBTOR_IN]->(k)
RETURN k.case_no AS case_no, k.kind AS kind, k.court AS court, k.debtor_id AS debtor_id, d.name AS debtor_name,
       k.unpaid_fen AS unpaid_fen
ORDER BY k.case_no LIMIT $limit
"""
Q_UNPAID = """
MATCH (k:Case) WHERE k.unpaid_fen > 0
RETURN count(k) AS open_cases, sum(k.unpaid_fen) AS unpaid_fen
"""
# Prison of each subject and court of each case, to filter leads on the dashboard.
Q_LEAD_CONTEXT = """
UNWIND $pairs AS pr
OPTIONAL MATCH (p:Person {person_id: pr.subject_id})
OPTIONAL MATCH (k:Case {case_no: pr.case_no})
RETURN pr.subject_id AS subject_id, pr.case_no AS case_no, p.prison AS prison, k.court AS court
"""
Q_UNPAID_OF = """
UNWIND $ids AS id
MATCH (k:Case {debtor_id: id}) WHERE k.unpaid_fen > 0
RETURN id, sum(k.unpaid_fen) AS unpaid_fen
"""


def search(graph: Graph, q: str, limit: int = 50) -> dict[str, list[dict]]:
    """Persons and companies by (partial) Chinese name, ID number, id; accounts; case numbers."""
    q = (q or "").strip()
    if not q:
        return {"persons": [], "companies": [], "accounts": [], "cases": []}
    p = {"q": q, "limit": limit}
    persons = {r["id"]: r for r in graph.read(Q_SEARCH_PERSON_ID, p)}
    for r in graph.read(Q_SEARCH_PERSON_NAME, p):
        persons.setdefault(r["id"], r)
    return {"persons": list(persons.values())[:limit], "companies": graph.read(Q_SEARCH_COMPANY, p),
            "accounts": graph.read(Q_SEARCH_ACCOUNT, p), "cases": graph.read(Q_SEARCH_CASE, p)}


def unpaid_totals(graph: Graph) -> dict[str, int]:
    """Open cases (unpaid > 0) and their unpaid total in fen."""
    row = graph.read_one(Q_UNPAID) or {}
    return {"open_cases": row.get("open_cases") or 0, "unpaid_fen": row.get("unpaid_fen") or 0}


def unpaid_of(graph: Graph, ids: list[str]) -> dict[str, int]:
    """Unpaid fen per debtor id (only debtors with something unpaid)."""
    if not ids:
        return {}
    return {r["id"]: r["unpaid_fen"] for r in graph.read(Q_UNPAID_OF, {"ids": ids})}


def lead_context(graph: Graph, leads: list[dict]) -> dict[tuple[str, str | None], dict]:
    """Prison of each lead's subject and court of its case, keyed by (subject_id, case_no)."""
    pairs = [{"subject_id": lead.get("subject_id"), "case_no": lead.get("case_no")} for lead in leads]
    out: dict[tuple[str, str | None], dict] = {}
    for i in range(0, len(pairs), 5000):
        for r in graph.read(Q_LEAD_CONTEXT, {"pairs": pairs[i:i + 5000]}):
            out[(r["subject_id"], r["case_no"])] = {"prison": r["prison"], "court": r["court"]}
    return out


# --- recovery records: the case and prison a record is filed under, cases' unpaid amounts ---------
Q_CASE_CONTEXT = """
MATCH (k:Case {case_no: $case_no})
OPTIONAL MATCH (p:Person {person_id: k.debtor_id})
RETURN k.debtor_id AS debtor_id, k.court AS court, p.prison AS prison, k.unpaid_fen AS unpaid_fen
"""
Q_UNPAID_CASES = """
UNWIND $case_nos AS cn
MATCH (k:Case {case_no: cn})
RETURN k.case_no AS case_no, k.unpaid_fen AS unpaid_fen, k.court AS court, k.debtor_id AS debtor_id
"""
Q_SUBJECT_PRISON = """
OPTIONAL MATCH (p:Person {person_id: $id})
RETURN p.prison AS prison
"""


def case_context(graph: Graph, case_no: str) -> dict | None:
    """Debtor, court, prison and unpaid amount of one case (None when unknown)."""
    return graph.read_one(Q_CASE_CONTEXT, {"case_no": case_no})


def prison_of(graph: Graph, subject_id: str) -> str | None:
    """The prison of an inmate subject (None for others)."""
    return (graph.read_one(Q_SUBJECT_PRISON, {"id": subject_id}) or {}).get("prison")


def cases_unpaid(graph: Graph, case_nos: list[str]) -> list[dict]:
    """case_no, unpaid_fen, court and debtor of each named case."""
    return graph.read(Q_UNPAID_CASES, {"case_nos": case_nos})
