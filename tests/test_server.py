"""The local server starts, serves Bolt, refuses a busy port, and stops without leaving a process."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from graph import Graph, LocalServer, ServerError, free_port
from graph.db import Connection
from graph.server import _pid_alive

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="tests the local server")


def test_start_serve_stop(tmp_path):
    server = LocalServer(tmp_path / "db", free_port(), heap="512m", pagecache_mb=64)
    st = server.start()
    try:
        assert server.is_running()
        # A second start on the same data directory reuses the running server.
        assert server.start().pid == st.pid
        with Graph(Connection(st.uri, "neo4j", server.password(), "neo4j", True)) as g:
            assert g.read_one("RETURN 1 + 1 AS two")["two"] == 2
            row = g.read_one("CALL dbms.components() YIELD versions, edition RETURN versions[0] AS v, edition")
            assert row["v"].startswith("5.26.") and row["edition"] == "community"
    finally:
        assert server.stop()
    assert not _pid_alive(st.pid)
    assert not server.is_running()
    assert server.state() is None


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        server = LocalServer(tmp_path / "db", port)
        with pytest.raises(ServerError, match="in use"):
            server.start()


def test_missing_jars_is_a_clear_error(tmp_path, monkeypatch):
    import graph.server as srv
    monkeypatch.setattr(srv, "LIB_DIR", tmp_path / "nolib")
    with pytest.raises(ServerError, match="make setup"):
        LocalServer(tmp_path / "db", free_port()).start()


def test_cli_reset_refuses_without_yes(tmp_path):
    r = subprocess.run([sys.executable, "-m", "graph", "--data", str(tmp_path), "reset"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--yes" in r.stderr


def test_cli_reset_refuses_remote_without_flag(tmp_path):
    env = {**os.environ, "NEO4J_URI": "bolt://127.0.0.1:1"}
    r = subprocess.run([sys.executable, "-m", "graph", "--data", str(tmp_path), "reset", "--yes"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "--remote" in r.stderr


def test_schema_constraints_present(graph):
    names = {r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name RETURN name")}
    for expected in ("person_key", "company_key", "account_key", "balance_key", "asset_key",
                     "assettransfer_key", "case_key", "inmate_key", "load_key", "transfer_key"):
        assert expected in names
    idx = {r["name"] for r in graph.read("SHOW INDEXES YIELD name RETURN name")}
    assert {"transfer_on", "transfer_amount", "case_start"} <= idx


def test_explain_refuses_writes(graph):
    from graph import QueryRefused
    graph.ensure_read_only("MATCH (n:Person) RETURN n LIMIT 1")
    with pytest.raises(QueryRefused):
        graph.ensure_read_only("MATCH (n:Person) SET n.x = 1")
    with pytest.raises(QueryRefused):
        graph.ensure_read_only("CREATE (n:Person {person_id: 'x'})")
