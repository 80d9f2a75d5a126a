"""Shared fixtures: a real Neo4j for the whole test session, a clean database per test.

Without NEO4J_URI, each pytest session starts its own local Neo4j on a free port with
a throw-away data directory (so parallel runs and the demo database never collide)
and stops it at the end. With NEO4J_URI set, that server is used and EMPTIED.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from graph import Graph, scratch_connection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session", autouse=True)
def private_app_store(tmp_path_factory):
    """CLI runs in tests write their audit entries to a throw-away store, never var/app.db."""
    if os.environ.get("APP_DATABASE_URL"):
        yield
        return
    os.environ["APP_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('appstore') / 'app.db'}"
    try:
        yield
    finally:
        os.environ.pop("APP_DATABASE_URL", None)


@pytest.fixture(scope="session")
def neo4j_connection():
    """A Connection to a real Neo4j: NEO4J_URI, or a fresh local server for this session."""
    data = Path(tempfile.mkdtemp(prefix="neo4j-test-", dir=os.environ.get("NEO4J_TEST_TMP")))
    try:
        with scratch_connection(data, heap="1g", pagecache_mb=256) as conn:
            yield conn
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def session_graph(neo4j_connection):
    g = Graph(neo4j_connection)
    g.ensure_schema()
    yield g
    g.close()


@pytest.fixture
def graph(session_graph):
    """An empty database (schema kept) for one test."""
    session_graph.wipe()
    return session_graph


@pytest.fixture(scope="module")
def module_graph(session_graph):
    """An empty database shared by one module's tests (for a load they all read)."""
    session_graph.wipe()
    return session_graph


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
