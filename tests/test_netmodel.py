"""The one network model: the page, the package and the GraphML/GEXF exports draw the same network,
amounts exact, against a real Neo4j loaded from tests/fixtures/web."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re

import networkx as nx
import pytest
from sqlalchemy import select

from ingest.parse import format_fen
from investigations import netmodel, netexport
from investigations.__main__ import main as investigations_main
from investigations.network import neighbourhood
from web.models import AuditLog

from test_webutil import WEB_FIXTURE, login, make_app


@pytest.fixture(scope="module")
def loaded(module_graph, tmp_path_factory):
    from ingest import load_dir
    load_dir(module_graph, WEB_FIXTURE, rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


@pytest.fixture
def app(loaded, tmp_path):
    return make_app(loaded, tmp_path, SCAN_AS_OF=dt.date(2025, 10, 31))


def _vis(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="net-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


@pytest.mark.parametrize("query", [{}, {"since": "", "depth": "2"}])
def test_graphml_download_is_the_page(app, query):
    """A GraphML file opens in NetworkX with the same nodes and edges as the page shows."""
    c = login(app, "inv")
    page = _vis(c.get("/subject/P001/network", query_string=query).get_data(as_text=True))
    r = c.get("/subject/P001/network/export", query_string={**query, "format": "graphml"})
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    g = nx.read_graphml(io.BytesIO(r.data), force_multigraph=True)
    assert set(g.nodes) == {n["id"] for n in page["nodes"]}
    got = {(u, v, d["id"]) for u, v, d in g.edges(data=True)}
    assert got == {(e["from"], e["to"], e["id"]) for e in page["edges"]}
    assert len(page["edges"]) > 3
    # amounts exact: integer fen and the yuan text, never a float
    tr = [d for _, _, d in g.edges(data=True) if d["kind"] == "transfer"]
    assert tr and all(type(d["amount_fen"]) is int for d in tr)
    assert all(d["amount_yuan"] == format_fen(d["amount_fen"], grouped=False) for d in tr)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["first_on"]) for d in tr)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"person", "account"} <= kinds
    with app.app_context():
        from web.extensions import db
        row = db.session.scalars(select(AuditLog).where(AuditLog.action == "export_graph")
                                 .order_by(AuditLog.id.desc())).first()
        assert row.target == "P001" and json.loads(row.detail_json)["format"] == "graphml"


def test_gexf_download_and_access(app):
    c = login(app, "inv")
    page = _vis(c.get("/subject/P001/network").get_data(as_text=True))
    r = c.get("/subject/P001/network/export", query_string={"format": "gexf"})
    g = nx.read_gexf(io.BytesIO(r.data))
    assert set(g.nodes) == {n["id"] for n in page["nodes"]}
    assert c.get("/subject/P001/network/export", query_string={"format": "csv"}).status_code == 400
    assert c.get("/subject/NOPE/network/export", query_string={"format": "gexf"}).status_code == 404
    anon = app.test_client().get("/subject/P001/network/export", query_string={"format": "gexf"})
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]
    html = c.get("/subject/P001/network").get_data(as_text=True)
    assert 'id="export-graphml"' in html and "format=gexf" in html


def test_cli_export_graph(loaded, tmp_path, monkeypatch, capsys):
    class _Conn:  # the CLI's connection factory, pointed at the test database (not a mock of it)
        @staticmethod
        def connect():
            return contextlib.nullcontext(loaded)

    monkeypatch.setattr(netexport, "Graph", _Conn)
    out = tmp_path / "p1.graphml"
    assert investigations_main(["export-graph", "P001", "--format", "graphml", "--out", str(out),
                                "--depth", "2", "--since", "all"]) == 0
    assert "nodes" in capsys.readouterr().out
    nb = neighbourhood(loaded, "P001", depth=2, since=None, max_nodes=netmodel.PAGE_MAX_NODES)
    g = nx.read_graphml(out, force_multigraph=True)
    assert set(g.nodes) == {n["id"] for n in nb["nodes"]}
    assert g.number_of_edges() == len(nb["edges"])
    # the default window is the page's (the open case's litigation start): the 2023 inbound transfer is out
    out2 = tmp_path / "p1.gexf"
    assert investigations_main(["export-graph", "P001", "--format", "gexf", "--out", str(out2)]) == 0
    g2 = nx.read_gexf(out2)
    assert "transfer:6222000000000005->6222000000000001" not in {d.get("id") for *_, d in g2.edges(data=True)}
    assert investigations_main(["export-graph", "NOPE", "--format", "gexf", "--out", str(out2)]) == 2


def test_package_draws_with_the_models_styles():
    """The package's vis data uses the model's shapes and colours (no second style table)."""
    from evidence import network as evnet

    data = {"subject_id": "S1", "profile": {"name": "甲", "kind": "person", "accounts": [
        {"account_id": "6222000000000001", "kind": "bank", "institution": "工行"}],
        "relations": [{"other_id": "S2", "other_name": "乙", "relation_to_subject": "spouse"}]},
        "records": [{"kind": "transfer", "id": "T1", "date": "2024-05-01", "from": "6222000000000001",
                     "to": "6222000000000009", "counterparty_account": "6222000000000009",
                     "counterparty_id": "S2", "counterparty_name": "乙", "counterparty_kind": "person",
                     "currency": "CNY", "amount_fen": 12345678, "patterns": ["p"]}]}
    net = evnet.evidence_network(data, 10)
    vis = evnet.vis_data(net)
    for n in vis["nodes"]:
        assert n["shape"] == netmodel.NODE_STYLE[n["kind"]].shape
        assert n["color"]["background"] == netmodel.NODE_STYLE[n["kind"]].colour
    ids = {n["id"] for n in vis["nodes"]}
    assert ids == {"p:S1", "p:S2", "a:6222000000000001", "a:6222000000000009"}
    tr = next(e for e in vis["edges"] if e["kind"] == "transfer")
    assert tr["id"] == "transfer:6222000000000001->6222000000000009" and tr["evidence"]
    assert "¥123,456.78" in tr["label"]  # the package writes exact yuan
    assert {e["kind"] for e in vis["edges"]} == {"transfer", "holds", "related"}
    g = nx.read_graphml(io.BytesIO(netmodel.export_bytes(net, "graphml")), force_multigraph=True)
    assert set(g.nodes) == ids
    png, counts = evnet.network_figure(data)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and counts == {"network_nodes_drawn": 4, "network_nodes_not_drawn": 0}
    small = evnet.evidence_network(data, 2)
    assert small["more"] == 2 and {n["id"] for n in small["nodes"]} == {"p:S1", "a:6222000000000001"}


def test_capped_view_keeps_holders_with_accounts(graph, tmp_path):
    """Under the cap, a counterparty account comes with its holder, and the subject's own busy
    account is expanded (largest flows first)."""
    from hubdata import HUB, write_hub
    from ingest import load_dir

    load_dir(graph, write_hub(tmp_path / "hub", 300), rejects_dir=tmp_path / "rejects")
    nb = neighbourhood(graph, HUB, depth=1, since=None, max_nodes=41)
    kinds = [n["kind"] for n in nb["nodes"]]
    assert len(kinds) == 41 and nb["truncated"]
    assert nb["more"] >= 300 - 20  # every counterparty left out is counted, fetched or not
    assert kinds.count("person") >= 19 and kinds.count("account") >= 20
    held = {e["to"] for e in nb["edges"] if e["kind"] == "holds"}
    accts = [n["id"] for n in nb["nodes"] if n["kind"] == "account"]
    assert sum(a in held for a in accts) >= len(accts) - 1  # at most the last one lost its holder to the cap
    top = max(e["amount_fen"] for e in nb["edges"] if e["kind"] == "transfer")
    assert top == max(((i * 7919) % 90000 + 100) * 100 + i % 100 for i in range(300))  # the largest flow is kept


def test_cap_in_cypher_and_links_among_without_walking_the_hub(graph, tmp_path):
    """The hop's counterparties are ranked and cut IN the database (at most `limit` come back, the
    largest flows first, with the total before the cut), every counterparty left out is counted
    once, and the links among the view are found without walking the hub's own transfers: a
    transfer to the subject's second account, the hub's cash self-loop and a transfer between two
    shown neighbours all appear."""
    import csv

    from hubdata import HUB, HUB_ACCOUNT, write_hub
    from ingest import load_dir
    from investigations import queries

    n = 300
    d = write_hub(tmp_path / "hub", n)
    second = "6222990000000001"
    with open(d / "accounts.csv", "a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow([second, HUB, "bank"])
    amount = {i: ((i * 7919) % 90000 + 100) * 100 + i % 100 for i in range(n)}
    top = sorted(range(n), key=lambda i: -amount[i])
    a1, a2 = f"6217{top[0]:012d}", f"6217{top[1]:012d}"
    with open(d / "transfers.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows = [r + ["kind"] if k == 0 else r + ["transfer"] for k, r in enumerate(rows)]
    rows += [["HX1", HUB_ACCOUNT, second, "1.00", "2024-06-01 10:00", "transfer"],
             ["HX2", HUB_ACCOUNT, "", "2.00", "2024-06-02 10:00", "cash_withdrawal"],
             ["HX3", a1, a2, "3.00", "2024-06-03 10:00", "transfer"]]
    with open(d / "transfers.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    load_dir(graph, d, rejects_dir=tmp_path / "rejects")

    got = graph.read_one(queries.Q_NETWORK_TRANSFERS, {"ids": [HUB_ACCOUNT, second], "known": [HUB_ACCOUNT, second],
                                                       "since": None, "min_fen": 0, "limit": 5})
    assert got["total"] == n  # the second account is in the view already: not a counterparty
    assert [r["account_id"] for r in got["rows"]] == [f"6217{i:012d}" for i in top[:5]]
    assert [r["cny_fen"] for r in got["rows"]] == [amount[i] for i in top[:5]]
    assert all(r["holder"] and r["degree"] >= 2 for r in got["rows"])

    nb = neighbourhood(graph, HUB, depth=1, since=None, max_nodes=41)
    ids = {nd["id"] for nd in nb["nodes"]}
    shown = [k for k in ids if k.startswith("a:6217")]
    assert len(ids) == 41 and f"a:{a1}" in ids and f"a:{a2}" in ids
    assert nb["more"] == n - len(shown)  # each counterparty left out counted once, fetched or not
    edges = {e["id"]: e for e in nb["edges"]}
    assert edges[f"transfer:{HUB_ACCOUNT}->{second}"]["transfer_ids"] == ["HX1"]
    assert edges[f"transfer:{HUB_ACCOUNT}->{HUB_ACCOUNT}"]["transfer_ids"] == ["HX2"]
    assert edges[f"transfer:{a1}->{a2}"]["transfer_ids"] == ["HX3"]


def test_large_layout_is_a_radial_tree_and_deterministic():
    n = 5000
    net = {"root": "p:R", "nodes": [{"id": "p:R", "key": "R", "kind": "person", "depth": 0}]
           + [{"id": f"a:{i}", "key": str(i), "kind": "account", "depth": 1} for i in range(n)],
           "edges": [{"id": f"transfer:{i}", "from": "p:R", "to": f"a:{i}", "kind": "transfer"} for i in range(n)]}
    pos = netmodel.layout(net)
    assert pos == netmodel.layout(net) and pos["p:R"] == (0.0, 0.0) and len(pos) == n + 1
    assert len({(round(x, 4), round(y, 4)) for x, y in pos.values()}) == n + 1  # no two nodes on one spot
    assert max(abs(c) for p in pos.values() for c in p) <= 1.0


def test_cap_notice_words():
    assert netmodel.cap_notice(5, 0, 5) == ""
    assert "另有 3 个节点未显示" in netmodel.cap_notice(5, 3, 5)
    assert "not drawn" in netmodel.cap_notice(5, 3, 5, lang="en", drawn=True)


def _walked(plan: dict) -> int:
    """Rows out of every expand of a profiled plan: how many relationships the query walked."""
    own = plan.get("rows", 0) if plan["operatorType"].split("@")[0].startswith("Expand") else 0
    return own + sum(_walked(c) for c in plan.get("children", []))


def test_links_among_walk_the_quiet_side_of_busy_accounts(graph, tmp_path):
    """Links among the view are read from the side of the visible accounts with fewer transfers: two
    payment platforms in the view each take 300 payments from outside it and pay out only to their
    holder's bank account, so the read walks their few outgoing transfers, not the 600 incoming
    (session 20: the old read walked every visible account but the busiest whole, and grew with the
    store). The links are exactly the transfers with both ends in the view."""
    import csv

    from ingest import load_dir
    from investigations import queries

    d = tmp_path / "plat"
    d.mkdir()

    def write(name: str, header: list[str], rows: list[list]) -> None:
        with open(d / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header] + rows)

    write("persons.csv", ["person_id", "name", "id_number"], [["S1", "债务人甲", ""], ["Q1", "平台甲", ""],
                                                              ["Q2", "平台乙", ""]])
    acc = {"sa": "6222000000000001", "pa1": "2088000000000001", "qb1": "6222000000000011",
           "pa2": "2088000000000002", "qb2": "6222000000000022"}
    write("accounts.csv", ["account_id", "holder_id", "kind"],
          [[acc["sa"], "S1", "bank"], [acc["pa1"], "Q1", "payment"], [acc["qb1"], "Q1", "bank"],
           [acc["pa2"], "Q2", "payment"], [acc["qb2"], "Q2", "bank"]])
    rows = [["T1", acc["sa"], acc["pa1"], "100.00", "2024-05-01 10:00", "transfer"],
            ["T2", acc["sa"], acc["pa2"], "200.00", "2024-05-02 10:00", "transfer"],
            ["T3", acc["sa"], "", "50.00", "2024-05-03 10:00", "cash_withdrawal"]]
    rows += [[f"W1{k}", acc["pa1"], acc["qb1"], f"{1000 + k}.00", f"2024-06-0{k + 1} 10:00", "transfer"]
             for k in range(3)]
    rows += [[f"W2{k}", acc["pa2"], acc["qb2"], f"{2000 + k}.00", f"2024-06-0{k + 1} 11:00", "transfer"]
             for k in range(2)]
    for i in range(300):  # the public paying the platforms: never in the view
        rows += [[f"X{i:04d}", f"6228{i:012d}", acc["pa1"], "9.00", "2024-04-01 09:00", "transfer"],
                 [f"Y{i:04d}", f"6229{i:012d}", acc["pa2"], "8.00", "2024-04-01 09:00", "transfer"],
                 [f"Z{i:04d}", "6231000000000000", f"6230{i:012d}", "7.00", "2024-04-02 09:00", "transfer"]]
    write("transfers.csv", ["transfer_id", "from_account", "to_account", "amount", "at", "kind"], rows)
    load_dir(graph, d, rejects_dir=tmp_path / "rejects")

    nb = neighbourhood(graph, "S1", depth=1, since=None)
    shown = sorted(n["key"] for n in nb["nodes"] if n["kind"] == "account")
    assert shown == sorted(acc.values())
    edges = {(e["from"], e["to"]): e for e in nb["edges"] if e["kind"] == "transfer"}
    assert {k: (e["count"], e["amount_fen"], e["transfer_ids"]) for k, e in edges.items()} == {
        (f"a:{acc['sa']}", f"a:{acc['pa1']}"): (1, 10000, ["T1"]),
        (f"a:{acc['sa']}", f"a:{acc['pa2']}"): (1, 20000, ["T2"]),
        (f"a:{acc['sa']}", f"a:{acc['sa']}"): (1, 5000, ["T3"]),
        (f"a:{acc['pa1']}", f"a:{acc['qb1']}"): (3, 300300, ["W10", "W11", "W12"]),
        (f"a:{acc['pa2']}", f"a:{acc['qb2']}"): (2, 400100, ["W20", "W21"])}

    params = {"ids": shown, "since": None, "min_fen": 0, "limit": 5000}
    walked = _walked(graph.profile(queries.Q_NETWORK_TRANSFERS_AMONG, params))
    assert walked <= 20, walked  # the 9 transfers out of the view's accounts (+ the self-loop), not the 600 in
    # the same links as every transfer with both ends in the view (a brute-force read)
    brute = graph.read("""
        MATCH (x:Account)-[t:TRANSFER]->(y:Account) WHERE x.account_id IN $ids AND y.account_id IN $ids
        RETURN x.account_id AS src, y.account_id AS dst, count(t) AS n""", {"ids": shown})
    got = graph.read(queries.Q_NETWORK_TRANSFERS_AMONG, params)
    assert sorted((r["src"], r["dst"], r["n"]) for r in got) == sorted((r["src"], r["dst"], r["n"]) for r in brute)
    # an employer paying 300 people, in a view with two of them: the incoming side is walked (2), not
    # the employer's 300 payments out
    hub_view = ["6231000000000000", "6230000000000000", "6230000000000001"]
    walked = _walked(graph.profile(queries.Q_NETWORK_TRANSFERS_AMONG, {**params, "ids": hub_view}))
    assert walked <= 10, walked
    assert sorted((r["src"], r["dst"], r["n"]) for r in graph.read(queries.Q_NETWORK_TRANSFERS_AMONG,
                                                                    {**params, "ids": hub_view})) \
        == [("6231000000000000", "6230000000000000", 1), ("6231000000000000", "6230000000000001", 1)]
