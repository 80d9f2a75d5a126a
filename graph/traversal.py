"""Bounded subgraphs from Neo4j as NetworkX graphs.

Analyses (flow tracing, betweenness, communities) run in NetworkX on a subject's
neighbourhood, never on the whole database: every export here takes explicit
limits (hops, time window, edge cap) and reports when a cap was hit.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import networkx as nx

from .db import Graph

logger = logging.getLogger(__name__)

# One hop of outgoing CNY transfers from a frontier of accounts, on or after a day,
# skipping accounts busier than max_degree (payment platforms, employers). The degree counts
# transfers up to `until` only (point in time: a later load's transfers never change a past view).
_OUT_HOP = """
UNWIND $frontier AS aid
MATCH (a:Account {account_id: aid})-[t:TRANSFER]->(b:Account)
WHERE t.on >= $since AND ($until IS NULL OR t.on <= $until)
  AND coalesce(t.currency, 'CNY') = 'CNY' AND t.amount_fen >= $min_fen
  AND coalesce(t.kind, 'transfer') = 'transfer'
RETURN a.account_id AS src, b.account_id AS dst, t.transfer_id AS transfer_id,
       t.amount_fen AS amount_fen, t.at AS at, t.on AS on, coalesce(t.at_has_time, true) AS has_time,
       b.holder_id AS dst_holder, b.holder_known AS dst_holder_known,
       COUNT { (b)-[d:TRANSFER]-() WHERE $until IS NULL OR d.on <= $until } AS dst_degree
ORDER BY t.at, t.transfer_id
LIMIT $limit
"""


@dataclass
class FlowSubgraph:
    """A directed multigraph of accounts and transfers, with what was cut off."""

    graph: nx.MultiDiGraph
    truncated: bool = False
    skipped_busy: set[str] = field(default_factory=set)


def transfer_subgraph(g: Graph, start_accounts: list[str], since: dt.date, until: dt.date | None = None,
                      max_hops: int = 4, max_edges: int = 20000, max_degree: int = 200,
                      min_fen: int = 0) -> FlowSubgraph:
    """Outgoing transfers reachable from `start_accounts` within `max_hops`, bounded.

    Accounts with more than `max_degree` transfers are kept as endpoints but not
    expanded. Stops at `max_edges` edges and says so (`truncated`).
    """
    G = nx.MultiDiGraph()
    out = FlowSubgraph(G)
    seen = set(start_accounts)
    frontier = list(start_accounts)
    for aid in start_accounts:
        G.add_node(aid)
    for _hop in range(max_hops):
        if not frontier:
            break
        remaining = max_edges - G.number_of_edges()
        if remaining <= 0:
            out.truncated = True
            break
        rows = g.read(_OUT_HOP, {"frontier": frontier, "since": since, "until": until,
                                 "min_fen": min_fen, "limit": remaining + 1})
        if len(rows) > remaining:
            out.truncated = True
            rows = rows[:remaining]
        nxt: list[str] = []
        for r in rows:
            G.add_node(r["dst"], holder_id=r["dst_holder"], holder_known=r["dst_holder_known"],
                       degree=r["dst_degree"])
            G.add_edge(r["src"], r["dst"], key=r["transfer_id"], amount_fen=r["amount_fen"],
                       at=r["at"], on=r["on"], has_time=r["has_time"])
            if r["dst"] not in seen:
                seen.add(r["dst"])
                if r["dst_degree"] > max_degree:
                    out.skipped_busy.add(r["dst"])
                else:
                    nxt.append(r["dst"])
        frontier = nxt
    return out


def rows_to_digraph(rows: list[dict], source: str = "src", target: str = "dst",
                    key: str = "transfer_id") -> nx.MultiDiGraph:
    """Rows with a source, target and key column as a MultiDiGraph (other columns become edge data)."""
    G = nx.MultiDiGraph()
    for r in rows:
        data = {k: v for k, v in r.items() if k not in (source, target, key)}
        G.add_edge(r[source], r[target], key=r[key], **data)
    return G
