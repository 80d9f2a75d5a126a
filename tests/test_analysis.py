"""Flow tracing, intermediaries and communities on a real Neo4j (tests/fixtures/detection/layered_chain)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import networkx as nx
import pytest

from ingest import load_dir
from investigations import trace
from investigations.analysis import communities, intermediaries

FIX = Path(__file__).resolve().parent / "fixtures" / "detection"


@pytest.fixture(scope="module")
def chain_graph(module_graph, tmp_path_factory):
    load_dir(module_graph, FIX / "layered_chain", rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


def test_trace_attribution(chain_graph):
    res = trace(chain_graph, "D1", since=dt.date(2024, 4, 1))
    ends = {e["account_id"]: e for e in res["endpoints"]}
    # out of A_D1 since 2024-04-01: L1 100,000 + five 50,000 + 9,000 + 40,000
    assert res["out_fen"] == 39_900_000
    # every fen that left is attributed once: endpoints + returned
    assert res["attributed_fen"] + res["returned_fen"] == res["out_fen"]
    # the spouse: 96,000 (L3) + 49,000 (N6) + 20,000 (N8) + 9,000 (N10) + 49,000 (N12 via the platform);
    # not N14 / N18, which left their accounts before the debtor's money arrived
    assert ends["A_W1"]["amount_fen"] == 22_300_000 and ends["A_W1"]["relation"] == "spouse"
    assert ends["A_W1"]["holder_id"] == "W1"
    assert ends["M8"]["amount_fen"] == 5_000_000 and ends["M10"]["amount_fen"] == 4_000_000
    # the first-out rule leaves 2,000 at M1 (100,000 in, 98,000 on)
    assert ends["M1"]["amount_fen"] == 200_000 and ends["M2"]["amount_fen"] == 200_000
    assert ends["A_X1"]["relation"] == "unrelated" and ends["A_X1"]["hops"] == 2
    assert res["returned_fen"] == 0 and res["truncated"] is False
    traced = {f["transfer_id"]: f["traced_fen"] for f in res["flows"]}
    assert "N14" not in traced and "N18" not in traced and traced["L2"] == 9_800_000
    # the earliest open litigation start is the default `since`
    assert trace(chain_graph, "D1")["since"] == "2024-03-10"


def test_trace_bounds(chain_graph):
    one = trace(chain_graph, "D1", since=dt.date(2024, 4, 1), max_hops=1)
    assert "A_W1" not in {e["account_id"] for e in one["endpoints"]}
    assert one["attributed_fen"] == one["out_fen"] == 39_900_000
    small = trace(chain_graph, "D1", since=dt.date(2024, 4, 1), max_edges=3)
    assert small["truncated"] is True and small["edges"] <= 3
    busy = trace(chain_graph, "D1", since=dt.date(2024, 4, 1), max_degree=5)
    assert "PLAT" in busy["not_followed"]
    assert next(e for e in busy["endpoints"] if e["account_id"] == "PLAT")["amount_fen"] == 5_000_000
    with pytest.raises(KeyError):
        trace(chain_graph, "NOBODY")


def test_trace_network_analyses(chain_graph):
    res = trace(chain_graph, "D1", since=dt.date(2024, 4, 1))
    ranked = [x["account_id"] for x in res["intermediaries"]]
    assert "A_D1" not in ranked and ranked and ranked[0] == "PLAT"
    nodes = [n for c in res["communities"] for n in c]
    assert len(nodes) == len(set(nodes)) == res["nodes"]  # a partition of the traced subgraph
    assert {"A_D1", "A_W1", "PLAT"} <= set(nodes)
    assert res["communities"] == trace(chain_graph, "D1", since=dt.date(2024, 4, 1))["communities"]


def test_intermediaries_and_communities_on_known_graphs():
    G = nx.MultiDiGraph()
    for u, v in [("a", "hub"), ("b", "hub"), ("hub", "c"), ("hub", "d"), ("c", "e")]:
        G.add_edge(u, v, amount_fen=100)
    top = intermediaries(G, exclude={"a"})
    assert top[0]["account_id"] == "hub" and top[0]["sampled"] is False
    assert "a" not in [x["account_id"] for x in top]
    # two dense groups joined by one thin edge fall into two communities
    H = nx.MultiDiGraph()
    for grp in (["p1", "p2", "p3", "p4"], ["q1", "q2", "q3", "q4"]):
        for i, u in enumerate(grp):
            for v in grp[i + 1:]:
                H.add_edge(u, v, amount_fen=1_000_000)
    H.add_edge("p1", "q1", amount_fen=1)
    comms = communities(H)
    assert sorted(map(sorted, comms)) == [["p1", "p2", "p3", "p4"], ["q1", "q2", "q3", "q4"]]
    # large graphs are sampled, deterministically
    big = nx.gnm_random_graph(400, 1200, seed=1, directed=True)
    M = nx.MultiDiGraph()
    M.add_edges_from((str(u), str(v), {"amount_fen": 1}) for u, v in big.edges())
    a, b = intermediaries(M), intermediaries(M)
    assert a == b and a[0]["sampled"] is True
