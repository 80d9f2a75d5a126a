"""The package's network: the evidence records (the subject's accounts, counterparties, relations,
conveyed assets) as a network in the one model's shape (investigations.netmodel), capped by money,
and the two renderings the package needs: the PDF figure and the offline page's data.

Kinds, colours, shapes, ids, labels, the layout and the cap's wording all come from the model, so
the package draws what the web network page draws. What is the package's own: which nodes are in
it (the records, not a graph walk) and how they are ranked for the cap (by money).
"""
from __future__ import annotations

from typing import Any

from investigations import netmodel, pdfdoc

from .common import MAX_FIGURE_NODES

#: The package's words: Chinese labels, exact yuan (a referral is not rounded), ISO dates.
WORDS = netmodel.plain_words("zh")

_PREFIX = {"person": "p", "inmate": "p", "company": "c"}


def evidence_network(data: dict, max_nodes: int) -> dict:
    """The network of the evidence records: subject, accounts, counterparties, assets; capped.

    Transfers are aggregated per account pair (count, CNY total, first/last day, ids). Nodes beyond
    `max_nodes` (the smallest flows) are left out and counted in `more`; `total` counts all.
    A party whose kind the records do not say (a holder further down a chain, the other side of a
    conveyance) is drawn as a person.
    """
    prof = data["profile"]
    sid = data["subject_id"]
    nodes: dict[str, dict] = {}
    edges: dict[str, dict] = {}
    weight: dict[str, int] = {}
    ent_ids: dict[str, str] = {}  # party key -> node id (a key keeps the kind it was first seen with)

    def add(node: dict, w: int = 0) -> str:
        nodes.setdefault(node["id"], node)
        weight[node["id"]] = weight.get(node["id"], 0) + w
        return node["id"]

    def ent(key: str | None, name: str | None, kind: str | None = None) -> str | None:
        if not key:
            return None
        if key in ent_ids:
            nid = ent_ids[key]
            if name and not nodes[nid].get("name"):
                nodes[nid]["name"] = name
            return nid
        kind = kind if kind in _PREFIX else "person"
        nid = add({"id": f"{_PREFIX[kind]}:{key}", "key": key, "kind": kind, "name": name or None, "depth": 1})
        ent_ids[key] = nid
        return nid

    def account(acct: str, known: bool, name: str | None = None, own: bool = False) -> str:
        nid = "a:" + acct
        if nid not in nodes:
            add({"id": nid, "key": acct, "kind": "account" if known else "unknown_account",
                 "name": None if known else name, "depth": 0 if own else 1})
        elif not known and name and nodes[nid]["kind"] == "unknown_account" and not nodes[nid].get("name"):
            nodes[nid]["name"] = name
        return nid

    def holds(holder: str | None, acct: str) -> None:
        if holder:
            edges.setdefault("holds:" + acct, {"id": "holds:" + acct, "from": holder, "to": "a:" + acct,
                                               "kind": "holds"})
            if nodes["a:" + acct]["kind"] == "unknown_account":
                nodes["a:" + acct].update(kind="account", name=None)

    skind = "inmate" if prof.get("inmate") else (prof.get("kind") or "person")
    subj = ent(sid, prof.get("name"), skind)
    nodes[subj]["depth"] = 0
    weight[subj] = 1 << 60
    own = {a["account_id"] for a in prof["accounts"]}
    for a in prof["accounts"]:
        nid = account(a["account_id"], True, own=True)
        nodes[nid].update(account_kind=a.get("kind"), institution=a.get("institution"), holder=sid)
        weight[nid] = 1 << 59
        holds(subj, a["account_id"])
    for r in prof.get("relations", []):
        o = ent(r["other_id"], r["other_name"], "person")
        rel = r["relation_to_subject"]
        eid = f"related:{sid}-{rel}-{r['other_id']}"
        edges[eid] = {"id": eid, "from": subj, "to": o, "kind": "related", "relation": rel}
    agg: dict[tuple[str, str], dict] = {}
    for r in data["records"]:
        if r["kind"] == "transfer":
            cp_acct = r.get("counterparty_account")
            for acct in (r["from"], r["to"]):
                if acct and acct not in own:
                    unknown_name = r.get("counterparty_name") if acct == cp_acct and not r.get("counterparty_id") \
                        else None
                    account(acct, acct != cp_acct or bool(r.get("counterparty_id")), unknown_name)
            e = agg.setdefault((r["from"], r["to"]), {"n": 0, "fen": 0, "all": 0, "cited": False, "ids": [],
                                                      "days": [], "cur": set()})
            e["n"] += 1
            if r["currency"] == "CNY":
                e["fen"] += r["amount_fen"]
            e["all"] += r["amount_fen"]
            e["cur"].add(r["currency"])
            e["ids"].append(r["id"])
            e["days"].append(r["date"])
            e["cited"] = e["cited"] or bool(r["patterns"])
            if cp_acct and r.get("counterparty_id") and cp_acct not in own:
                holds(ent(r["counterparty_id"], r.get("counterparty_name"), r.get("counterparty_kind")), cp_acct)
            if r.get("from_holder_id") and r["from"] not in own:
                holds(ent(r["from_holder_id"], None), r["from"])
        elif r["kind"] == "asset_transfer":
            sn = add({"id": "s:" + r["asset_id"], "key": r["asset_id"], "kind": "asset",
                      "name": r.get("asset_description") or None, "asset_kind": r.get("asset_kind"),
                      "appraised_value_fen": r.get("appraised_fen"), "depth": 1},
                     r["appraised_fen"] or r["amount_fen"])
            f = ent(r["from"], r.get("from_name"), r.get("counterparty_kind") if r["from"] == r.get("counterparty_id")
                    else None)
            t = ent(r["to"], r.get("to_name"), r.get("counterparty_kind") if r["to"] == r.get("counterparty_id")
                    else None)
            cited = bool(r["patterns"])
            conv = {"on": r["date"], "price_fen": r["amount_fen"], "transfer_id": r["id"], "cited": cited}
            if f:
                edges["conveyed:" + r["id"]] = {"id": "conveyed:" + r["id"], "from": f, "to": sn, "kind": "conveyed",
                                                **conv}
            if t:
                edges["conveyed_to:" + r["id"]] = {"id": "conveyed_to:" + r["id"], "from": sn, "to": t,
                                                   "kind": "conveyed_to", **conv}
        elif r["kind"] == "balance":
            nid = account(r["to"], True, own=True)
            weight[nid] = max(weight.get(nid, 0), 1 << 59)
    for (src, dst), e in agg.items():
        for acct in (src, dst):
            weight["a:" + acct] = weight.get("a:" + acct, 0) + e["fen"]
        eid = f"transfer:{src}->{dst}"
        edges[eid] = {"id": eid, "from": "a:" + src, "to": "a:" + dst, "kind": "transfer", "count": e["n"],
                      "amount_fen": e["fen"], "all_fen": e["all"], "first_on": min(e["days"]),
                      "last_on": max(e["days"]), "transfer_ids": sorted(e["ids"]), "currencies": sorted(e["cur"]),
                      "cited": e["cited"]}
    # holders weigh as much as their accounts
    for e in edges.values():
        if e["kind"] == "holds":
            weight[e["from"]] = max(weight.get(e["from"], 0), weight.get(e["to"], 0))
    for nid, n in nodes.items():
        n["weight"] = weight.get(nid, 0)
    net = {"root": subj, "nodes": [nodes[k] for k in sorted(nodes)],
           "edges": [edges[k] for k in sorted(edges) if edges[k]["from"] in nodes and edges[k]["to"] in nodes],
           "more": 0}
    capped = netmodel.keep_heaviest(net, max_nodes, weight)
    return {**capped, "total": len(nodes)}


def layout(net: dict, seed: int = 7) -> dict[str, tuple[float, float]]:
    """The model's layout (kept here for callers of the package's old interface)."""
    return netmodel.layout(net, seed)


def network_figure(data: dict, rc: dict | None = None) -> tuple[bytes, dict]:
    """The PDF's network figure as PNG bytes, capped at MAX_FIGURE_NODES nodes, with its counts for
    the manifest ({"network_nodes_drawn", "network_nodes_not_drawn"}). Without an `rc` the figure still
    uses the one CJK font (investigations.pdfdoc), so Chinese names never come out as empty boxes."""
    if rc is None:
        rc = {"font.family": [pdfdoc.matplotlib_family()], "axes.unicode_minus": False}
    net = evidence_network(data, MAX_FIGURE_NODES)
    note = netmodel.cap_notice(len(net["nodes"]), net["more"], MAX_FIGURE_NODES, drawn=True)
    png = netmodel.figure_png(net, WORDS, note=note, rc=rc)
    return png, {"network_nodes_drawn": len(net["nodes"]), "network_nodes_not_drawn": net["more"]}


def vis_data(net: dict) -> dict[str, Any]:
    """The offline page's vis-network data: the model's rendering with the package's words. The page
    has no physics to settle it, so the model's layout is scaled to a readable zoom when it fits."""
    scale = 300 * max(1.0, (len(net["nodes"]) ** 0.5) / 4)
    pos = {k: (x * scale, y * scale) for k, (x, y) in netmodel.layout(net).items()}
    return netmodel.to_vis(net, WORDS, positions=pos)


def legend() -> list[tuple[str, str]]:
    """(colour, words) per kind of node and for a cited edge, from the model's legend."""
    return ([(item["colour"], f'{netmodel.SHAPE_SYMBOL.get(item["shape"], "●")} {item["label"]}')
             for item in netmodel.legend(WORDS)]
            + [(netmodel.HIGHLIGHT, f'— {WORDS.label("edge_kind", "cited")}')])
