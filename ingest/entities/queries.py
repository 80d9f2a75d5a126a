"""Cypher of entity resolution (read the records, rebuild the SAME_AS links, show two records)."""
from __future__ import annotations

from graph.schema import label

Q_PERSON_RECORDS = """
MATCH (p:Person)
RETURN p.person_id AS person_id, p.name AS name, p.id_number AS id_number, p.gender AS gender,
       p.birth_date AS birth_date, p.phone AS phone
"""

Q_COMPANY_RECORDS = """
MATCH (c:Company)
RETURN c.company_id AS company_id, c.name AS name
"""

#: Take down every derived link (resolve rebuilds them all; unload takes them down first).
Q_CLEAR_SAME_AS = """
MATCH (a)-[r:SAME_AS]->(b)
REMOVE a.canonical_id, b.canonical_id
DELETE r
RETURN count(r) AS n
"""


def _write_same_as(lab: str, key: str) -> str:
    """Link each record of a cluster to its canonical record (`lab` from the schema allow-list)."""
    lab = label(lab)
    return f"""
UNWIND $rows AS row
MATCH (a:{lab} {{{key}: row.id}})
MATCH (c:{lab} {{{key}: row.canonical}})
MERGE (a)-[r:SAME_AS]->(c)
SET r.rule = row.rule, r.reasons = row.reasons, r.resolved_at = datetime(row.at),
    a.canonical_id = row.canonical, c.canonical_id = row.canonical
"""


Q_WRITE_SAME_AS_PERSON = _write_same_as("Person", "person_id")
Q_WRITE_SAME_AS_COMPANY = _write_same_as("Company", "company_id")

#: Two (or more) records as loaded, with their sources and what they hold, for the review page.
Q_RECORDS = """
UNWIND $ids AS id
OPTIONAL MATCH (p:Person {person_id: id})
OPTIONAL MATCH (c:Company {company_id: id})
WITH id, coalesce(p, c) AS n
WHERE n IS NOT NULL
RETURN id, CASE WHEN n:Person THEN 'person' ELSE 'company' END AS kind, properties(n) AS props,
       COLLECT { MATCH (n)-[:HOLDS]->(a:Account) RETURN a.account_id ORDER BY a.account_id } AS accounts,
       COLLECT { MATCH (n)-[:DEBTOR_IN]->(k:Case) RETURN k.case_no ORDER BY k.case_no } AS cases,
       COLLECT { MATCH (n)-[r:RELATED]-(o:Person) RETURN r.relation + ':' + o.person_id } AS relations
"""
