"""Past one machine: everything works through a `neo4j://` routing URI, and no read runs in a
write transaction (Graph.check_access, GRAPH_CHECK_ACCESS=1, checks Neo4j's own query type of
every query against the kind of transaction it ran in)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph import Graph
from graph.db import AccessViolation, GraphError
from ingest import load_dir
from investigations.scan import scan

from test_webutil import WEB_FIXTURE, login, make_app

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-10-31"
DAY = dt.date.fromisoformat(AS_OF)


def routed(conn):
    """The same server through a routing URI."""
    assert conn.uri.startswith("bolt://")
    return dataclasses.replace(conn, uri="neo4j://" + conn.uri[len("bolt://"):])


@pytest.fixture
def rgraph(graph, neo4j_connection):
    g = Graph(routed(neo4j_connection))
    g.check_access = True
    yield g
    g.close()


def test_check_access_refuses_a_read_in_a_write_transaction(rgraph):
    assert rgraph.routing
    with pytest.raises(AccessViolation, match="read ran in a write"):
        rgraph.write("MATCH (n:Person) RETURN count(n) AS c")
    rgraph.write("MERGE (l:Load {load_id: 'Lx'}) RETURN l.load_id AS id")  # a write that returns is fine
    with pytest.raises(GraphError):  # a write sent as a read: refused by the server or by the check
        rgraph.read("CREATE (l:Load {load_id: 'Ly'}) RETURN l.load_id AS id")
    assert rgraph.read("MATCH (l:Load) RETURN l.load_id AS id") == [{"id": "Lx"}]
    assert rgraph.access_counts[("write", "r")] == 1  # counted before it was refused (and rolled back)


def test_load_and_scan_through_routing_use_read_transactions_for_reads(rgraph, graph, tmp_path):
    result = load_dir(rgraph, WEB_FIXTURE, tmp_path / "rejects")
    assert result.tables["transfers"]["loaded"] > 0
    leads = scan(rgraph, as_of=DAY)
    assert leads["leads"]
    reads = sum(n for (mode, qtype), n in rgraph.access_counts.items() if qtype == "r")
    assert reads > 50 and all(mode == "read" for (mode, qtype) in rgraph.access_counts if qtype == "r")
    writes = sum(n for (mode, qtype), n in rgraph.access_counts.items() if mode in ("write", "autocommit"))
    assert writes > 10
    # the same leads as through a direct bolt:// connection
    same = scan(graph, as_of=DAY)
    assert [x["lead_id"] for x in leads["leads"]] == [x["lead_id"] for x in same["leads"]]


def test_clis_through_routing_uri(graph, neo4j_connection, tmp_path):
    env = {**os.environ, **routed(neo4j_connection).env(), "GRAPH_CHECK_ACCESS": "1"}
    run = lambda *a: subprocess.run([sys.executable, *a], cwd=ROOT, env=env, capture_output=True,  # noqa: E731
                                    text=True, timeout=600)
    r = run("-m", "ingest", "load", str(WEB_FIXTURE), "--no-progress", "--rejects", str(tmp_path / "rej"))
    assert r.returncode == 0, r.stderr[-2000:]
    out = tmp_path / "leads.json"
    r = run("-m", "investigations", "scan", "--as-of", AS_OF, "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    leads = json.loads(out.read_text(encoding="utf-8"))["leads"]
    direct = scan(graph, as_of=DAY)["leads"]
    assert leads and [x["lead_id"] for x in leads] == [x["lead_id"] for x in direct]


def test_app_through_routing_uri(rgraph, tmp_path):
    """The web app on a routing driver: scan, search, subject, network and money-flow pages."""
    load_dir(rgraph, WEB_FIXTURE, tmp_path / "rejects")
    app = make_app(rgraph, tmp_path)
    sup = login(app, "sup")
    from web import scan_jobs
    r = sup.post("/scan", data={"csrf_token": sup.token, "as_of": AS_OF})
    assert r.status_code == 302
    assert scan_jobs.wait(app, 300)
    assert scan_jobs.status(app)["error"] is None
    for url in ("/", "/search?q=P001", "/subject/P001", "/subject/P001/network", "/subject/P001/flow"):
        assert sup.get(url).status_code == 200, url
    assert all(mode == "read" for (mode, qtype) in rgraph.access_counts if qtype == "r")
