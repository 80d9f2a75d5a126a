"""The app's door to the evidence graph: one `graph.Graph` per app, opened on first use.

In a request the local server is never started (that takes a minute and belongs to `make demo` /
`python -m graph start`): if Neo4j does not answer, the page says so with a 503 and the next
request tries again, so the app recovers without a restart when the database is back.
"""
from __future__ import annotations

import logging
import threading

from flask import current_app, has_request_context

from graph import Graph, GraphUnavailable, ServerError

logger = logging.getLogger(__name__)
_lock = threading.Lock()


def get_graph() -> Graph:
    """The app's Graph: `GRAPH` from config (tests), else one connection made on first use."""
    ext = current_app.extensions
    g = ext.get("evidence_graph")
    if g is None:
        with _lock:
            g = ext.get("evidence_graph")
            if g is None:
                g = current_app.config.get("GRAPH")
                if g is None:
                    try:
                        g = Graph.connect(start_local=not has_request_context(),
                                          max_retry_seconds=float(current_app.config.get("GRAPH_RETRY_SECONDS", 3)))
                    except ServerError as exc:
                        raise GraphUnavailable(f"the evidence database does not run: {exc}") from exc
                ext["evidence_graph"] = g
    return g
