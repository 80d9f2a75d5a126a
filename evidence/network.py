"""The package's network model (nodes, edges, cap) and its deterministic layout, drawn by both
the PDF figure (evidence.pdf) and the offline page (evidence.files).
"""
from __future__ import annotations

from investigations import labels

from .common import fen_text

#: Above this many nodes the network is laid out in rings instead of by springs.
SPRING_MAX_NODES = 400

#: How each kind of node is drawn, by both renderings (the PDF figure and network.html):
#: colour, vis-network shape and size, matplotlib marker and size, legend words.
NODE_STYLE = {
    "subject": {"color": "#c0392b", "shape": "star", "size": 28, "marker": "*", "msize": 260, "symbol": "★",
                "legend": "被调查人"},
    "own_account": {"color": "#e67e22", "shape": "box", "size": 14, "marker": "s", "msize": 60, "symbol": "■",
                    "legend": "本人账户"},
    "entity": {"color": "#2980b9", "shape": "dot", "size": 16, "marker": "o", "msize": 90, "symbol": "●",
               "legend": "人员/企业"},
    "account": {"color": "#95a5a6", "shape": "box", "size": 10, "marker": "s", "msize": 35, "symbol": "■",
                "legend": "其他账户"},
    "asset": {"color": "#8e44ad", "shape": "diamond", "size": 16, "marker": "D", "msize": 80, "symbol": "◆",
              "legend": "财产"},
}
#: Edges: a cited edge (a detection pattern cites the money or asset that moved) in red and thicker;
#: holding and family links dashed and without arrows.
CITED_COLOUR = "#c0392b"
PLAIN_COLOUR = "#95a5a6"
CITED_LEGEND = "被检测模式引用的资金/财产流向"
UNDIRECTED_KINDS = ("related", "holds")


def evidence_network(data: dict, max_nodes: int) -> dict:
    """The network of the evidence records: subject, accounts, counterparties, assets; capped.

    Transfers are aggregated per account pair. Nodes beyond `max_nodes` (the smallest flows)
    are left out and counted in `more`.
    """
    prof = data["profile"]
    sid = data["subject_id"]
    nodes: dict[str, dict] = {}
    edges: dict[str, dict] = {}
    weight: dict[str, int] = {}

    def node(nid: str, kind: str, label: str, title: str, w: int = 0) -> None:
        if nid not in nodes:
            nodes[nid] = {"id": nid, "kind": kind, "label": label, "title": title}
        weight[nid] = weight.get(nid, 0) + w

    def ent(eid: str | None, name: str | None) -> str | None:
        if not eid:
            return None
        nid = "e:" + eid
        node(nid, "entity", name or eid, f"{name or ''} {eid}".strip())
        return nid

    subj = "e:" + sid
    node(subj, "subject", prof.get("name") or sid, f"被调查人 {prof.get('name') or ''} {sid}", 1 << 60)
    for a in prof["accounts"]:
        node("a:" + a["account_id"], "own_account", "本人账户 …" + a["account_id"][-6:],
             f"本人账户 {a['account_id']} {a.get('institution') or ''}", 1 << 59)
        edges["h:" + a["account_id"]] = {"from": subj, "to": "a:" + a["account_id"], "kind": "holds", "label": ""}
    for r in prof.get("relations", []):
        o = ent(r["other_id"], r["other_name"])
        edges[f"r:{r['other_id']}:{r['relation_to_subject']}"] = {
            "from": subj, "to": o, "kind": "related", "label": labels.zh("relation", r["relation_to_subject"])}
    own = {a["account_id"] for a in prof["accounts"]}
    agg: dict[tuple[str, str], dict] = {}
    for r in data["records"]:
        if r["kind"] == "transfer":
            for acct in (r["from"], r["to"]):
                if acct and acct not in own:
                    node("a:" + acct, "account", "…" + acct[-6:], f"账户 {acct}")
            e = agg.setdefault((r["from"], r["to"]), {"n": 0, "fen": 0, "cited": False})
            e["n"] += 1
            if r["currency"] == "CNY":
                e["fen"] += r["amount_fen"]
            e["cited"] = e["cited"] or bool(r["patterns"])
            cp_acct = r.get("counterparty_account")
            if cp_acct and not r.get("counterparty_id") and r.get("counterparty_name") and cp_acct not in own:
                nodes["a:" + cp_acct]["title"] = f"账户 {cp_acct}（流水户名：{r['counterparty_name']}，户主不明）"
            if cp_acct and r.get("counterparty_id") and cp_acct not in own:
                h = ent(r["counterparty_id"], r["counterparty_name"])
                edges["h:" + cp_acct] = {"from": h, "to": "a:" + cp_acct, "kind": "holds", "label": ""}
            if r.get("from_holder_id") and r["from"] not in own:
                h = ent(r["from_holder_id"], None)
                edges["h:" + r["from"]] = {"from": h, "to": "a:" + r["from"], "kind": "holds", "label": ""}
        elif r["kind"] == "asset_transfer":
            sn = "s:" + r["asset_id"]
            node(sn, "asset", (r.get("asset_description") or r["asset_id"])[:12],
                 f"财产 {r['asset_id']} {r.get('asset_description') or ''}", r["appraised_fen"] or r["amount_fen"])
            f = ent(r["from"], r.get("from_name"))
            t = ent(r["to"], r.get("to_name"))
            edges["c:" + r["id"]] = {"from": f, "to": sn, "kind": "conveyed", "label": r["date"],
                                     "cited": bool(r["patterns"])}
            edges["ct:" + r["id"]] = {"from": sn, "to": t, "kind": "conveyed_to", "label": r["date"],
                                      "cited": bool(r["patterns"])}
        elif r["kind"] == "balance":
            node("a:" + r["to"], "own_account", "本人账户 …" + r["to"][-6:], f"本人账户 {r['to']}", 1 << 59)
    for (src, dst), e in agg.items():
        for acct in (src, dst):
            weight["a:" + acct] = weight.get("a:" + acct, 0) + e["fen"]
        edges[f"t:{src}>{dst}"] = {"from": "a:" + src, "to": "a:" + dst, "kind": "transfer", "count": e["n"],
                                   "amount_fen": e["fen"], "cited": e["cited"],
                                   "label": f"{e['n']}笔 ¥{fen_text(e['fen'])}"}
    # holders weigh as much as their accounts
    for e in edges.values():
        if e["kind"] == "holds" and e["from"]:
            weight[e["from"]] = max(weight.get(e["from"], 0), weight.get(e["to"], 0))
    ranked = sorted(nodes, key=lambda n: (-weight.get(n, 0), n))
    keep = set(ranked[:max_nodes])
    kept_nodes = [dict(nodes[n], weight=weight.get(n, 0)) for n in sorted(keep)]
    kept_edges = []
    for eid in sorted(edges):
        e = edges[eid]
        if e["from"] in keep and e["to"] in keep:
            kept_edges.append(dict(e, id=eid))
    return {"nodes": kept_nodes, "edges": kept_edges, "more": len(nodes) - len(keep), "total": len(nodes)}


def layout(net: dict, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Deterministic positions (spring layout with a fixed seed, rounded)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(n["id"] for n in net["nodes"])
    g.add_edges_from((e["from"], e["to"]) for e in net["edges"])
    if len(g) == 0:
        return {}
    if len(g) <= SPRING_MAX_NODES:
        k = 1.5 / max(1, len(g)) ** 0.5
        pos = nx.spring_layout(g, seed=seed, k=k, iterations=100, method="force")
    else:
        # big views: rings by kind (subject and own accounts inside), heaviest first; no scipy needed
        kinds = {n["id"]: n["kind"] for n in net["nodes"]}
        order = [n["id"] for n in sorted(net["nodes"], key=lambda n: (-n.get("weight", 0), n["id"]))]
        rings = [[n for n in order if kinds[n] in ("subject", "own_account")],
                 [n for n in order if kinds[n] in ("entity", "asset")],
                 [n for n in order if kinds[n] == "account"]]
        pos = nx.shell_layout(g, nlist=[r for r in rings if r])
    return {n: (round(float(x), 4), round(float(y), 4)) for n, (x, y) in pos.items()}
