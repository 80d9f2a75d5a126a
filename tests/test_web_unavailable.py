"""Neo4j stopped under a running app: pages answer 503 with a clear message, and work again once it is
back, without restarting the app. Uses its own local server (stopped and started here)."""
from __future__ import annotations

import os
import time

import pytest

from graph import Graph, LocalServer, free_port
from graph.db import Connection

from test_webutil import login, make_app

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="stops and starts a local server")


def test_stopped_database_gives_503_and_recovers(tmp_path):
    server = LocalServer(tmp_path / "db", free_port(), heap="512m", pagecache_mb=64)
    st = server.start()
    g = Graph(Connection(st.uri, "neo4j", server.password(), "neo4j", True), max_retry_seconds=2)
    try:
        g.ensure_schema()
        g.write("CREATE (:Person {person_id: 'P9', name: '王五'})")
        app = make_app(g, tmp_path)
        inv = login(app, "inv")
        assert "王五" in inv.get("/search", query_string={"q": "王五"}).get_data(as_text=True)
        server.stop()
        t = time.monotonic()
        for url in ("/search?q=王五", "/subject/P9", "/"):
            r = inv.get(url)
            assert r.status_code == 503, url
            html = r.get_data(as_text=True)
            assert "Neo4j" in html and "does not answer" in html
        assert time.monotonic() - t < 60  # quick answers, not a hung worker
        assert inv.get("/investigations").status_code == 200  # pages that need no graph still work
        server.start()
        deadline = time.monotonic() + 60
        while True:
            r = inv.get("/search", query_string={"q": "王五"})
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert r.status_code == 200 and "王五" in r.get_data(as_text=True)
    finally:
        g.close()
        server.stop()
