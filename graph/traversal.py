"""Bounded subgraphs from Neo4j as NetworkX graphs.

Analyses (flow tracing, betweenness, communities) run in NetworkX on a subject's
neighbourhood, never on the whole database: every export here takes explicit
limits (hops, time window, edge cap) and reports when a cap was hit.
"""
from __future__ import annotations

import datetime as dt
import logging
from fractions import Fraction
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
USING INDEX a:Account(account_id)
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


# One hop for many subgraphs at once: each item is (account, group); a group holds the bounds its
# items share (since, amount floor and cap, day windows, ends, next), sent once, not once per account.
# `next` = [lo, hi, days] (first hop only): keep a transfer into b only when b may be busy (more than
# max_degree transfers in all: the search decides) or b passes on lo..hi x its amount (1 fen of slack
# either side for the float product) within `days` after it: else no path goes on from it.
# The degree of the destinations is read apart, once per account (_DEGREES), not once per row.
# The "can it go on" test of `first_next` reads b's own transfers (at most max_degree of them) as a
# list, never through a subquery the planner could serve otherwise: an EXISTS subquery with the same
# predicates was planned, on a server whose statistics came from a small or empty graph, as a range
# seek on TRANSFER(amount_fen) for every candidate hop, and that cached plan made later scans time
# out (tests/test_scan_bounds.py::test_hop_plan_expands_from_the_account). A lazy EXISTS whose
# predicates no index can serve (`date(n.on)`, `n.amount_fen + 0`) passed that plan test and was
# faster at 1M, but still timed out in the full suite (session 20): the list form is the one whose
# plan held there. Even so, CI once planned it without seeking `a` (session 21's stop: index
# statistics are resampled in the background, so the plan a wiped or freshly unloaded store gets
# depends on timing). The hint pins the start: seek the frontier account, then expand.
_OUT_HOP_MANY = """
UNWIND $items AS it
WITH it, $groups[it.g] AS gr
MATCH (a:Account {account_id: it.aid})-[t:TRANSFER]->(b:Account)
USING INDEX a:Account(account_id)
WHERE t.on >= gr.since AND ($until IS NULL OR t.on <= $until)
  AND t.amount_fen >= gr.min_fen AND (gr.max_fen IS NULL OR t.amount_fen <= gr.max_fen)
  AND (gr.wins IS NULL OR any(w IN gr.wins WHERE w[0] <= t.on <= w[1]))
  AND coalesce(t.currency, 'CNY') = 'CNY'
  AND coalesce(t.kind, 'transfer') = 'transfer'
  AND (gr.ends IS NULL OR b.account_id IN gr.ends OR b.holder_id IN gr.end_holders)
  AND (gr.next IS NULL OR COUNT { (b)-[:TRANSFER]-() } > $max_degree
       OR any(n IN [(b)-[x:TRANSFER]->() | x]
              WHERE t.on <= n.on <= t.on + duration({days: gr.next[2]}) AND ($until IS NULL OR n.on <= $until)
                AND t.amount_fen * gr.next[0] - 1 <= n.amount_fen <= t.amount_fen * gr.next[1] + 1
                AND coalesce(n.currency, 'CNY') = 'CNY' AND coalesce(n.kind, 'transfer') = 'transfer'))
RETURN it.i AS i, a.account_id AS src, b.account_id AS dst, t.transfer_id AS transfer_id,
       t.amount_fen AS amount_fen, t.at AS at, t.on AS on, coalesce(t.at_has_time, true) AS has_time,
       b.holder_id AS dst_holder, b.holder_known AS dst_holder_known
"""

_DEGREES = """
UNWIND $ids AS aid
MATCH (b:Account {account_id: aid})
RETURN aid, COUNT { (b)-[d:TRANSFER]-() WHERE $until IS NULL OR d.on <= $until } AS degree
"""

# Whether any transfer lies after `until` (the `transfer_on` range index: no relationship is read).
# When none does, an account's degree up to `until` is its total degree, read from the degree store.
_ANY_AFTER = """
MATCH ()-[t:TRANSFER]->() WHERE t.on > $until
RETURN count(*) AS n
"""

# All transfers of each account, whatever their day: Neo4j reads it from the node's degree
# without touching a relationship. An account with at most max_degree in all has at most that
# many up to `until` too, so only the others need _DEGREES (which reads every transfer's day).
_TOTAL_DEGREES = """
UNWIND $ids AS aid
MATCH (b:Account {account_id: aid})
RETURN aid, COUNT { (b)-[:TRANSFER]-() } AS degree
"""


@dataclass
class DegreeCache:
    """What the path search learns about accounts, kept across the searches of one scan: each
    account's degree up to a day (`degrees[(account, until, max_degree)]`) and whether any
    transfer in the database lies after a day (`any_after[until]`)."""

    degrees: dict[tuple[str, dt.date | None, int], int] = field(default_factory=dict)
    any_after: dict[dt.date, bool] = field(default_factory=dict)


def transfer_subgraphs(g: Graph, starts: dict[str, tuple[list[str], dt.date]], until: dt.date | None = None,
                       max_hops: int = 4, max_edges: int = 20000, max_degree: int = 200, min_fen: int = 0,
                       first_min_fen: int | None = None, degree_cache: DegreeCache | None = None,
                       span_days: int | None = None, max_growth: Fraction | None = None,
                       ends: dict[str, tuple[frozenset[str], frozenset[str]]] | None = None,
                       first_next: tuple[Fraction, Fraction, int] | None = None,
                       timeout: float | None = 120.0) -> dict[str, FlowSubgraph]:
    """`transfer_subgraph` for many start sets at once (key -> (start accounts, since)): one read
    per hop for all of them, destination degrees read once per account (`degree_cache` keeps them
    across calls: an account with at most max_degree
    transfers in all gets that total, an upper bound of its degree up to `until`, so the node's
    `degree` is exact only where it decides something: above max_degree). Each result equals what `transfer_subgraph` gives
    for that key, except that the first hop (out of the start accounts) may take a higher floor,
    `first_min_fen`: a path search that starts only from first hops of at least that amount
    fetches nothing it could not use, and the cap of `max_edges` is spent on what it can.

    Bounded expansion for a path search whose paths start with such a first hop f: with
    `span_days`, later hops are read only on days within span_days after some first hop's day
    (f.on .. f.on + span_days); with `max_growth`, only up to max_growth x the largest first hop.
    An edge outside both can be on no path, so the search finds the same paths in less.

    `ends` (key -> (accounts, holder ids)): the last hop (number `max_hops`) keeps only transfers
    into those accounts or into accounts of those holders, for a search whose paths of max_hops
    hops must end there (a round trip back at the debtor, a chain at a related party): a node
    first reached at the last hop is never expanded, so nothing else of that hop is used, and its
    degree is not read either.

    `first_next` = (lo, hi, days): for a search whose second hop must carry lo..hi x the first's
    amount within `days` of it and that stops at a busy account, the first hop keeps only transfers
    that can go on (or into a possibly busy account): the paths are the same, the rows far fewer.

    Degrees up to `until`: when no transfer in the database lies after `until` (one index-backed
    count, cached in `degree_cache.any_after`), an account's total degree is exact and no transfer is read."""
    cache = DegreeCache() if degree_cache is None else degree_cache
    degrees_of = cache.degrees
    out: dict[str, FlowSubgraph] = {}
    seen: dict[str, set[str]] = {}
    frontier: dict[str, list[str]] = {}
    for k, (accounts, _since) in starts.items():
        G = nx.MultiDiGraph()
        G.add_nodes_from(accounts)
        out[k] = FlowSubgraph(G)
        seen[k] = set(accounts)
        frontier[k] = list(accounts)
    bounds: dict[str, tuple] = {}   # key -> (day windows, amount cap) of the hops after the first
    for hop in range(max_hops):
        floor = min_fen if hop or first_min_fen is None else max(min_fen, first_min_fen)
        live = []
        for k, fr in frontier.items():
            if not fr:
                continue
            if max_edges - out[k].graph.number_of_edges() <= 0:
                out[k].truncated = True
                continue
            live.append(k)
        if not live:
            break
        # the same account in several start sets with the same bounds is read once
        items: dict[tuple, int] = {}
        groups: dict[tuple, int] = {}
        item_of: dict[tuple[str, str], int] = {}
        last = ends is not None and hop == max_hops - 1
        for k in live:
            wins, cap = bounds.get(k, (None, None))
            end = ends.get(k, (frozenset(), frozenset())) if last else None
            grp = groups.setdefault((starts[k][1], wins, cap, end), len(groups))
            for aid in frontier[k]:
                item_of[(k, aid)] = items.setdefault((aid, grp), len(items))
        rows = g.read(_OUT_HOP_MANY, {
            "items": [{"i": i, "aid": a, "g": grp} for (a, grp), i in items.items()],
            "groups": [{"since": s, "min_fen": floor, "max_fen": cap,
                        "next": [float(first_next[0]), float(first_next[1]), int(first_next[2])]
                        if first_next is not None and hop == 0 else None,
                        "wins": [list(w) for w in wins] if wins is not None else None,
                        "ends": sorted(end[0]) if end is not None else None,
                        "end_holders": sorted(end[1]) if end is not None else None}
                       for (s, wins, cap, end), _g in sorted(groups.items(), key=lambda x: x[1])],
            "until": until, "max_degree": max_degree}, timeout=timeout)
        by_item: dict[int, list[dict]] = {}
        for r in rows:
            by_item.setdefault(r["i"], []).append(r)
        new_dst = sorted({r["dst"] for r in rows if (r["dst"], until, max_degree) not in degrees_of})
        if new_dst:
            busy: dict[str, int] = {}
            for r in g.read(_TOTAL_DEGREES, {"ids": new_dst}, timeout=timeout):
                if r["degree"] <= max_degree:   # not busy at any day: its total is an upper bound
                    degrees_of[(r["aid"], until, max_degree)] = r["degree"]
                else:
                    busy[r["aid"]] = r["degree"]
            if busy:
                if until is not None and until not in cache.any_after:
                    cache.any_after[until] = g.read(_ANY_AFTER, {"until": until}, timeout=timeout)[0]["n"] > 0
                if until is None or not cache.any_after[until]:   # the total is the degree up to until
                    for aid, deg in busy.items():
                        degrees_of[(aid, until, max_degree)] = deg
                else:
                    for r in g.read(_DEGREES, {"ids": sorted(busy), "until": until}, timeout=timeout):
                        degrees_of[(r["aid"], until, max_degree)] = r["degree"]
        for k in live:
            sub, G = out[k], out[k].graph
            krows = [r for aid in frontier[k] for r in by_item.get(item_of[(k, aid)], ())]
            if hop == 0 and (span_days is not None or max_growth is not None):
                firsts = [r for r in krows if r["dst"] not in seen[k]]   # first hops leave the start set
                bounds[k] = (_merged(sorted(r["on"] for r in firsts), span_days) if span_days is not None else None,
                             int(max(r["amount_fen"] for r in firsts) * max_growth)
                             if max_growth is not None and firsts else None)
            krows.sort(key=lambda r: (r["at"], r["transfer_id"]))
            remaining = max_edges - G.number_of_edges()
            if len(krows) > remaining:
                sub.truncated = True
                krows = krows[:remaining]
            nxt: list[str] = []
            for r in krows:
                deg = degrees_of[(r["dst"], until, max_degree)]
                G.add_node(r["dst"], holder_id=r["dst_holder"], holder_known=r["dst_holder_known"], degree=deg)
                G.add_edge(r["src"], r["dst"], key=r["transfer_id"], amount_fen=r["amount_fen"],
                           at=r["at"], on=r["on"], has_time=r["has_time"])
                if r["dst"] not in seen[k]:
                    seen[k].add(r["dst"])
                    if deg > max_degree:
                        sub.skipped_busy.add(r["dst"])
                    else:
                        nxt.append(r["dst"])
            frontier[k] = nxt
    return out


def _merged(days: list[dt.date], span: int) -> tuple[tuple[dt.date, dt.date], ...]:
    """Sorted days as merged windows [day, day + span]."""
    out: list[list[dt.date]] = []
    for d in days:
        end = d + dt.timedelta(days=span)
        if out and d <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([d, end])
    return tuple((a, b) for a, b in out)


def rows_to_digraph(rows: list[dict], source: str = "src", target: str = "dst",
                    key: str = "transfer_id") -> nx.MultiDiGraph:
    """Rows with a source, target and key column as a MultiDiGraph (other columns become edge data)."""
    G = nx.MultiDiGraph()
    for r in rows:
        data = {k: v for k, v in r.items() if k not in (source, target, key)}
        G.add_edge(r[source], r[target], key=r[key], **data)
    return G
