"""The one network model: what a node and an edge of a drawn network are, how each kind is drawn,
the legend, the caps (and how what they drop is said), the layout of static figures, and the
GraphML / GEXF exports.

Why one module: the web network page (web/netview.py), the evidence package's offline page and
PDF figure (evidence/network.py) and the exports (`python -m investigations export-graph`, the
page's download) must show the same picture: the same kinds, colours, shapes and caps, the same
node and edge ids. Each caller builds a network dict in this shape and hands it here:

    {"root": node id, "nodes": [node], "edges": [edge], "more": int (nodes left out by a cap), ...}
    node: {"id", "key", "kind" (NODE_KINDS), "name", "depth", ...kind-specific fields}
    edge: {"id", "from", "to", "kind" (EDGE_KINDS), ...kind-specific fields}

Node ids are `p:` person or inmate, `c:` company, `a:` account, `s:` asset, then the key; edge
ids are `<kind>:<key>` (investigations.network builds them). Words (labels, money, dates) come
from a `Words` object the caller passes: the web page its translation catalogue, the package the
Chinese labels of investigations.labels, so this module stays free of Flask.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import math
from dataclasses import dataclass
from typing import Any, Callable

import networkx as nx

from ingest.parse import format_fen

from . import labels

logger = logging.getLogger(__name__)

# --- kinds and how they are drawn --------------------------------------------------------------
NODE_KINDS = ("person", "inmate", "company", "account", "unknown_account", "asset")
EDGE_KINDS = ("holds", "transfer", "related", "role", "owns", "conveyed", "conveyed_to")


@dataclass(frozen=True)
class NodeStyle:
    """One kind of node, drawn alike by vis-network (shape), SVG (shape) and matplotlib (marker)."""

    shape: str
    colour: str
    marker: str


NODE_STYLE: dict[str, NodeStyle] = {
    "person": NodeStyle("dot", "#2f6fdf", "o"),
    "inmate": NodeStyle("star", "#c0392b", "*"),
    "company": NodeStyle("square", "#8e44ad", "s"),
    "account": NodeStyle("diamond", "#16a085", "D"),
    "unknown_account": NodeStyle("triangle", "#7f8c8d", "^"),
    "asset": NodeStyle("hexagon", "#d68910", "h"),
}
FALLBACK_STYLE = NodeStyle("dot", "#555555", "o")
#: A text symbol per shape, for legends written as text (the package's offline page).
SHAPE_SYMBOL = {"dot": "●", "star": "★", "square": "■", "diamond": "◆", "triangle": "▲", "hexagon": "⬢"}
EDGE_COLOUR = {"transfer": "#34495e", "holds": "#95a5a6", "related": "#e67e22", "role": "#8e44ad",
               "owns": "#d68910", "conveyed": "#d35400", "conveyed_to": "#d35400"}
#: Drawn dashed: a holding or a role is a standing tie, not a movement.
DASHED_KINDS = ("holds", "role", "owns")
#: Evidence a lead (a detection pattern) cites: red and thicker, node borders red.
HIGHLIGHT = "#e74c3c"
#: vis-network sizes: the root, other nodes, accounts (there are many).
ROOT_SIZE, NODE_SIZE, ACCOUNT_SIZE = 26, 18, 12

# --- caps --------------------------------------------------------------------------------------
#: Nodes on the web page (NETWORK_MAX_NODES overrides), in one expansion, and never more than HARD_MAX_NODES.
PAGE_MAX_NODES = 300
EXPAND_MAX_NODES = 60
HARD_MAX_NODES = 5000
#: The package: its offline page (positions precomputed, physics off) and its PDF figure.
PACKAGE_PAGE_MAX_NODES = 1000
FIGURE_MAX_NODES = 150
#: Up to this many nodes the browser may run physics to settle the picture.
PHYSICS_MAX_NODES = 150
#: Up to this many nodes the layout is a seeded spring layout; above, a radial tree (linear time).
SPRING_MAX_NODES = 150


def cap_notice(shown: int, more: int, max_nodes: int, lang: str = "zh", drawn: bool = False) -> str:
    """How a cap is said outside the web page (the page says it through its catalogue); '' if none dropped."""
    if not more:
        return ""
    if lang == "en":
        verb = "drawn" if drawn else "shown"
        return f"{more} more nodes are not {verb} (the {max_nodes} with the largest flows are kept)."
    verb = "绘出" if drawn else "显示"
    return f"另有 {more} 个节点未{verb}（按资金量保留前 {max_nodes} 个）。"


def keep_heaviest(net: dict, max_nodes: int, weight: dict[str, int]) -> dict:
    """`net` cut to its `max_nodes` heaviest nodes (ties by id) and the edges among them; `more` counts the rest."""
    ranked = sorted(net["nodes"], key=lambda n: (-weight.get(n["id"], 0), n["id"]))
    keep = {n["id"] for n in ranked[:max_nodes]}
    nodes = [n for n in net["nodes"] if n["id"] in keep]
    edges = [e for e in net["edges"] if e["from"] in keep and e["to"] in keep]
    dropped = len(net["nodes"]) - len(nodes)
    return {**net, "nodes": nodes, "edges": edges, "more": net.get("more", 0) + dropped,
            "truncated": bool(net.get("truncated")) or dropped > 0}


# --- words -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Words:
    """How labels, money and dates are written by a rendering (web: its catalogue; package: Chinese)."""

    label: Callable[[str, Any], str]
    yuan: Callable[[int | None], str]
    yuan_short: Callable[[int | None], str]
    date: Callable[[Any], str]


_NODE_KIND_WORDS = {"person": ("人员", "Person"), "inmate": ("服刑人员", "Inmate"), "company": ("企业", "Company"),
                    "account": ("账户", "Account"), "unknown_account": ("户主不明账户", "Unknown-holder account"),
                    "asset": ("财产", "Asset")}
_EDGE_KIND_WORDS = {"holds": ("持有", "holds"), "transfer": ("转账", "transfer"), "related": ("亲属关系", "related"),
                    "role": ("任职/持股", "role"), "owns": ("所有", "owns"), "conveyed": ("转让", "conveyed"),
                    "conveyed_to": ("受让", "conveyed to"),
                    "cited": ("被检测模式引用的资金/财产流向", "money or asset a lead cites")}


def _iso(d: Any) -> str:
    if d is None:
        return ""
    return d.isoformat() if hasattr(d, "isoformat") else str(d)


def plain_words(lang: str = "zh") -> Words:
    """Words without Flask (package, exports): labels from investigations.labels, exact yuan, ISO dates."""
    i = 0 if lang == "zh" else 1

    def label(table: str, code: Any) -> str:
        if code is None or code == "":
            return "—"
        if table == "node_kind":
            return _NODE_KIND_WORDS.get(code, (code, code))[i]
        if table == "edge_kind":
            return _EDGE_KIND_WORDS.get(code, (code, code))[i]
        if table in labels.TABLES:
            return (labels.zh if i == 0 else labels.en)(table, str(code))
        return str(code)

    def yuan(fen: int | None) -> str:
        return "" if fen is None else format_fen(fen, "¥")

    return Words(label=label, yuan=yuan, yuan_short=yuan, date=_iso)


def legend(words: Words) -> list[dict]:
    """One entry per kind of node: kind, words, shape, colour (the page and the package draw the same)."""
    return [{"kind": k, "label": words.label("node_kind", k), "shape": s.shape, "colour": s.colour}
            for k, s in NODE_STYLE.items()]


# --- layout ------------------------------------------------------------------------------------
def layout(net: dict, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Positions in unit scale, the root at (0, 0). Up to SPRING_MAX_NODES nodes a seeded spring
    layout (the browser may then settle it with physics); above, a radial tree: the root in the
    centre, each node on the ring of its distance from the root, next to the node it was reached
    from (an account beside its holder, a counterparty beyond the account it paid), each subtree on
    an arc as wide as its leaves. The radial tree takes linear time, so a capped 5,000-neighbour view
    is laid out in milliseconds. Deterministic for the same network."""
    ids = [n["id"] for n in net["nodes"]]
    if not ids:
        return {}
    if len(ids) == 1:
        return {ids[0]: (0.0, 0.0)}
    root = net.get("root")
    if len(ids) <= SPRING_MAX_NODES:
        g = nx.Graph()
        g.add_nodes_from(ids)
        g.add_edges_from((e["from"], e["to"]) for e in net["edges"])
        n = len(ids)
        pos = nx.spring_layout(g, seed=seed, k=1.6 / math.sqrt(n), iterations=50)
        cx, cy = pos.get(root, (0.0, 0.0))
        return {k: (float(x - cx), float(y - cy)) for k, (x, y) in pos.items()}
    return _radial_tree(net)


def _radial_tree(net: dict) -> dict[str, tuple[float, float]]:
    """A breadth-first tree from the root (largest flows first) drawn radially; unreached nodes hang
    off the root."""
    ids = [n["id"] for n in net["nodes"]]
    known = set(ids)
    root = net.get("root") if net.get("root") in known else ids[0]
    adj: dict[str, list[str]] = {i: [] for i in ids}
    for e in sorted(net["edges"], key=lambda e: (-(e.get("amount_fen") or 0), e["id"])):
        a, b = e["from"], e["to"]
        if a in known and b in known and a != b:
            adj[a].append(b)
            adj[b].append(a)
    parent: dict[str, str | None] = {root: None}
    children: dict[str, list[str]] = {i: [] for i in ids}
    order = [root]
    head = 0
    while head < len(order):
        u = order[head]
        head += 1
        for v in adj[u]:
            if v not in parent:
                parent[v] = u
                children[u].append(v)
                order.append(v)
    for i in ids:
        if i not in parent:
            parent[i] = root
            children[root].append(i)
            order.append(i)
    # the root's own accounts (depth 0) sit close around it, on ring 0; rings count from there
    own = {n["id"] for n in net["nodes"] if n.get("depth") == 0}
    ring = {root: 0}
    for u in order[1:]:  # parents come before their children in `order`
        ring[u] = ring[parent[u]] + (0 if u in own and parent[u] == root else 1)
    leaves = {u: 1 for u in ids}
    for u in reversed(order):
        if children[u]:
            leaves[u] = sum(leaves[c] for c in children[u])
    start = {root: 0.0}
    span = {root: 2 * math.pi}
    for u in order:
        a = start[u]
        for c in children[u]:
            span[c] = span[u] * leaves[c] / leaves[u]
            start[c] = a
            a += span[c]
    top = max(ring.values()) or 1
    pos = {root: (0.0, 0.0)}
    for u in order[1:]:
        r = ring[u] / top if ring[u] else 0.06
        t = start[u] + span[u] / 2
        pos[u] = (r * math.cos(t), r * math.sin(t))
    return pos


def canvas_positions(net: dict, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Layout scaled to a vis-network canvas (about 220 px times the square root of the node count)."""
    pos = layout(net, seed)
    scale = 220 * math.sqrt(max(1, len(net["nodes"])))
    return {k: (x * scale, y * scale) for k, (x, y) in pos.items()}


# --- vis-network data --------------------------------------------------------------------------
def node_label(n: dict) -> str:
    if n["kind"] in ("account", "unknown_account"):
        name = n.get("name")
        key = n["key"]
        short = key if len(key) <= 12 else "…" + key[-8:]
        return f"{short}\n{name}" if name else short
    return n.get("name") or n["key"]


def node_title(n: dict, words: Words) -> str:
    """Hover text (plain text: vis-network shows string titles as text)."""
    lines = [words.label("node_kind", n["kind"]), n["key"]]
    if n.get("name"):
        lines.append(n["name"])
    if n.get("account_kind"):
        lines.append(words.label("account_kind", n["account_kind"])
                     + (" " + n["institution"] if n.get("institution") else ""))
    if n.get("prison"):
        lines.append(n["prison"])
    if n.get("open_cases"):
        lines.extend(n["open_cases"][:5])
    if n.get("appraised_value_fen"):
        lines.append(words.yuan(n["appraised_value_fen"]))
    if n.get("busy"):
        lines.append("⚠ " + str(n.get("degree")))
    return "\n".join(str(x) for x in lines)


def edge_label(e: dict, words: Words) -> str:
    k = e["kind"]
    if k == "transfer":
        day = words.date(e.get("first_on"))
        if e.get("count", 1) > 1:
            day = f"{words.date(e.get('first_on'))}…{words.date(e.get('last_on'))} ×{e['count']}"
        amt = words.yuan_short(e.get("amount_fen")) if e.get("amount_fen") else words.yuan_short(e.get("all_fen"))
        cur = [c for c in e.get("currencies") or [] if c != "CNY"]
        return f"{day}\n{amt}" + (f" (+{','.join(cur)})" if cur else "")
    if k == "related":
        return words.label("relation", relation_code(e))
    if k == "role":
        return words.label("company_role", e.get("role"))
    if k == "conveyed":
        return f"{words.date(e.get('on'))}\n{words.yuan_short(e.get('price_fen') or 0)}"
    return ""


def relation_code(e: dict) -> str | None:
    """A relation edge's code as read: a spouse link that ended is a former spouse."""
    return "former_spouse" if e.get("relation") == "spouse" and e.get("ended") else e.get("relation")


def edge_arrows(e: dict) -> str:
    """A parent relation points at the parent; other relations have no direction; the rest point to `to`."""
    if e["kind"] == "related":
        return "to" if e.get("relation") == "parent" else ""
    return "to"


def evidence_ids(e: dict) -> set[str]:
    """The transfer / asset-transfer ids an edge stands for (what a lead can cite)."""
    ids = set(e.get("transfer_ids") or [])
    if e.get("transfer_id"):
        ids.add(e["transfer_id"])
    return ids


def _memo_labels(words: Words) -> Words:
    """The same words with labels looked up once per (table, code) for one rendering (hundreds of
    nodes share a handful of kinds; a translated lookup is not free)."""
    seen: dict[tuple[str, Any], str] = {}

    def label(table: str, code: Any) -> str:
        key = (table, code)
        try:
            hash(key)
        except TypeError:
            return words.label(table, code)
        if key not in seen:
            seen[key] = words.label(table, code)
        return seen[key]

    return Words(label=label, yuan=words.yuan, yuan_short=words.yuan_short, date=words.date)


def to_vis(net: dict, words: Words, evidence: set[str] | None = None,
           positions: dict | None = None) -> dict[str, Any]:
    """vis-network nodes/edges (+ meta); nodes and edges whose ids a lead cites (`evidence`) are highlighted."""
    evidence = evidence or set()
    words = _memo_labels(words)
    pos = positions if positions is not None else canvas_positions(net)
    big = len(net["nodes"]) > PHYSICS_MAX_NODES
    amounts = [e.get("amount_fen") or 0 for e in net["edges"] if e["kind"] == "transfer"]
    top = max(amounts) if amounts else 1
    nodes = []
    for n in net["nodes"]:
        st = NODE_STYLE.get(n["kind"], FALLBACK_STYLE)
        x, y = pos.get(n["id"], (0.0, 0.0))
        hit = n["key"] in evidence
        nodes.append({"id": n["id"], "key": n["key"], "kind": n["kind"], "label": node_label(n),
                      "title": node_title(n, words), "shape": st.shape, "x": round(x, 1), "y": round(y, 1),
                      "size": ROOT_SIZE if n["id"] == net.get("root") else
                      (NODE_SIZE if n["kind"] != "account" else ACCOUNT_SIZE),
                      "color": {"background": st.colour, "border": HIGHLIGHT if hit else st.colour},
                      "borderWidth": 4 if hit else 1, "openable": n["kind"] in ("person", "inmate", "company"),
                      "busy": bool(n.get("busy")), "root": n["id"] == net.get("root")})
    edges = []
    for e in net["edges"]:
        ids = evidence_ids(e)
        hit = bool(ids & evidence) or bool(e.get("cited"))
        width = 1.0
        if e["kind"] == "transfer":
            width = 1 + 7 * math.sqrt((e.get("amount_fen") or 0) / top) if top else 1
        edges.append({"id": e["id"], "from": e["from"], "to": e["to"], "kind": e["kind"],
                      "label": edge_label(e, words),
                      "title": ", ".join(sorted(ids)[:10]) if ids else words.label("edge_kind", e["kind"]),
                      "arrows": edge_arrows(e), "dashes": e["kind"] in DASHED_KINDS,
                      "width": round(width + (3 if hit else 0), 2),
                      "color": {"color": HIGHLIGHT if hit else EDGE_COLOUR.get(e["kind"], "#888")},
                      "evidence": hit})
    return {"nodes": nodes, "edges": edges, "root": net.get("root"), "truncated": bool(net.get("truncated")),
            "more": net.get("more", 0), "busy": net.get("busy", []), "physics": not big, "count": len(nodes)}


# --- static figure -----------------------------------------------------------------------------
def figure_png(net: dict, words: Words, note: str = "", size: tuple[float, float] = (7.6, 6.2),
               rc: dict | None = None) -> bytes:
    """The network as a PNG (matplotlib, Agg): the same kinds, colours, dashes and highlight as the pages,
    the model's layout, a legend, and `note` (what a cap left out) under the drawing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    pos = layout(net)
    many = len(net["nodes"]) > 60
    with matplotlib.rc_context(rc or {}):
        fig, ax = plt.subplots(figsize=size)
        for e in net["edges"]:
            if e["from"] not in pos or e["to"] not in pos:
                continue
            (x1, y1), (x2, y2) = pos[e["from"]], pos[e["to"]]
            hit = bool(e.get("cited"))
            dashed = e["kind"] in DASHED_KINDS
            ax.annotate("", xy=(x2, y2), xytext=(x1, y1),
                        arrowprops={"arrowstyle": "-|>" if edge_arrows(e) else "-",
                                    "color": HIGHLIGHT if hit else EDGE_COLOUR.get(e["kind"], "#888"),
                                    "lw": 1.6 if hit else 0.7, "linestyle": "--" if dashed else "-",
                                    "shrinkA": 5, "shrinkB": 5}, zorder=1)
            if e["kind"] == "related" and not many:
                ax.text((x1 + x2) / 2, (y1 + y2) / 2, edge_label(e, words), fontsize=6, color="#1f618d",
                        ha="center", va="center", zorder=2)
        for kind, st in NODE_STYLE.items():
            pts = [n for n in net["nodes"] if n["kind"] == kind and n["id"] in pos]
            if pts:
                ax.scatter([pos[n["id"]][0] for n in pts], [pos[n["id"]][1] for n in pts], c=st.colour,
                           marker=st.marker, s=[200 if n["id"] == net.get("root") else 60 for n in pts],
                           zorder=3, edgecolors=[HIGHLIGHT if n.get("cited") else "white" for n in pts],
                           linewidths=0.5)
        for n in net["nodes"]:
            if n["id"] not in pos or (many and n["kind"] in ("account", "unknown_account")):
                continue
            x, y = pos[n["id"]]
            ax.text(x, y + 0.045, node_label(n).replace("\n", " "), fontsize=6.5 if not many else 5,
                    ha="center", va="bottom", zorder=4)
        handles = [Line2D([], [], color=item["colour"], marker=NODE_STYLE[item["kind"]].marker, linestyle="",
                          markersize=7, label=item["label"]) for item in legend(words)]
        handles.append(Line2D([], [], color=HIGHLIGHT, lw=1.6, label=words.label("edge_kind", "cited")))
        handles.append(Line2D([], [], color=EDGE_COLOUR["holds"], lw=0.8, linestyle="--",
                              label=" / ".join(words.label("edge_kind", k) for k in DASHED_KINDS)))
        ax.legend(handles=handles, fontsize=6.5, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        if note:
            ax.text(0, -0.02, note, fontsize=7, transform=ax.transAxes, va="top", color="#7f8c8d")
        ax.set_axis_off()
        ax.margins(0.08)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()


# --- exports -----------------------------------------------------------------------------------
EXPORT_FORMATS = ("graphml", "gexf")


def _attr(v: Any) -> Any:
    """An attribute value the GraphML/GEXF writers keep exactly: ints stay ints, dates ISO text,
    lists joined by ';', None dropped (by the caller)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, (dt.date, dt.datetime)) or hasattr(v, "iso_format"):
        return _iso(v)
    if isinstance(v, (list, tuple, set)):
        return ";".join(str(x) for x in v)
    if isinstance(v, float):  # never a money field (those are integer fen); kept as text, exactly
        return repr(v)
    return str(v)


_MONEY_FIELDS = ("amount_fen", "all_fen", "price_fen", "appraised_value_fen")


def to_networkx(net: dict, words: Words | None = None) -> nx.MultiDiGraph:
    """The network as a NetworkX multigraph with the same node and edge ids the pages show.

    Every amount is kept as integer fen and as exact yuan text (`amount_yuan` beside `amount_fen`),
    dates as ISO text, lists as ';'-joined text; each node carries its kind, label, colour and shape.
    """
    words = words or plain_words("zh")
    g = nx.MultiDiGraph()
    g.graph.update({k: _attr(net[k]) for k in ("root", "more", "truncated", "depth", "since", "min_fen")
                    if net.get(k) is not None})
    for n in net["nodes"]:
        st = NODE_STYLE.get(n["kind"], FALLBACK_STYLE)
        data = {k: _attr(v) for k, v in n.items() if k != "id" and v is not None and v != []}
        for m in _MONEY_FIELDS:
            if isinstance(n.get(m), int):
                data[m.replace("_fen", "_yuan")] = format_fen(n[m], grouped=False)
        data.update(label=node_label(n).replace("\n", " "), colour=st.colour, shape=st.shape)
        g.add_node(n["id"], **data)
    for e in net["edges"]:
        data = {k: _attr(v) for k, v in e.items() if k not in ("id", "from", "to") and v is not None and v != []}
        for m in _MONEY_FIELDS:
            if isinstance(e.get(m), int):
                data[m.replace("_fen", "_yuan")] = format_fen(e[m], grouped=False)
        data["label"] = edge_label(e, words).replace("\n", " ")
        g.add_edge(e["from"], e["to"], key=e["id"], id=e["id"], **data)
    return g


def export_bytes(net: dict, fmt: str, words: Words | None = None) -> bytes:
    """The network as GraphML or GEXF bytes (NetworkX writers), for Gephi and i2-style tools."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {EXPORT_FORMATS}, not {fmt!r}")
    g = to_networkx(net, words)
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(g, buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    else:
        nx.write_gexf(g, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()
