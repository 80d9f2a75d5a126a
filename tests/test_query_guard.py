"""The read guard: user-supplied Cypher (saved queries, ad-hoc queries, pattern files) cannot read
files or URLs, call procedures outside a small allow-list, or change anything. Against a real Neo4j."""
from __future__ import annotations

import dataclasses
import os
import stat

import pytest

from graph import ALLOWED_PROCEDURES, Graph, QueryRefused, plan_violations


@pytest.fixture
def seeded(graph):
    graph.write("CREATE (:Person {person_id: 'G1', name: '甲'}), (:Person {person_id: 'G2', name: '乙'})")
    return graph


def _state(graph):
    return graph.read_one("MATCH (n) OPTIONAL MATCH (n)-[r]->() "
                          "RETURN count(DISTINCT n) AS n, count(r) AS r, collect(DISTINCT n.name) AS names")


REFUSED = [
    ("LOAD CSV FROM 'file:///{secret}' AS r RETURN r", "LOAD CSV"),
    ("LOAD CSV WITH HEADERS FROM 'file:///{secret}' AS r RETURN r", "LOAD CSV"),
    ("LOAD CSV FROM 'http://127.0.0.1:9/x.csv' AS r RETURN r", "LOAD CSV"),
    ("LOAD CSV FROM 'https://example.org/x.csv' AS r RETURN r", "LOAD CSV"),
    ("MATCH (p:Person) CALL () { LOAD CSV FROM 'file:///{secret}' AS r RETURN r } RETURN p, r", "LOAD CSV"),
    ("CALL dbms.components() YIELD name RETURN name", "dbms.components"),
    ("CALL dbms.listConfig() YIELD name, value RETURN name, value", "dbms.listConfig"),
    ("CALL db.info()", "db.info"),
    ("CALL apoc.load.json('file:///{secret}') YIELD value RETURN value", "apoc.load.json"),
    ("CALL apoc.cypher.runWrite('MATCH (n) DETACH DELETE n', {})", "apoc.cypher.runWrite"),
    ("SHOW USERS", ""),
    ("SHOW PROCEDURES", "ShowProcedures"),
    ("MATCH (p:Person) SET p.name = 'x' RETURN p", "query writes"),
    ("MATCH (p:Person) DETACH DELETE p", "query writes"),
    ("CREATE (:Person {person_id: 'evil'})", "query writes"),
    ("MERGE (p:Person {person_id: 'evil'}) RETURN p", "query writes"),
    ("MATCH (p:Person) REMOVE p.name RETURN p", "query writes"),
    ("MATCH (p:Person) FOREACH (x IN [1] | SET p.name = 'x')", "query writes"),
    ("CREATE INDEX evil FOR (n:Person) ON (n.name)", ""),
    ("DROP CONSTRAINT person_key", ""),
]


@pytest.mark.parametrize("cypher,why", REFUSED)
def test_guard_refuses_and_nothing_changes(seeded, tmp_path, cypher, why):
    secret = tmp_path / "secret_key"
    secret.write_text("TOP-SECRET-KEY\n")
    q = cypher.replace("{secret}", str(secret).lstrip("/"))
    before = _state(seeded)
    with pytest.raises(QueryRefused) as err:
        seeded.read_guarded(q, {}, timeout=10, row_limit=10)
    msg = str(err.value)
    assert msg.startswith("refused") or "does not parse" in msg
    assert why in msg
    assert "TOP-SECRET-KEY" not in msg
    assert _state(seeded) == before
    with pytest.raises(QueryRefused):
        seeded.ensure_read_only(q)


def test_guard_allows_reads_and_listed_procedures(seeded):
    rows, capped = seeded.read_guarded("MATCH (p:Person) RETURN p.person_id AS id ORDER BY id", {}, row_limit=10)
    assert [r["id"] for r in rows] == ["G1", "G2"] and not capped
    rows, capped = seeded.read_guarded("MATCH (p:Person) RETURN p.person_id AS id", {}, row_limit=1)
    assert len(rows) == 1 and capped
    rows, _ = seeded.read_guarded("CALL db.labels() YIELD label RETURN label", {})
    assert "Person" in {r["label"] for r in rows}
    assert {"db.labels", "db.relationshipTypes"} <= ALLOWED_PROCEDURES


def test_plan_violations_walks_nested_plans():
    plan = {"operatorType": "ProduceResults@neo4j", "children": [
        {"operatorType": "Apply@neo4j", "children": [
            {"operatorType": "ProcedureCall@neo4j", "args": {"Details": "db.labels() :: (label :: STRING)"}},
            {"operatorType": "LoadCSV@neo4j", "args": {"Details": "r"}}]}]}
    assert plan_violations(plan) == ["LOAD CSV (reading files or URLs) is not allowed"]
    assert plan_violations({"operatorType": "ProcedureCall@neo4j",
                            "args": {"Details": "dbms.killQuery($id) :: (x :: STRING)"}})[0].startswith(
        "procedure dbms.killQuery is not allowed")


def test_server_itself_refuses_file_urls(seeded, tmp_path):
    """Second layer: even a LOAD CSV that skips the guard cannot read a local file."""
    if os.environ.get("NEO4J_URI"):
        pytest.skip("an external server has its own configuration")
    secret = tmp_path / "secret_key"
    secret.write_text("TOP-SECRET-KEY\n")
    from graph import GraphError
    with pytest.raises(GraphError) as err:
        seeded.read(f"LOAD CSV FROM 'file:///{str(secret).lstrip('/')}' AS r RETURN r")
    assert "allow_csv_import_from_file_urls" in str(err.value)
    assert "TOP-SECRET-KEY" not in str(err.value)


def test_local_server_requires_its_password(neo4j_connection):
    if os.environ.get("NEO4J_URI"):
        pytest.skip("an external server")
    from graph import GraphError
    from graph.db import Connection
    assert neo4j_connection.user == "neo4j" and len(neo4j_connection.password or "") >= 20
    with pytest.raises(GraphError):
        Graph(dataclasses.replace(neo4j_connection, password=None))
    with pytest.raises(GraphError):
        Graph(Connection(neo4j_connection.uri, "neo4j", "wrong-password", "neo4j", True))
    assert neo4j_connection.uri.startswith("bolt://127.0.0.1:")


def test_password_file_generated_private(tmp_path):
    from graph import LocalServer
    srv = LocalServer(tmp_path / "db", 1)
    pw = srv.password()
    assert pw and srv.password() == pw
    assert stat.S_IMODE(os.stat(srv.password_file).st_mode) == 0o600
    assert LocalServer(tmp_path / "other", 1).password() != pw


def test_pattern_files_pass_the_same_guard(seeded, monkeypatch):
    from investigations import runner
    from investigations.patterns import get_pattern
    pat = get_pattern("round_trip")
    evil = dataclasses.replace(pat, cypher="LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r", post=None)
    monkeypatch.setattr(runner, "get_pattern", lambda pid: evil)
    with pytest.raises(QueryRefused, match="LOAD CSV"):
        runner.run_pattern(seeded, "round_trip")
