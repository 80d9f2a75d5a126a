"""The Neo4j layer: local server, driver lifecycle, schema, read/write helpers, bounded traversals into NetworkX (graph.traversal).

This package is the only place that imports `neo4j`.
"""
from .db import Connection, Graph, GraphError, QueryRefused, QueryTimeout, resolve_connection, scratch_connection
from .server import LocalServer, ServerError, free_port

__all__ = ["Connection", "Graph", "GraphError", "QueryRefused", "QueryTimeout", "LocalServer",
           "ServerError", "free_port", "resolve_connection", "scratch_connection"]
