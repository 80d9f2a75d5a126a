"""Entity resolution: one person, one node (docs/entities.md).

Records stay as loaded. `resolve` joins the records that are certainly one party (same valid ID
number that agrees with the record; same valid credit code) and the pairs a person confirmed, by a
`SAME_AS` link from every other record of a cluster to its canonical record (the smallest id), and
`canonical_id` on each record of a cluster. It rebuilds that derived structure from scratch each
time, so it is idempotent and follows unloads. Pairs that may be one person are stored as
candidates for a supervisor to judge; judgements live in the app's SQLAlchemy store.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field

from sqlalchemy.engine import Engine

from graph import Graph

from . import queries, rules, store
from .rules import REASON_TEXT, Candidate, UnionFind
from .store import DECISIONS, Judgement

logger = logging.getLogger(__name__)

STATUSES = ("open", "unsure", "rejected")


@dataclass
class ResolveResult:
    """What a resolve did: counts for the CLI and the audit trail."""

    persons: int = 0
    companies: int = 0
    person_clusters: int = 0
    company_clusters: int = 0
    records_joined: int = 0
    links: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    candidates: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        """Every count, by field name (the CLI prints it, the audit trail keeps it)."""
        return asdict(self)


def clear(graph: Graph) -> int:
    """Take down every SAME_AS link and canonical_id (before an unload; resolve rebuilds them)."""
    row = graph.write(queries.Q_CLEAR_SAME_AS)
    return int(row[0]["n"]) if row else 0


def _cluster_rows(uf: UnionFind, at: str) -> list[dict]:
    rows = []
    for members in uf.clusters():
        canonical = members[0]
        for m in members[1:]:
            reasons = sorted(set(uf.links.get(m, [])))
            rows.append({"id": m, "canonical": canonical, "rule": reasons[0].split(":")[0] if reasons else "cluster",
                         "reasons": reasons, "at": at})
    return rows


def _status(j: Judgement | None) -> str:
    if j is None:
        return "open"
    return {"reject": "rejected", "unsure": "unsure", "confirm": "confirmed"}[j.decision]


def resolve(graph: Graph, engine: Engine) -> ResolveResult:
    """(Re)compute merges and candidates from the graph and the judgements; write both."""
    judged = store.latest_judgements(engine)
    persons = graph.read(queries.Q_PERSON_RECORDS, timeout=None)
    companies = graph.read(queries.Q_COMPANY_RECORDS, timeout=None)
    res = ResolveResult(persons=len(persons), companies=len(companies))
    known_p = {p["person_id"] for p in persons}
    known_c = {c["company_id"] for c in companies}
    ufp, ufc = UnionFind(), UnionFind()
    rules.join_by_key(persons, "person_id", rules.certain_person_key, "id_number", ufp)
    rules.join_by_key(companies, "company_id", rules.certain_company_key, "uscc", ufc)
    for (left, right), j in judged.items():
        if j.decision != "confirm":
            continue
        uf = ufp if left in known_p and right in known_p else ufc if left in known_c and right in known_c else None
        if uf is not None:
            uf.union(left, right, f"confirmed:{j.username}@{j.at:%Y-%m-%dT%H:%M:%S}Z")
    at = store.utcnow().isoformat() + "Z"
    prow, crow = _cluster_rows(ufp, at), _cluster_rows(ufc, at)
    clear(graph)
    graph.write_batches(queries.Q_WRITE_SAME_AS_PERSON, prow)
    graph.write_batches(queries.Q_WRITE_SAME_AS_COMPANY, crow)
    res.person_clusters, res.company_clusters = len(ufp.clusters()), len(ufc.clusters())
    res.links = len(prow) + len(crow)
    res.records_joined = res.links + res.person_clusters + res.company_clusters
    for r in prow + crow:
        res.by_rule[r["rule"]] = res.by_rule.get(r["rule"], 0) + 1
    # candidates: one per pair of entities (the best-scoring pair of their records); a judgement of
    # any two of their records is the judgement of the pair of entities
    by_entities: dict[tuple[str, str], Judgement] = {}
    for (left, right), j in sorted(judged.items(), key=lambda kv: kv[1].at):
        if left in known_p and right in known_p:
            by_entities[store.pair(ufp.find(left), ufp.find(right))] = j
    best: dict[tuple[str, str], Candidate] = {}
    for c in rules.person_candidates(persons, lambda a, b: ufp.find(a) == ufp.find(b)):
        key = store.pair(ufp.find(c.left), ufp.find(c.right))
        if key not in best or c.score > best[key].score:
            best[key] = c
    rows = []
    for key, c in best.items():
        j = by_entities.get(key)
        if j is not None:  # show the pair that was judged (records of the same two entities)
            c.left, c.right = j.left, j.right
        status = _status(j)
        res.candidates[status] = res.candidates.get(status, 0) + 1
        rows.append({"kind": c.kind, "left": c.left, "right": c.right, "score": c.score, "reasons": c.reasons,
                     "details": c.details})
    store.replace_candidates(engine, rows)
    logger.info("resolve: %s", res.summary())
    return res


def candidates(engine: Engine, status: str | None = None) -> list[dict]:
    """The last resolve's candidates with their current judgement status (open / unsure / rejected)."""
    judged = store.latest_judgements(engine)
    out = []
    for c in store.stored_candidates(engine):
        j = judged.get(store.pair(c["left"], c["right"]))
        c["status"] = _status(j)
        c["judgement"] = j
        c["reason_text"] = [REASON_TEXT[r] for r in c["reasons"]]
        if status is None or c["status"] == status:
            out.append(c)
    return out


class UnknownRecord(ValueError):
    """A judged id that is no person or company record in the graph."""


def records(graph: Graph, ids: list[str]) -> dict[str, dict]:
    """The records as loaded (properties, sources, what they hold), for a side-by-side view."""
    out = {}
    for r in graph.read(queries.Q_RECORDS, {"ids": ids}):
        props = dict(r["props"])
        sources = []
        for e in props.pop("prov", None) or []:
            parts = e.split("|", 2)
            try:
                stated = json.loads(parts[2]) if len(parts) == 3 else {}
            except ValueError:
                stated = {}
            sources.append({"load_id": parts[0], "table": parts[1] if len(parts) > 1 else "",
                            "src_file": stated.get("_f"), "src_row": stated.get("_r"),
                            "values": {k: v for k, v in stated.items() if not k.startswith("_")}})
        out[r["id"]] = {"id": r["id"], "kind": r["kind"], "props": props, "sources": sources,
                        "accounts": r["accounts"], "cases": r["cases"], "relations": r["relations"]}
    return out


def judge(graph: Graph, engine: Engine, left: str, right: str, decision: str, username: str,
          note: str | None = None) -> Judgement:
    """Record a judgement of two records (both must exist and be of one kind). Run `resolve`
    afterwards so that a confirmation takes effect (the CLI and the review page do)."""
    recs = records(graph, [left, right])
    missing = [i for i in (left, right) if i not in recs]
    if missing:
        raise UnknownRecord(f"no person or company record {', '.join(missing)} in the graph")
    if recs[left]["kind"] != recs[right]["kind"]:
        raise UnknownRecord(f"{left} is a {recs[left]['kind']} and {right} a {recs[right]['kind']}: not comparable")
    if left == right:
        raise UnknownRecord("a record cannot be judged against itself")
    return store.add_judgement(engine, recs[left]["kind"], left, right, decision, username, note)


__all__ = ["DECISIONS", "STATUSES", "ResolveResult", "UnknownRecord", "candidates", "clear", "judge", "records",
           "resolve"]
