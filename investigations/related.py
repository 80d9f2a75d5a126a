"""Who is related to a debtor at a given day: the spec's "related person" and "tied company".

One bounded read per batch of debtors pulls their relations, (for company debtors) the
persons holding roles in them and those persons' relations, and every role of all these
persons; the checks are then made in Python at the day of each transfer or conveyance.
Definitions (docs/detection.md, detection spec "Shared definitions"):
- related person of debtor D at t: a person linked to D by a relation whose since..until
  covers t (both ends inclusive, blank = open); a former spouse (spouse with ended = true)
  at any t. For a company D: persons holding a role in D at t, and their related persons at t.
- tied company at t: a company (not D) in which D or a related person at t holds a role
  active at t; a shareholder role only with share_pct >= min_share_pct (blank meets it).
Entity resolution (ingest.entities, docs/entities.md) is seen through here: every id is first
mapped to its canonical record (SAME_AS), relations and roles of all records of an entity are
its own, so an account held by any record of the spouse is the spouse's. With no SAME_AS link
in the graph the map is empty and nothing changes.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from graph import Graph

from .labels import NO_RELATION, en, zh
from . import queries

logger = logging.getLogger(__name__)

#: How close a relation is (used by the score): 1 = closest.
CLOSENESS = {
    "spouse": 1.0, "former_spouse": 1.0, "parent": 1.0, "child": 1.0, "sibling": 0.8,
    "relative": 0.6, "associate": 0.5,
    "legal_rep": 0.9, "shareholder": 0.9, "officer": 0.8, "supervisor": 0.7,
}
UNRELATED_CLOSENESS = 0.3

#: The default share threshold of a shareholder tie (detection spec, `min_share_pct`).
DEFAULT_MIN_SHARE_PCT = 5.0


def _covers(since: dt.date | None, until: dt.date | None, day: dt.date) -> bool:
    return (since is None or since <= day) and (until is None or day <= until)


@dataclass(frozen=True)
class Tie:
    """Why a party is related: kind (related_person | tied_company), label for people, closeness."""

    kind: str
    relation: str
    description_en: str
    description_zh: str
    closeness: float


class Relatedness:
    """Relatedness of parties to a set of debtors, evaluated at a day."""

    def __init__(self, graph: Graph, debtor_ids: Iterable[str], min_share_pct: float = DEFAULT_MIN_SHARE_PCT,
                 timeout: float = 60.0) -> None:
        self.min_share_pct = min_share_pct
        self.debtors = sorted(set(debtor_ids))
        # person_id -> list of (other, relation from the person's side, ended, since, until)
        self.rel: dict[str, list[tuple[str, str, bool, dt.date | None, dt.date | None]]] = defaultdict(list)
        # company_id -> list of (person_id, role, share, since, until)
        self.holders: dict[str, list[tuple]] = defaultdict(list)
        # person_id -> list of (company_id, role, share, since, until)
        self.roles: dict[str, list[tuple]] = defaultdict(list)
        self._load(graph, timeout)

    def _load_canonical(self, graph: Graph, timeout: float) -> None:
        """The record -> canonical record map of entity resolution (empty when nothing is joined)."""
        self.canon: dict[str, str] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        for r in graph.read(queries.Q_SAME_AS_MAP, timeout=timeout):
            self.canon[r["id"]] = r["canonical"]
        for rec, can in sorted(self.canon.items()):
            if not self.members[can]:
                self.members[can].append(can)
            self.members[can].append(rec)

    def canonical(self, record_id: str) -> str:
        """The canonical id of a person or company record (itself when it is joined to none)."""
        return self.canon.get(record_id, record_id)

    def _records(self, ids: Iterable[str]) -> list[str]:
        """Every record of the entities of `ids` (the ids themselves when nothing is joined)."""
        out: set[str] = set()
        for i in ids:
            c = self.canonical(i)
            out.update(self.members.get(c) or [c])
        return sorted(out)

    def _load_relations(self, graph: Graph, ids: list[str], timeout: float) -> None:
        ids = [i for i in self._records(ids) if i not in self._rel_loaded]
        if not ids:
            return
        self._rel_loaded.update(ids)
        can = self.canonical
        for r in graph.read(queries.Q_RELATED_RELATIONS, {"ids": ids}, timeout=timeout):
            rel = r["relation"]
            if rel == "spouse" and r["ended"]:
                rel = "former_spouse"
            elif rel == "parent":
                # stored child -> parent: from the child's side the other is the parent
                rel = "parent" if r["outgoing"] else "child"
            if can(r["other"]) == can(r["pid"]):
                continue
            self.rel[can(r["pid"])].append((can(r["other"]), rel, bool(r["ended"]), r["since"], r["until"]))

    def _load(self, graph: Graph, timeout: float) -> None:
        self._rel_loaded: set[str] = set()
        self._load_canonical(graph, timeout)
        can = self.canonical
        self._load_relations(graph, self.debtors, timeout)
        for r in graph.read(queries.Q_RELATED_HOLDERS, {"ids": self._records(self.debtors)}, timeout=timeout):
            self.holders[can(r["cid"])].append((can(r["person_id"]), r["role"], r["share_pct"], r["since"], r["until"]))
        holder_ids = sorted({h[0] for hs in self.holders.values() for h in hs})
        self._load_relations(graph, holder_ids, timeout)
        people = {can(d) for d in self.debtors} | set(holder_ids)
        for lst in list(self.rel.values()):
            people.update(o[0] for o in lst)
        for r in graph.read(queries.Q_RELATED_ROLES, {"ids": self._records(people)}, timeout=timeout):
            self.roles[can(r["pid"])].append((can(r["company_id"]), r["role"], r["share_pct"], r["since"], r["until"]))

    # -- checks ------------------------------------------------------------------------
    def _relation_of(self, person: str, other: str, day: dt.date) -> str | None:
        best = None
        for o, rel, ended, since, until in self.rel.get(person, ()):
            if o != other:
                continue
            if rel == "former_spouse" or _covers(since, until, day):
                if best is None or CLOSENESS.get(rel, 0) > CLOSENESS.get(best, 0):
                    best = rel
        return best

    def related_persons(self, debtor: str, day: dt.date) -> dict[str, Tie]:
        """Every person related to `debtor` at `day`, with why (keyed by canonical person id)."""
        debtor = self.canonical(debtor)
        out: dict[str, Tie] = {}
        for o, rel, ended, since, until in self.rel.get(debtor, ()):
            if rel == "former_spouse" or _covers(since, until, day):
                t = Tie("related_person", rel, en("relation", rel), zh("relation", rel), CLOSENESS.get(rel, 0.5))
                if o not in out or out[o].closeness < t.closeness:
                    out[o] = t
        for pid, role, share, since, until in self.holders.get(debtor, ()):
            if not _covers(since, until, day):
                continue
            t = Tie("related_person", role, f"{en('relation', role)} of the debtor company", f"被执行企业{zh('relation', role)}",
                    CLOSENESS.get(role, 0.7))
            if pid not in out or out[pid].closeness < t.closeness:
                out[pid] = t
            for o, rel, ended, rsince, runtil in self.rel.get(pid, ()):
                if o == debtor or not (rel == "former_spouse" or _covers(rsince, runtil, day)):
                    continue
                t = Tie("related_person", rel, f"{en('relation', rel)} of the company's {en('relation', role)} {pid}",
                        f"被执行企业{zh('relation', role)}{pid}的{zh('relation', rel)}",
                        0.8 * CLOSENESS.get(rel, 0.5))
                if o not in out or out[o].closeness < t.closeness:
                    out[o] = t
        return out

    def possible_parties(self, debtor: str, kind: str) -> list[str]:
        """Every person or company record that `tie(debtor, it, day)` could call `kind`
        ('related_person' or 'tied_company') on SOME day: the same checks as `tie` with the
        dates ignored, each entity expanded to all its records (SAME_AS). A superset, so a
        candidate read restricted to these parties loses nothing `tie` would keep; why: the money
        patterns then read only the transfers that can hit, not every transfer of a busy debtor."""
        can = self.canonical(debtor)
        persons: set[str] = {o for o, *_ in self.rel.get(can, ())}
        for pid, *_ in self.holders.get(can, ()):
            persons.add(pid)
            persons.update(o for o, *_ in self.rel.get(pid, ()) if o != can)
        persons.discard(can)
        if kind == "related_person":
            return self._records(persons)
        companies: set[str] = set()
        for pid in [can, *sorted(persons)]:
            for cid, role, share, _since, _until in self.roles.get(pid, ()):
                if role == "shareholder" and share is not None and share < self.min_share_pct:
                    continue
                companies.add(cid)
        companies.discard(can)
        return self._records(companies)

    def tie(self, debtor: str, party_id: str | None, day: dt.date) -> Tie | None:
        """How `party_id` (a person or company id) is related to `debtor` at `day`, or None."""
        if party_id is None:
            return None
        # any record of an entity stands for it (ingest.entities: a record of the spouse is the spouse)
        debtor, party_id = self.canonical(debtor), self.canonical(party_id)
        if party_id == debtor:
            return None
        persons = self.related_persons(debtor, day)
        if party_id in persons:
            return persons[party_id]
        best: Tie | None = None
        for pid in [debtor, *persons]:
            for cid, role, share, since, until in self.roles.get(pid, ()):
                if cid != party_id or not _covers(since, until, day):
                    continue
                if role == "shareholder" and share is not None and share < self.min_share_pct:
                    continue
                if pid == debtor:
                    t = Tie("tied_company", role, f"company where the debtor is {en('relation', role)}",
                            f"被执行人任{zh('relation', role)}的企业", 0.9)
                else:
                    via = persons[pid]
                    t = Tie("tied_company", role, f"company where {pid} ({via.description_en}) is {en('relation', role)}",
                            f"{pid}（{via.description_zh}）任{zh('relation', role)}的企业",
                            0.8 * via.closeness)
                if best is None or t.closeness > best.closeness:
                    best = t
        return best


def relation_fields(tie: Tie | None) -> dict:
    """The relation fields every consumer prints (leads, subject rows, package records, network).

    `relation` is the code (the relation or role, 'unrelated' when none), `tie_kind`
    'related_person' / 'tied_company' / None, `relation_zh` / `relation_en` the description
    (the same words in a lead and in the package that cites it), `closeness` for the score.
    """
    if tie is None:
        return {"relation": "unrelated", "tie_kind": None, "relation_zh": NO_RELATION[0],
                "relation_en": NO_RELATION[1], "closeness": UNRELATED_CLOSENESS}
    return {"relation": tie.relation, "tie_kind": tie.kind, "relation_zh": tie.description_zh,
            "relation_en": tie.description_en, "closeness": tie.closeness}
