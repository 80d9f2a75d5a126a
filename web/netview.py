"""Neighbourhood dicts (investigations.network.neighbourhood) as vis-network data with server-side positions.

Positions come from a seeded NetworkX spring layout so the browser never runs a physics
simulation on a big graph: physics is on only below PHYSICS_MAX_NODES, and then only to
settle an already laid-out picture. Labels are plain text (vis-network renders string
titles as text; the template passes data through |tojson), so names cannot inject HTML.
"""
from __future__ import annotations

import math
from typing import Any

import networkx as nx

from .i18n import fmt_date, label, yuan, yuan_short

PHYSICS_MAX_NODES = 150
STYLE = {  # kind -> (shape, colour)
    "person": ("dot", "#2f6fdf"),
    "inmate": ("star", "#c0392b"),
    "company": ("square", "#8e44ad"),
    "account": ("diamond", "#16a085"),
    "unknown_account": ("triangle", "#7f8c8d"),
    "asset": ("hexagon", "#d68910"),
}
EDGE_COLOUR = {"transfer": "#34495e", "holds": "#95a5a6", "related": "#e67e22", "role": "#8e44ad",
               "owns": "#d68910", "conveyed": "#d35400", "conveyed_to": "#d35400"}
HIGHLIGHT = "#e74c3c"


def layout(nb: dict, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Seeded spring layout, scaled to the canvas; the root pinned at the centre."""
    G = nx.Graph()
    G.add_nodes_from(n["id"] for n in nb["nodes"])
    for e in nb["edges"]:
        G.add_edge(e["from"], e["to"])
    n = max(1, G.number_of_nodes())
    if n == 1:
        return {next(iter(G.nodes)): (0.0, 0.0)}
    pos = nx.spring_layout(G, seed=seed, k=1.6 / math.sqrt(n), iterations=50 if n <= PHYSICS_MAX_NODES else 30)
    scale = 220 * math.sqrt(n)
    root = nb.get("root")
    cx, cy = pos.get(root, (0.0, 0.0))
    return {k: ((x - cx) * scale, (y - cy) * scale) for k, (x, y) in pos.items()}


def node_label(n: dict) -> str:
    if n["kind"] in ("account", "unknown_account"):
        name = n.get("name")
        key = n["key"]
        short = key if len(key) <= 12 else "…" + key[-8:]
        return f"{short}\n{name}" if name else short
    return n.get("name") or n["key"]


def node_title(n: dict) -> str:
    """Hover text (plain text: vis-network shows string titles as text)."""
    lines = [label("node_kind", n["kind"]), n["key"]]
    if n.get("name"):
        lines.append(n["name"])
    if n.get("account_kind"):
        lines.append(label("account_kind", n["account_kind"]) + (" " + n["institution"] if n.get("institution") else ""))
    if n.get("prison"):
        lines.append(n["prison"])
    if n.get("open_cases"):
        lines.extend(n["open_cases"][:5])
    if n.get("appraised_value_fen"):
        lines.append(yuan(n["appraised_value_fen"]))
    if n.get("busy"):
        lines.append("⚠ " + str(n.get("degree")))
    return "\n".join(str(x) for x in lines)


def edge_label(e: dict) -> str:
    k = e["kind"]
    if k == "transfer":
        day = fmt_date(e.get("first_on"))
        if e.get("count", 1) > 1:
            day = f"{fmt_date(e.get('first_on'))}…{fmt_date(e.get('last_on'))} ×{e['count']}"
        amt = yuan_short(e.get("amount_fen")) if e.get("amount_fen") else yuan_short(e.get("all_fen"))
        cur = [c for c in e.get("currencies") or [] if c != "CNY"]
        return f"{day}\n{amt}" + (f" (+{','.join(cur)})" if cur else "")
    if k == "related":
        rel = "former_spouse" if e.get("relation") == "spouse" and e.get("ended") else e.get("relation")
        return label("relation", rel)
    if k == "role":
        return label("company_role", e.get("role"))
    if k in ("conveyed", "conveyed_to"):
        return f"{fmt_date(e.get('on'))}\n{yuan_short(e.get('price_fen') or 0)}" if k == "conveyed" else ""
    return ""


def to_vis(nb: dict, evidence: set[str] | None = None, positions: dict | None = None) -> dict[str, Any]:
    """vis-network nodes/edges (+ meta) for the template / JSON API; `evidence` ids are highlighted."""
    evidence = evidence or set()
    pos = positions if positions is not None else layout(nb)
    big = len(nb["nodes"]) > PHYSICS_MAX_NODES
    amounts = [e.get("amount_fen") or 0 for e in nb["edges"] if e["kind"] == "transfer"]
    top = max(amounts) if amounts else 1
    nodes = []
    for n in nb["nodes"]:
        shape, colour = STYLE.get(n["kind"], ("dot", "#555"))
        x, y = pos.get(n["id"], (0.0, 0.0))
        hit = n["key"] in evidence
        nodes.append({"id": n["id"], "key": n["key"], "kind": n["kind"], "label": node_label(n),
                      "title": node_title(n), "shape": shape, "x": round(x, 1), "y": round(y, 1),
                      "size": 26 if n["id"] == nb.get("root") else (18 if n["kind"] != "account" else 12),
                      "color": {"background": colour, "border": HIGHLIGHT if hit else colour},
                      "borderWidth": 4 if hit else 1, "openable": n["kind"] in ("person", "inmate", "company"),
                      "busy": bool(n.get("busy")), "root": n["id"] == nb.get("root")})
    edges = []
    for e in nb["edges"]:
        ids = set(e.get("transfer_ids") or [])
        if e.get("transfer_id"):
            ids.add(e["transfer_id"])
        hit = bool(ids & evidence)
        width = 1
        if e["kind"] == "transfer":
            width = 1 + 7 * math.sqrt((e.get("amount_fen") or 0) / top) if top else 1
        edges.append({"id": e["id"], "from": e["from"], "to": e["to"], "kind": e["kind"], "label": edge_label(e),
                      "title": ", ".join(sorted(ids)[:10]) if ids else label("edge_kind", e["kind"]),
                      # a parent relation points at the parent; other relations have no direction
                      "arrows": ("to" if e.get("relation") == "parent" else "") if e["kind"] == "related" else "to",
                      "dashes": e["kind"] in ("holds", "role", "owns"),
                      "width": round(width + (3 if hit else 0), 2),
                      "color": {"color": HIGHLIGHT if hit else EDGE_COLOUR.get(e["kind"], "#888")},
                      "evidence": hit})
    return {"nodes": nodes, "edges": edges, "root": nb.get("root"), "truncated": nb.get("truncated", False),
            "more": nb.get("more", 0), "busy": nb.get("busy", []), "physics": not big,
            "count": len(nodes)}


def legend() -> list[dict]:
    return [{"kind": k, "label": label("node_kind", k), "shape": s, "colour": c} for k, (s, c) in STYLE.items()]
