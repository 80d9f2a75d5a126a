"""NetworkX analyses on a subject's bounded money-flow subgraph: flow tracing,
intermediaries (betweenness) and communities (Louvain).

The subgraph always comes from `graph.traversal.transfer_subgraph` (hops, edge cap, busy
accounts not expanded), never the whole database.

Attribution rule of the trace ("the subject's money leaves first", docs/detection.md):
transfers are replayed in time order. Every transfer out of the subject's own accounts
carries its full amount. At any other account, a pool holds the traced money that has
arrived so far; an outgoing transfer carries min(amount, pool) and takes it from the
pool. What is still in a pool at the end is attributed to that account (an endpoint);
what comes back to the subject's accounts is reported as returned. The endpoints plus
the returned money therefore add up to what left the subject, no transfer is counted
twice, and money cannot travel back in time. It is an upper bound for each endpoint
(the subject's money is assumed to leave an account before the holder's own money).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

import networkx as nx

from graph import Graph
from graph.traversal import transfer_subgraph

from .leads import iso
from .related import Relatedness
from . import queries

logger = logging.getLogger(__name__)

#: Above this many nodes, betweenness is estimated from this many sampled sources.
BETWEENNESS_SAMPLE = 200
SEED = 7


def _key(at: Any) -> dt.datetime:
    return at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time())


def intermediaries(G: nx.Graph, exclude: set[str] | None = None, top: int = 10, seed: int = SEED) -> list[dict]:
    """Accounts by betweenness in the (collapsed, directed) flow graph; sampled above
    BETWEENNESS_SAMPLE nodes. The subject's own accounts are left out of the ranking."""
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    for u, v in G.edges():
        D.add_edge(u, v)
    n = D.number_of_nodes()
    if n < 3:
        return []
    k = BETWEENNESS_SAMPLE if n > BETWEENNESS_SAMPLE else None
    bc = nx.betweenness_centrality(D, k=k, seed=seed if k else None, normalized=True)
    ranked = sorted(((v, a) for a, v in bc.items() if a not in (exclude or set()) and v > 0), reverse=True)
    return [{"account_id": a, "betweenness": round(v, 6), "sampled": k is not None} for v, a in ranked[:top]]


def communities(G: nx.Graph, seed: int = SEED) -> list[list[str]]:
    """Louvain communities of the undirected flow graph weighted by amount (largest first)."""
    U = nx.Graph()
    U.add_nodes_from(G.nodes)
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        w = U.get_edge_data(u, v, {}).get("weight", 0) + int(data.get("amount_fen", 0))
        U.add_edge(u, v, weight=w)
    if U.number_of_edges() == 0:
        return [[n] for n in sorted(U.nodes)]
    parts = nx.community.louvain_communities(U, weight="weight", seed=seed)
    return sorted((sorted(p) for p in parts), key=lambda p: (-len(p), p))


def trace(graph: Graph, subject_id: str, since: dt.date | None = None, max_hops: int = 4,
          max_edges: int = 5000, max_degree: int = 200, until: dt.date | None = None) -> dict:
    """Where the subject's money went after `since` (default: earliest open litigation start) and up to
    `until` (default: everything loaded): time-respecting, depth- and size-limited, with the amount
    attributed to each endpoint and the money back at each of the subject's own accounts."""
    info = graph.read_one(queries.Q_ANALYSIS_SUBJECT, {"id": subject_id})
    if info is None:
        raise KeyError(f"no person or company {subject_id!r}")
    own = set(info["accounts"])
    if since is None:
        since = min(info["starts"]) if info["starts"] else dt.date(1900, 1, 1)
    sub = transfer_subgraph(graph, sorted(own), since, until=until, max_hops=max_hops, max_edges=max_edges,
                            max_degree=max_degree)
    G = sub.graph
    edges = sorted(((_key(d["at"]), k, u, v, d) for u, v, k, d in G.edges(keys=True, data=True)),
                   key=lambda x: (x[0], x[1]))
    pool: dict[str, int] = defaultdict(int)
    last_in: dict[str, dt.date] = {}
    depth: dict[str, int] = {a: 0 for a in own}
    flows = []
    out_fen = returned = 0
    returned_to: dict[str, int] = defaultdict(int)
    for _at, tid, u, v, d in edges:
        amount = int(d["amount_fen"])
        if u in own:
            traced = amount
            out_fen += amount if v not in own else 0
        else:
            traced = min(amount, pool[u])
            pool[u] -= traced
        if traced <= 0 or (u in own and v in own):
            continue
        if v in own:
            returned += traced
            returned_to[v] += traced
            last_in[v] = d["on"]
        else:
            pool[v] += traced
            last_in[v] = d["on"]
            depth[v] = min(depth.get(v, 99), depth.get(u, 0) + 1)
        flows.append({"transfer_id": tid, "from_account": u, "to_account": v, "amount_fen": amount,
                      "traced_fen": traced, "at": iso(d["at"]), "on": iso(d["on"])})
    ends = {a: f for a, f in pool.items() if f > 0}
    names = {r["aid"]: r for r in graph.read(queries.Q_ANALYSIS_HOLDERS, {"ids": sorted(set(G.nodes))})}
    rel = Relatedness(graph, [subject_id])
    endpoints = []
    for a, f in sorted(ends.items(), key=lambda x: (-x[1], x[0])):
        h = names.get(a, {})
        tie = rel.tie(subject_id, h.get("holder_id"), last_in.get(a, since))
        endpoints.append({"account_id": a, "holder_id": h.get("holder_id"), "holder_name": h.get("name"),
                          "account_kind": h.get("kind"), "amount_fen": f, "hops": depth.get(a),
                          "last_in": iso(last_in.get(a)),
                          "closeness": tie.closeness if tie else None,
                          "relation": tie.description_en if tie else "unrelated",
                          "relation_zh": tie.description_zh if tie else "无关联",
                          "not_followed": a in sub.skipped_busy})
    by_holder: dict[str, int] = defaultdict(int)
    for e in endpoints:
        by_holder[e["holder_id"] or f"account:{e['account_id']}"] += e["amount_fen"]
    return {
        "subject_id": subject_id, "subject_name": info["name"], "subject_kind": info["kind"],
        "since": since.isoformat(), "until": until.isoformat() if until else None, "max_hops": max_hops, "max_edges": max_edges, "max_degree": max_degree,
        "accounts": sorted(own), "out_fen": out_fen, "returned_fen": returned,
        "attributed_fen": sum(ends.values()),
        "returned_to": [{"account_id": a, "amount_fen": f, "last_in": iso(last_in.get(a))}
                        for a, f in sorted(returned_to.items())],
        "endpoints": endpoints,
        "by_holder": [{"holder": k, "amount_fen": v} for k, v in sorted(by_holder.items(), key=lambda x: -x[1])],
        "flows": flows,
        "holders": {a: {"holder_id": r.get("holder_id"), "holder_name": r.get("name"), "account_kind": r.get("kind")}
                    for a, r in names.items()},
        "truncated": sub.truncated, "not_followed": sorted(sub.skipped_busy),
        "nodes": G.number_of_nodes(), "edges": G.number_of_edges(),
        "intermediaries": intermediaries(G, exclude=own),
        "communities": communities(G),
        "rule": "subject money leaves first (see docs/detection.md)",
    }
