"""The Neo4j layer: local server, driver lifecycle, schema, read/write helpers, bounded traversals into NetworkX (graph.traversal).

This package is the only place that imports `neo4j`.
"""
from .db import (ALLOWED_PROCEDURES, Connection, ConstraintViolation, Graph, GraphError, GraphUnavailable,
                 QueryRefused, QueryTimeout, plan_violations, resolve_connection, scratch_connection)
from .server import LocalServer, ServerError, free_port

__all__ = ["ALLOWED_PROCEDURES", "Connection", "GraphUnavailable", "plan_violations", "Graph", "GraphError", "QueryRefused", "QueryTimeout", "LocalServer",
           "ServerError", "free_port", "ConstraintViolation", "resolve_connection", "scratch_connection"]
