"""The subject's network: a bounded neighbourhood of parties, accounts and assets (nodes, edges,
cap, what was left out), the one model the web network page draws (web/netview.py).

Split from investigations/subject.py (the dossier) because it is a different product: a graph
walk with caps, not a list of rows. Every query takes values only as `$params` and is bounded
(a LIMIT over a frontier of ids, and a validated depth).
"""
from __future__ import annotations

import datetime as dt
import logging

from graph import Graph

from . import netmodel, queries

logger = logging.getLogger(__name__)

#: Accounts busier than this are shown but not expanded (payment platforms, employers).
BUSY_DEGREE = 200
#: Rows fetched per hop query (before the node cap is applied).
HOP_ROW_LIMIT = 5000


ALLOWED_DEPTHS = (1, 2, 3)


# ------------------------------------------------------------------------------------------------
class _Net:
    """Accumulates the neighbourhood's nodes and edges under a node cap."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes: dict[str, dict] = {}
        self.edges: dict[str, dict] = {}
        self.dropped: set[str] = set()

    def has(self, nid: str) -> bool:
        return nid in self.nodes

    def add(self, node: dict) -> bool:
        nid = node["id"]
        if nid in self.nodes:
            return True
        if len(self.nodes) >= self.max_nodes:
            self.dropped.add(nid)
            return False
        self.nodes[nid] = node
        return True

    def entity(self, key: str | None) -> str | None:
        """The node id of a person / company already in the view."""
        if key is None:
            return None
        for prefix in ("p:", "c:"):
            if prefix + key in self.nodes:
                return prefix + key
        return None

    def edge(self, src: str | None, dst: str | None, kind: str, key: str, data: dict) -> None:
        if src is None or dst is None or src not in self.nodes or dst not in self.nodes:
            return
        eid = f"{kind}:{key}"
        if eid not in self.edges:
            self.edges[eid] = {"id": eid, "from": src, "to": dst, "kind": kind, **data}


def _nid(kind: str, key: str) -> str:
    prefix = {"person": "p", "inmate": "p", "company": "c", "account": "a", "unknown_account": "a",
              "asset": "s"}[kind]
    return f"{prefix}:{key}"


def _entity_node(n: dict, labels: list[str], depth: int, open_cases: list[str]) -> dict:
    if "Company" in labels:
        return {"id": _nid("company", n["company_id"]), "key": n["company_id"], "kind": "company",
                "name": n.get("name"), "depth": depth, "open_cases": open_cases}
    kind = "inmate" if "Inmate" in labels else "person"
    return {"id": _nid(kind, n["person_id"]), "key": n["person_id"], "kind": kind, "name": n.get("name"),
            "depth": depth, "open_cases": open_cases, "prison": n.get("prison")}


def _account_node(r: dict, depth: int) -> dict:
    known = bool(r.get("holder_known"))
    names = r.get("stmt_names") or []
    if isinstance(names, str):
        names = [names]
    return {"id": _nid("account", r["account_id"]), "key": r["account_id"],
            "kind": "account" if known else "unknown_account",
            "name": None if known else (names[0] if names else None),
            "account_kind": r.get("kind"), "institution": r.get("institution"), "holder": r.get("holder"),
            "degree": r.get("degree") or 0, "busy": (r.get("degree") or 0) > BUSY_DEGREE, "depth": depth}


def _asset_node(r: dict, depth: int) -> dict:
    return {"id": _nid("asset", r["asset_id"]), "key": r["asset_id"], "kind": "asset",
            "name": r.get("description"), "asset_kind": r.get("kind"),
            "appraised_value_fen": r.get("appraised_value_fen"), "depth": depth}


def neighbourhood(graph: Graph, subject_id: str, depth: int = 1, since: dt.date | None = None,
                  min_fen: int = 0, max_nodes: int = netmodel.PAGE_MAX_NODES) -> dict | None:
    """The subject's neighbourhood for the network view, breadth first, capped at `max_nodes` nodes.

    A hop is one link between parties: a transfer (account to account), a relation, a company
    role, an asset owned or conveyed. An account counts as part of its holder (holder and
    accounts come in the same hop). Transfers are filtered by `since` and `min_fen`; a hop's
    counterparty accounts are ranked by the money they moved with the frontier and cut to the room
    left IN the database (Q_NETWORK_TRANSFERS), so the cap keeps the biggest flows and a hub's
    thousands of counterparties are counted, never shipped. Edges are aggregated per account pair
    (count, CNY total, first/last day, up to 50 transfer ids). Accounts with more than BUSY_DEGREE
    transfers are shown but not expanded, except the root's own accounts. `subject_id` may also be an account or asset id (to
    expand any node of the view). Returns None if unknown, else {"root", "nodes", "edges",
    "truncated", "more" (nodes left out by the cap: fetched and dropped, plus counterparty accounts
    beyond the rows fetched), "busy", "depth", "since", "min_fen"}.
    Node kinds: person, inmate, company, account, unknown_account, asset. Edge kinds: holds,
    transfer, related, role, owns, conveyed (party -> asset), conveyed_to (asset -> party).
    """
    if depth not in ALLOWED_DEPTHS:
        raise ValueError(f"depth must be one of {ALLOWED_DEPTHS}, not {depth!r}")
    max_nodes = max(1, min(int(max_nodes), netmodel.HARD_MAX_NODES))
    min_fen = max(0, int(min_fen or 0))
    root = graph.read_one(queries.Q_NETWORK_RESOLVE, {"id": subject_id})
    if root is None:
        return None
    net = _Net(max_nodes)
    ents: list[str] = []
    accts: list[str] = []
    assets: list[str] = []
    if root["what"] == "entity":
        ents = [subject_id]
    elif root["what"] == "account":
        r = graph.read(queries.Q_NETWORK_ACCOUNT_NODES, {"ids": [subject_id], "limit": 1})[0]
        net.add(_account_node(r, 0))
        accts = [subject_id]
        if r.get("holder"):
            ents = [r["holder"]]  # the holder comes with its account
    else:
        r = graph.read(queries.Q_NETWORK_ASSET_LINKS, {"ids": [subject_id], "limit": 1})[0]
        net.add(_asset_node(r, 0))
        assets = [subject_id]
    root_id = {"entity": None, "account": _nid("account", subject_id),
               "asset": _nid("asset", subject_id)}[root["what"]]

    done_ent: set[str] = set()
    done_acct: set[str] = set()
    done_asset: set[str] = set()
    busy: set[str] = set()
    tried: set[str] = set()  # entity ids already fetched (added, or left out by the cap)
    unseen = 0  # counterparty accounts beyond the rows fetched (counted, never fetched)
    for hop in range(depth + 1):
        # Materialise this hop's entities, then their accounts (an account belongs to its holder).
        new_ents = [e for e in dict.fromkeys(ents) if e not in done_ent and net.entity(e) is None
                    and e not in tried]
        tried.update(new_ents)
        if new_ents:
            for r in graph.read(queries.Q_NETWORK_ENTITIES, {"ids": new_ents, "limit": HOP_ROW_LIMIT}):
                net.add(_entity_node(r["n"], r["labels"], hop, r["open_cases"]))
        if root_id is None:
            root_id = net.entity(subject_id)
        ents = [e for e in dict.fromkeys(ents) if e not in done_ent and net.entity(e) is not None]
        if ents:
            for r in graph.read(queries.Q_NETWORK_ACCOUNTS, {"ids": ents, "limit": HOP_ROW_LIMIT}):
                nd = _account_node(r, hop)
                if net.add(nd):
                    net.edge(net.entity(r["holder"]), nd["id"], "holds", r["account_id"], {})
                    accts.append(r["account_id"])
        if hop == depth:
            break
        if len(net.nodes) >= max_nodes and net.dropped:
            break  # full: further hops could only add to the count of what is left out
        # rows fetched per query scale with the room left (the largest flows come first)
        row_limit = min(HOP_ROW_LIMIT, max(200, 4 * (max_nodes - len(net.nodes))))
        accts = [a for a in dict.fromkeys(accts) if a not in done_acct and net.has(_nid("account", a))]
        assets = [a for a in dict.fromkeys(assets) if a not in done_asset and net.has(_nid("asset", a))]
        done_ent.update(ents)
        done_acct.update(accts)
        done_asset.update(assets)
        nxt_ents: list[str] = []
        nxt_accts: list[str] = []
        nxt_assets: list[str] = []
        links: list[tuple[str, str, str, str, dict]] = []  # (kind, key, src ref, dst ref, data)

        # Transfers of this hop's accounts; busy accounts are not expanded, except the root's own
        # (depth 0): a debtor with thousands of counterparties is the case to look at, and the
        # largest flows come first under the cap.
        expandable = []
        for a in accts:
            nd = net.nodes[_nid("account", a)]
            if nd.get("busy") and nd["id"] != root_id and nd.get("depth", 1) > 0:
                busy.add(a)
            else:
                expandable.append(a)
        if expandable:
            # The cap is applied in the database: only the `room` counterparties with the largest
            # flows come back (one row per account pair), with how many there were in all.
            room = max(0, max_nodes - len(net.nodes))
            known = [n["key"] for n in net.nodes.values() if n["kind"] in ("account", "unknown_account")]
            known += [d.split(":", 1)[1] for d in net.dropped if d.startswith("a:")]  # already counted
            got = graph.read_one(queries.Q_NETWORK_TRANSFERS, {"ids": expandable, "known": known, "since": since,
                                                               "min_fen": min_fen, "limit": room})
            rows = got["rows"]
            unseen += got["total"] - len({r["account_id"] for r in rows})
            # a new account keeps a place for its holder (who comes in the next hop), so a capped
            # view shows people with their accounts rather than only accounts
            pending: set[str] = set()
            for r in rows:  # counterparty by counterparty, largest flows first
                aid = r["account_id"]
                nid = _nid("account", aid)
                if not net.has(nid) and nid not in net.dropped:
                    holder = r.get("holder")
                    new_holder = bool(holder) and net.entity(holder) is None and holder not in pending \
                        and holder not in tried
                    room_left = max_nodes - len(net.nodes) - len(pending)
                    if room_left < 1:
                        net.dropped.add(nid)
                    elif net.add(_account_node(r, hop + 1)):
                        nxt_accts.append(aid)
                        if holder:
                            nxt_ents.append(holder)
                            if new_holder and room_left >= 2:
                                pending.add(holder)
                _transfer_edge(net, r)
        # Relations, roles, assets of this hop's entities, and links of this hop's assets.
        if ents:
            for r in graph.read(queries.Q_NETWORK_RELATED, {"ids": ents, "limit": row_limit}):
                nxt_ents += [r["src"], r["dst"]]
                links.append(("related", f'{r["src"]}-{r["relation"]}-{r["dst"]}', "e:" + r["src"],
                              "e:" + r["dst"], {"relation": r["relation"], "ended": r["ended"],
                                                "since": r["since"], "until": r["until"]}))
            for r in graph.read(queries.Q_NETWORK_ROLES, {"ids": ents, "limit": row_limit}):
                nxt_ents += [r["src"], r["dst"]]
                links.append(("role", f'{r["src"]}-{r["role"]}-{r["dst"]}', "e:" + r["src"], "e:" + r["dst"],
                              {"role": r["role"], "share_pct": r["share_pct"], "since": r["since"],
                               "until": r["until"]}))
        asset_rows = graph.read(queries.Q_NETWORK_ASSETS, {"ids": ents, "limit": row_limit}) if ents else []
        if assets:
            asset_rows += graph.read(queries.Q_NETWORK_ASSET_LINKS, {"ids": assets, "limit": row_limit})
        for r in asset_rows:
            if net.add(_asset_node(r, hop + 1)) and r["asset_id"] not in done_asset:
                nxt_assets.append(r["asset_id"])
            if r.get("owner_id"):
                nxt_ents.append(r["owner_id"])
                links.append(("owns", r["asset_id"], "e:" + r["owner_id"], "s:" + r["asset_id"], {}))
            if r.get("atid"):
                nxt_ents += [r["from_id"], r["to_id"]]
                data = {"on": r["on"], "price_fen": r["price_fen"], "transfer_id": r["atid"]}
                links.append(("conveyed", r["atid"], "e:" + r["from_id"], "s:" + r["asset_id"], data))
                links.append(("conveyed_to", r["atid"], "s:" + r["asset_id"], "e:" + r["to_id"], data))
        # Materialise the entities these links name (they belong to the next hop), then the links.
        new_ents = [e for e in dict.fromkeys(nxt_ents) if e and net.entity(e) is None and e not in tried]
        tried.update(new_ents)
        if new_ents:
            for r in graph.read(queries.Q_NETWORK_ENTITIES, {"ids": new_ents, "limit": row_limit}):
                nd = _entity_node(r["n"], r["labels"], hop + 1, r["open_cases"])
                net.add(nd)
        for kind, key, src, dst, data in links:
            net.edge(_ref(net, src), _ref(net, dst), kind, key, data)
        ents = [e for e in dict.fromkeys(nxt_ents) if e and e not in done_ent]
        accts = nxt_accts
        assets = nxt_assets
    _links_among(graph, net, since, min_fen)
    edges = list(net.edges.values())
    return {"root": root_id, "nodes": list(net.nodes.values()), "edges": edges,
            "truncated": bool(net.dropped) or unseen > 0, "more": len(net.dropped) + unseen, "busy": sorted(busy),
            "depth": depth, "since": since, "min_fen": min_fen}


def _transfer_edge(net: _Net, r: dict) -> None:
    net.edge(_nid("account", r["src"]), _nid("account", r["dst"]), "transfer", f'{r["src"]}->{r["dst"]}',
             {"count": r["n"], "amount_fen": r["cny_fen"], "all_fen": r["all_fen"],
              "first_on": r["first_on"], "last_on": r["last_on"],
              "transfer_ids": r["transfer_ids"], "currencies": r["currencies"]})


def _links_among(graph: Graph, net: _Net, since: dt.date | None, min_fen: int) -> None:
    """Transfers, relations and roles between nodes already in the view (no new nodes)."""
    ids = [n["key"] for n in net.nodes.values() if n["kind"] in ("account", "unknown_account")]
    if ids:
        # the query walks the fewest transfers that find them all (a hub's or a platform's thousands
        # of payments from outside the view are not walked; see the query)
        for r in graph.read(queries.Q_NETWORK_TRANSFERS_AMONG,
                            {"ids": ids, "since": since, "min_fen": min_fen, "limit": HOP_ROW_LIMIT}):
            _transfer_edge(net, r)
    persons = [n["key"] for n in net.nodes.values() if n["kind"] in ("person", "inmate")]
    ents = persons + [n["key"] for n in net.nodes.values() if n["kind"] == "company"]
    if persons:
        for r in graph.read(queries.Q_NETWORK_RELATED, {"ids": persons, "limit": HOP_ROW_LIMIT}):
            net.edge(net.entity(r["src"]), net.entity(r["dst"]), "related",
                     f'{r["src"]}-{r["relation"]}-{r["dst"]}',
                     {"relation": r["relation"], "ended": r["ended"], "since": r["since"], "until": r["until"]})
    if ents:
        for r in graph.read(queries.Q_NETWORK_ROLES, {"ids": ents, "limit": HOP_ROW_LIMIT}):
            net.edge(net.entity(r["src"]), net.entity(r["dst"]), "role", f'{r["src"]}-{r["role"]}-{r["dst"]}',
                     {"role": r["role"], "share_pct": r["share_pct"], "since": r["since"], "until": r["until"]})


def _ref(net: _Net, ref: str) -> str | None:
    kind, key = ref.split(":", 1)
    if kind == "e":
        return net.entity(key)
    nid = _nid("asset", key)
    return nid if net.has(nid) else None


def default_since(graph: Graph, subject_id: str) -> dt.date | None:
    """The window start the network page uses when none is given: the open cases' earliest litigation start."""
    from .subject import header

    head = header(graph, subject_id)
    return head["open_litigation_start"] if head else None


def export_graph(graph: Graph, subject_id: str, fmt: str, depth: int = 1, since: dt.date | None = None,
                 min_fen: int = 0, max_nodes: int = netmodel.PAGE_MAX_NODES,
                 lang: str = "zh") -> tuple[bytes, dict] | None:
    """The subject's network as GraphML or GEXF bytes: the same neighbourhood (same arguments, same
    cap) the network page draws, written by the one model's exporter. None if the id is unknown;
    also returns the neighbourhood, so callers can say how many nodes and edges were written."""
    if fmt not in netmodel.EXPORT_FORMATS:
        raise ValueError(f"format must be one of {netmodel.EXPORT_FORMATS}, not {fmt!r}")
    nb = neighbourhood(graph, subject_id, depth=depth, since=since, min_fen=min_fen, max_nodes=max_nodes)
    if nb is None:
        return None
    return netmodel.export_bytes(nb, fmt, netmodel.plain_words(lang)), nb
