"""Where the money went and where it sits now: the flow view's data and the "where it sits now" facts.

`flow()` runs the one attribution rule (`investigations.analysis.trace`, docs/detection.md:
"the subject's money leaves first") up to `as_of` and shapes it for a reader: every hop with
its date and amounts, every endpoint with holder, institution, relation, the latest known
balance (date and source row) and any freeze or seizure in force, and a Sankey that is a DAG
(an account reached at two depths is drawn once per depth, so round trips stay drawable).
Every cap (hops, transfers, busy accounts not followed, links and rows drawn) is reported.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from graph import Graph

from .analysis import trace
from .leads import iso
from . import queries

logger = logging.getLogger(__name__)

#: The attribution rule in one sentence (docs/detection.md, "Flow tracing").
RULE_EN = ("Transfers are replayed in time order; the subject's own transfers carry their whole amount, "
           "every other account passes on at most the traced money it has received so far, so money never "
           "travels back in time and is never counted twice (an upper bound per account).")
RULE_ZH = ("按时间顺序回放交易：被执行人账户转出的金额全部计入，其他账户转出的金额以其此前收到的被追踪资金为限，"
           "资金不能逆时间流动，也不会重复计算（对每个账户为上限估计）。")

#: Sankey links drawn at most (the largest by traced amount); hop-table rows shown at most.
MAX_LINKS = 80
MAX_ROWS = 500
#: Restriction kinds that hold money or an asset in place.
HOLDING_KINDS = ("account_freeze", "asset_seizure")


def cases(graph: Graph, subject_id: str) -> list[dict]:
    """The subject's cases with litigation start and unpaid amount (fen), oldest first."""
    return graph.read(queries.Q_FLOW_CASES, {"id": subject_id})


def where_now(graph: Graph, account_ids: list[str], as_of: dt.date) -> dict[str, dict]:
    """Per account: institution, holder, latest balance on or before `as_of` (fen, date, source
    file and row; None when no balance row is known) and the freezes in force on `as_of`."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    out = {r["aid"]: {**r, "restrictions": []} for r in graph.read(queries.Q_FLOW_ACCOUNTS, {"ids": ids, "as_of": as_of})}
    for r in restrictions(graph, ids, as_of):
        if r["target"] in out:
            out[r["target"]]["restrictions"].append(r)
    return out


def restrictions(graph: Graph, targets: list[str], as_of: dt.date) -> list[dict]:
    """Account freezes and asset seizures on `targets` (account or asset ids) in force on `as_of`."""
    if not targets:
        return []
    return graph.read(queries.Q_FLOW_RESTRICTIONS, {"targets": sorted(set(targets)), "kinds": list(HOLDING_KINDS),
                                      "as_of": as_of})


def _sankey(tr: dict, own: set[str], names: dict[str, str], max_links: int) -> dict:
    """Sankey nodes/links: an account at depth d is node "account@d"; every link goes d -> d + 1,
    so the drawing is acyclic even when money comes back (round trips)."""
    level: dict[str, int] = {a: 0 for a in own}
    agg: dict[tuple[str, str], int] = defaultdict(int)
    for f in tr["flows"]:
        u, v = f["from_account"], f["to_account"]
        lu = level.get(u, 0)
        lv = lu + 1
        level.setdefault(v, lv)
        agg[(f"{u}@{lu}", f"{v}@{lv}")] += f["traced_fen"]
    links = sorted(agg.items(), key=lambda kv: (-kv[1], kv[0]))
    shown, left = links[:max_links], links[max_links:]
    nodes: dict[str, dict] = {}
    for (s, t), _v in shown:
        for key in (s, t):
            acc, depth = key.rsplit("@", 1)
            nodes.setdefault(key, {"name": key, "account_id": acc, "depth": int(depth),
                                   "label": names.get(acc) or acc, "own": acc in own})
    return {"nodes": sorted(nodes.values(), key=lambda n: (n["depth"], n["name"])),
            "links": [{"source": s, "target": t, "value": v} for (s, t), v in shown],
            "links_total": len(links), "links_left_out": len(left),
            "fen_left_out": sum(v for _k, v in left)}


def flow(graph: Graph, subject_id: str, since: dt.date | None = None, as_of: dt.date | None = None,
         max_hops: int = 4, max_edges: int = 5000, max_degree: int = 200, max_links: int = MAX_LINKS,
         max_rows: int = MAX_ROWS, highlight: set[str] | None = None) -> dict:
    """The trace since `since` (default: earliest open litigation start) up to `as_of` (default today),
    with hops, endpoints (holder, relation, balance, freezes), money back at the subject's own
    accounts, a Sankey and everything left out. Raises KeyError for an unknown subject."""
    as_of = as_of or dt.date.today()
    tr = trace(graph, subject_id, since=since, max_hops=max_hops, max_edges=max_edges,
               max_degree=max_degree, until=as_of)
    own = set(tr["accounts"])
    holders = tr.get("holders", {})
    ends = [e["account_id"] for e in tr["endpoints"]] + [r["account_id"] for r in tr["returned_to"]]
    now = where_now(graph, ends, as_of)
    names = {a: (h.get("holder_name") or a) for a, h in holders.items()}
    endpoints = []
    for e in tr["endpoints"]:
        w = now.get(e["account_id"], {})
        endpoints.append({**e, "institution": w.get("institution"), "balance_fen": w.get("balance_fen"),
                          "balance_on": iso(w.get("balance_on")), "balance_file": w.get("balance_file"),
                          "balance_row": w.get("balance_row"), "restrictions": w.get("restrictions", []),
                          "own": False})
    returned = []
    for r in tr["returned_to"]:
        w = now.get(r["account_id"], {})
        returned.append({"account_id": r["account_id"], "amount_fen": r["amount_fen"], "last_in": r["last_in"],
                         "holder_id": subject_id, "holder_name": tr["subject_name"], "hops": None,
                         "relation": "the subject's own account", "relation_zh": "被执行人本人账户",
                         "institution": w.get("institution"), "account_kind": w.get("kind"),
                         "balance_fen": w.get("balance_fen"), "balance_on": iso(w.get("balance_on")),
                         "balance_file": w.get("balance_file"), "balance_row": w.get("balance_row"),
                         "restrictions": w.get("restrictions", []), "own": True, "not_followed": False})
    hl = highlight or set()
    hops = [{**f, "from_name": names.get(f["from_account"]), "to_name": names.get(f["to_account"]),
             "in_lead": f["transfer_id"] in hl} for f in tr["flows"]]
    return {
        "subject_id": subject_id, "subject_name": tr["subject_name"], "subject_kind": tr["subject_kind"],
        "since": tr["since"], "as_of": as_of.isoformat(), "accounts": tr["accounts"],
        "out_fen": tr["out_fen"], "returned_fen": tr["returned_fen"], "attributed_fen": tr["attributed_fen"],
        "endpoints": endpoints, "returned_to": returned,
        "into": {f["transfer_id"]: f["to_account"] for f in tr["flows"]},
        "hops": hops[:max_rows], "hops_total": len(hops), "hops_left_out": max(0, len(hops) - max_rows),
        "sankey": _sankey(tr, own, names, max_links),
        "limits": {"max_hops": max_hops, "max_edges": max_edges, "max_degree": max_degree,
                   "max_links": max_links, "max_rows": max_rows},
        "truncated": tr["truncated"], "not_followed": tr["not_followed"],
        "nodes": tr["nodes"], "edges": tr["edges"], "rule_en": RULE_EN, "rule_zh": RULE_ZH,
    }
