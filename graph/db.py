"""Driver lifecycle and read/write helpers: the one door to Neo4j.

One `Graph` (one driver) per process or app. Reads run in read transactions
(`execute_read`, so a cluster routes them to a reader), writes in write transactions;
both may be retried by the driver, so every transaction function here is
idempotent (MERGE, or DELETE by key). Results come back as plain Python values
(`datetime.date`, `datetime.datetime`, `int`, ...), never driver types, so nothing
outside `graph/` needs to import `neo4j`.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (ClientError, DatabaseUnavailable, IncompleteCommit, Neo4jError, ServiceUnavailable,
                              SessionExpired, TransientError)

#: What a stopped, stopping or restarting server raises: shown as 503, never as 500.
_DOWN = (ServiceUnavailable, SessionExpired, DatabaseUnavailable, TransientError, IncompleteCommit, OSError)

from . import schema
from .server import AUTH_USER, LocalServer, ServerError, free_port

logger = logging.getLogger(__name__)


class GraphError(RuntimeError):
    """A database problem worth showing to a person (bad query, unreachable server)."""

    http_status = 500


class QueryRefused(GraphError):
    """A user-supplied query that would write, or that does not parse."""

    http_status = 400


class ConstraintViolation(GraphError):
    """A write broke a uniqueness constraint (e.g. a transfer id stored twice): nothing of it was written."""


class QueryTimeout(GraphError):
    """A read that ran past its time limit."""

    http_status = 504


class AccessViolation(GraphError):
    """A query ran in the wrong kind of transaction: a pure read inside a write transaction (on a
    cluster it would load the leader and skip the read replicas), or a write sent as a read."""


#: Set to 1 (the tests do) to make every query check that it ran in the right kind of transaction.
CHECK_ACCESS_ENV = "GRAPH_CHECK_ACCESS"


class GraphUnavailable(GraphError):
    """Neo4j does not answer (stopped, restarting): the page says so and works again once it is back."""

    http_status = 503


#: Procedures a user-supplied read (saved query, ad-hoc query, pattern file) may call.
ALLOWED_PROCEDURES = frozenset({"db.labels", "db.relationshipTypes", "db.propertyKeys"})
#: Plan operators that reach outside the graph or the database's own state.
_REFUSED_OPERATORS = ("LoadCSV", "AdministrationCommand", "SystemProcedureCall")
_PROC_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*\(")


def plan_violations(plan: dict | None) -> list[str]:
    """What in an EXPLAIN plan a read guard must refuse: LOAD CSV, procedures outside the
    allow-list, SHOW/administration commands. Empty when the plan only reads the graph."""
    found: list[str] = []
    stack = [plan] if plan else []
    while stack:
        op = stack.pop()
        kind = str(op.get("operatorType") or "").split("@")[0]
        details = str((op.get("args") or {}).get("Details") or "")
        if kind.startswith("LoadCSV"):
            found.append("LOAD CSV (reading files or URLs) is not allowed")
        elif kind == "ProcedureCall" or kind.endswith("ProcedureCall"):
            m = _PROC_NAME.match(details)
            name = m.group(1) if m else details
            if name not in ALLOWED_PROCEDURES:
                found.append(f"procedure {name} is not allowed (allowed: {', '.join(sorted(ALLOWED_PROCEDURES))})")
        elif kind.startswith("Show") or kind in _REFUSED_OPERATORS or kind.startswith("Administration"):
            found.append(f"{kind} commands are not allowed")
        stack.extend(op.get("children") or [])
    return found


@dataclass(frozen=True)
class Connection:
    uri: str
    user: str | None
    password: str | None
    database: str
    local: bool

    def env(self) -> dict[str, str]:
        """The environment that points a CLI child process at this same database."""
        out = {"NEO4J_URI": self.uri, "NEO4J_USER": self.user or "neo4j", "NEO4J_DATABASE": self.database}
        if self.password:
            out["NEO4J_PASSWORD"] = self.password
        return out


def resolve_connection(start_local: bool = True, server: LocalServer | None = None) -> Connection:
    """Where to connect: `NEO4J_URI` (+ user, password, database) if set, else the local server.

    The local server is started (or reused) unless `start_local` is False.
    """
    uri = os.environ.get("NEO4J_URI")
    database = os.environ.get("NEO4J_DATABASE", "neo4j")
    if uri:
        return Connection(uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD"),
                          database, local=False)
    server = server or LocalServer()
    if start_local:
        state = server.start()
    else:
        state = server.state()
        if state is None:
            raise ServerError("the local Neo4j is not running: `python -m graph start`.")
    return Connection(state.uri, AUTH_USER, server.password(), database, local=True)


@contextlib.contextmanager
def scratch_connection(work_dir: str | os.PathLike, heap: str = "1g",
                       pagecache_mb: int = 256,
                       import_dir: str | os.PathLike | None = None) -> Iterator[Connection]:
    """A database that may be emptied: `NEO4J_URI` if set, else a throw-away local server.

    The throw-away server keeps its store in `work_dir`, listens on a free port (so tests and
    benchmarks never collide with each other or with the demo database) and is stopped on exit.
    """
    if os.environ.get("NEO4J_URI"):
        yield resolve_connection(start_local=False)
        return
    server = LocalServer(work_dir, free_port(), heap=heap, pagecache_mb=pagecache_mb, import_dir=import_dir)
    state = server.start()
    try:
        yield Connection(state.uri, AUTH_USER, server.password(), "neo4j", local=True)
    finally:
        server.stop()


def to_native(value: Any) -> Any:
    """Driver values to plain Python: temporal types, nodes, relationships, lists, maps."""
    if isinstance(value, (neo4j.time.Date, neo4j.time.DateTime, neo4j.time.Time)):
        return value.to_native()
    if isinstance(value, neo4j.graph.Node):
        d = {k: to_native(v) for k, v in value.items()}
        d["_labels"] = sorted(value.labels)
        d["_eid"] = value.element_id
        return d
    if isinstance(value, neo4j.graph.Relationship):
        d = {k: to_native(v) for k, v in value.items()}
        d["_type"] = value.type
        d["_eid"] = value.element_id
        d["_start"] = value.start_node.element_id if value.start_node is not None else None
        d["_end"] = value.end_node.element_id if value.end_node is not None else None
        return d
    if isinstance(value, neo4j.graph.Path):
        return {"nodes": [to_native(n) for n in value.nodes],
                "relationships": [to_native(r) for r in value.relationships]}
    if isinstance(value, list):
        return [to_native(v) for v in value]
    if isinstance(value, dict):
        return {k: to_native(v) for k, v in value.items()}
    return value


class Graph:
    """A driver plus the database name, with read/write helpers that return plain rows."""

    def __init__(self, connection: Connection, max_retry_seconds: float | None = None) -> None:
        """`max_retry_seconds`: how long the driver retries a transaction that failed for a transient
        reason (driver default 30 s); a web app sets it low so a stopped database gives a quick 503."""
        self.connection = connection
        self.database = connection.database
        auth = (connection.user, connection.password) if connection.password else None
        extra = {"max_transaction_retry_time": max_retry_seconds} if max_retry_seconds is not None else {}
        self.driver = GraphDatabase.driver(connection.uri, auth=auth, notifications_min_severity="OFF",
                                           connection_acquisition_timeout=10.0, **extra)
        self._approved: set[str] = set()
        self._approved_lock = threading.Lock()
        #: Raise AccessViolation when a read runs in a write transaction (GRAPH_CHECK_ACCESS=1).
        self.check_access = os.environ.get(CHECK_ACCESS_ENV, "") not in ("", "0")
        #: Queries run so far per (transaction mode, Neo4j query type): what the tests assert on.
        self.access_counts: dict[tuple[str, str], int] = {}
        self._counts_lock = threading.Lock()
        try:
            self.driver.verify_connectivity()
        except (ServiceUnavailable, OSError, Neo4jError) as exc:
            self.driver.close()
            if isinstance(exc, Neo4jError) and not isinstance(exc, (ServiceUnavailable, SessionExpired)):
                raise GraphError(f"Neo4j at {connection.uri} refused the connection: {exc}. "
                                 "Check NEO4J_USER / NEO4J_PASSWORD (or the local server's var/neo4j/password).") from exc
            raise GraphUnavailable(f"cannot reach Neo4j at {connection.uri}: {exc}. "
                             "Check NEO4J_URI, or unset it to use the local server.") from exc

    @property
    def routing(self) -> bool:
        """Whether the driver routes (a `neo4j://` URI): reads go to readers, writes to the leader."""
        return isinstance(self.driver, neo4j.Neo4jDriver)

    @classmethod
    def connect(cls, start_local: bool = True, max_retry_seconds: float | None = None) -> "Graph":
        """Connect to the configured server, starting the local one if needed."""
        return cls(resolve_connection(start_local=start_local), max_retry_seconds=max_retry_seconds)

    def close(self) -> None:
        self.driver.close()

    def reconnect(self) -> None:
        """A new driver on the same connection (after the server restarted, e.g. a bulk import)."""
        old, check, counts = self.driver, self.check_access, self.access_counts
        self.__init__(self.connection)  # type: ignore[misc]
        self.check_access, self.access_counts = check, counts
        old.close()

    def local_server(self) -> LocalServer:
        """The local server this Graph talks to (for what only its host can do: a bulk import)."""
        if not self.connection.local and not os.environ.get("NEO4J_LOCAL_DATA"):
            raise ServerError(f"{self.connection.uri} is not this machine's local server: neo4j-admin import must "
                              "run on the database host (unset NEO4J_URI to use the local server)")
        server = LocalServer()
        port = int(self.connection.uri.rsplit(":", 1)[1])
        if server.port != port:
            raise ServerError(f"the local server's port {server.port} is not the connection's {port}: "
                              "set NEO4J_LOCAL_DATA and NEO4J_LOCAL_PORT to the server to import into")
        return server

    def __enter__(self) -> "Graph":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------
    def read(self, cypher: str, params: dict | None = None, timeout: float | None = 60.0) -> list[dict]:
        """Run one read query in a read transaction; rows as dicts of plain values."""
        @neo4j.unit_of_work(timeout=timeout)
        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            result = tx.run(cypher, params or {})
            rows = [{k: to_native(v) for k, v in rec.items()} for rec in result]
            self._account("read", cypher, result.consume())
            return rows

        return self._run("read", work)

    def _account(self, mode: str, cypher: str, summary: Any) -> None:
        """Count the query by (mode, query type); with `check_access`, refuse a read in a write
        transaction (the leader would serve what a read replica should) and a write sent as a read.

        `summary.query_type` is Neo4j's own classification of the compiled plan ('r', 'rw', 'w',
        's'), so this cannot drift from what the server will do.
        """
        qtype = summary.query_type or "?"
        with self._counts_lock:
            self.access_counts[(mode, qtype)] = self.access_counts.get((mode, qtype), 0) + 1
        if not self.check_access:
            return
        if mode in ("write", "autocommit") and qtype == "r":
            raise AccessViolation(f"a read ran in a {mode} transaction (use Graph.read): {cypher.strip()[:200]}")
        if mode == "read" and qtype in ("w", "rw"):
            raise AccessViolation(f"a '{qtype}' query ran as a read (use Graph.write): {cypher.strip()[:200]}")

    def read_one(self, cypher: str, params: dict | None = None, timeout: float | None = 60.0) -> dict | None:
        rows = self.read(cypher, params, timeout)
        return rows[0] if rows else None

    def stream(self, cypher: str, params: dict | None = None, fetch_size: int = 5000) -> Iterator[dict]:
        """Stream a large read without holding all rows (exports, benchmarks)."""
        with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                 fetch_size=fetch_size) as session:
            result = session.run(cypher, params or {})
            for rec in result:
                yield {k: to_native(v) for k, v in rec.items()}
            self._account("read", cypher, result.consume())

    # -- writes ------------------------------------------------------------------
    def write(self, cypher: str, params: dict | None = None) -> list[dict]:
        """Run one idempotent write query in a write transaction."""
        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            result = tx.run(cypher, params or {})
            rows = [{k: to_native(v) for k, v in rec.items()} for rec in result]
            self._account("write", cypher, result.consume())
            return rows

        return self._run("write", work)

    def write_batches(self, cypher: str, rows: Sequence[dict] | Iterable[dict], batch_size: int = 5000,
                      **params: Any) -> int:
        """`UNWIND $rows AS row ...` in write transactions of `batch_size` rows; returns rows sent."""
        sent = 0
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                self.write(cypher, {"rows": batch, **params})
                sent += len(batch)
                batch = []
        if batch:
            self.write(cypher, {"rows": batch, **params})
            sent += len(batch)
        return sent

    def run_autocommit(self, cypher: str, params: dict | None = None, read: bool = False) -> list[dict]:
        """For schema commands and `CALL { ... } IN TRANSACTIONS`, which need an implicit transaction.

        `read=True` for the rare read that must run outside a transaction function (a procedure
        such as `db.awaitIndexes`): routed READ like any other read."""
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        with self.driver.session(database=self.database, default_access_mode=mode) as session:
            result = session.run(cypher, params or {})
            rows = [{k: to_native(v) for k, v in rec.items()} for rec in result]
            self._account("read" if read else "autocommit", cypher, result.consume())
            return rows

    def _run(self, mode: str, work: Any) -> Any:
        try:
            with self.driver.session(database=self.database) as session:
                if mode == "read":
                    return session.execute_read(work)
                return session.execute_write(work)
        except _DOWN as exc:
            raise GraphUnavailable(f"the evidence database (Neo4j at {self.connection.uri}) does not answer; "
                                   "try again in a moment, or ask the administrator to start it "
                                   "(`python -m graph start`)") from exc
        except ClientError as exc:
            code = exc.code or ""
            if "TransactionTimedOut" in code or "Terminated" in code:
                raise QueryTimeout(f"query ran past its time limit: {exc.message}") from exc
            if "ConstraintValidationFailed" in code:
                raise ConstraintViolation(f"{code}: {exc.message}") from exc
            raise GraphError(f"{code}: {exc.message}") from exc

    # -- user queries ------------------------------------------------------------
    def explain(self, cypher: str, params: dict | None = None) -> tuple[str, dict | None]:
        """EXPLAIN a query in a READ session: Neo4j's query type ('r', 'rw', 'w', 's') and its plan."""
        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                summary = s.run("EXPLAIN " + cypher, params or {}).consume()
        except _DOWN as exc:
            raise GraphUnavailable(f"the evidence database (Neo4j at {self.connection.uri}) does not answer; "
                                   "try again in a moment") from exc
        except ClientError as exc:
            if "ProcedureNotFound" in (exc.code or ""):
                raise QueryRefused(f"refused: {exc.message} Only these procedures may be called: "
                                   f"{', '.join(sorted(ALLOWED_PROCEDURES))}.") from exc
            raise QueryRefused(f"the query does not parse: {exc.message}") from exc
        return summary.query_type or "", summary.plan

    def profile(self, cypher: str, params: dict | None = None) -> dict:
        """PROFILE a read in a read transaction and return Neo4j's profiled plan (operators with their
        rows and db hits), so a test or a bench can check how much of the store a query walked."""
        def work(tx: Any) -> dict:
            res = tx.run("PROFILE " + cypher, params or {})
            for _ in res:  # the plan's figures are final only once every row was pulled
                pass
            return res.consume().profile
        return self._run("read", work)

    def query_type(self, cypher: str, params: dict | None = None) -> str:
        """EXPLAIN a query and return Neo4j's query type: 'r', 'rw', 'w' or 's'."""
        return self.explain(cypher, params)[0]

    def ensure_read_only(self, cypher: str, params: dict | None = None) -> None:
        """Refuse a query unless EXPLAIN calls it a pure read AND its plan holds no LOAD CSV, no
        procedure outside `ALLOWED_PROCEDURES` and no SHOW/administration command.

        EXPLAIN alone is not enough: it calls `LOAD CSV FROM 'file:///...'` a read.
        A query once approved is remembered by its text (plans do not depend on values).
        """
        if cypher in self._approved:
            return
        qtype, plan = self.explain(cypher, params)
        bad = plan_violations(plan)
        if bad:
            raise QueryRefused("refused: " + "; ".join(dict.fromkeys(bad)))
        if qtype != "r":
            what = "a schema or system command" if qtype == "s" else "the query writes"
            raise QueryRefused(f"refused: only read queries may be saved or run here (EXPLAIN reports "
                               f"'{qtype}': {what})")
        with self._approved_lock:
            if len(self._approved) > 1000:
                self._approved.clear()
            self._approved.add(cypher)

    def read_guarded(self, cypher: str, params: dict | None = None, timeout: float = 30.0,
                     row_limit: int = 5000) -> tuple[list[dict], bool]:
        """A user-supplied read: guarded (`ensure_read_only`), READ mode, a timeout and a row cap
        enforced by the database; returns (at most `row_limit` rows, whether more existed)."""
        params = dict(params or {})
        self.ensure_read_only(cypher, params)
        wrapped = "CALL () {\n%s\n}\nRETURN * LIMIT $__row_limit" % cypher
        try:
            self.ensure_read_only(wrapped, {**params, "__row_limit": row_limit + 1})
            rows = self.read(wrapped, {**params, "__row_limit": row_limit + 1}, timeout=timeout)
        except QueryRefused:
            # Some reads cannot be wrapped (unaliased RETURN expressions): run as written, stream the cap.
            rows = self._read_capped(cypher, params, timeout, row_limit + 1)
        return rows[:row_limit], len(rows) > row_limit

    def _read_capped(self, cypher: str, params: dict, timeout: float, cap: int) -> list[dict]:
        @neo4j.unit_of_work(timeout=timeout)
        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            out = []
            for rec in tx.run(cypher, params):
                out.append({k: to_native(v) for k, v in rec.items()})
                if len(out) >= cap:
                    break
            return out

        return self._run("read", work)

    # -- schema ------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create every constraint and index if missing (idempotent; runs at start)."""
        for stmt in schema.CONSTRAINTS + schema.INDEXES:
            self.run_autocommit(stmt)
        self.run_autocommit("CALL db.awaitIndexes(300)", read=True)

    def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type (the allow-listed ones)."""
        out: dict[str, int] = {}
        for lab in sorted(schema.LABELS):
            row = self.read_one(f"MATCH (n:{schema.label(lab)}) RETURN count(n) AS c")
            out[lab] = row["c"] if row else 0
        for rel in sorted(schema.REL_TYPES):
            row = self.read_one(f"MATCH ()-[r:{schema.rel_type(rel)}]->() RETURN count(r) AS c")
            out[rel] = row["c"] if row else 0
        return out

    def wipe(self) -> None:
        """Delete every node and relationship, in batches (schema stays).

        Relationships go first, in their own batches: a DETACH DELETE of 10,000 nodes takes every
        relationship of each with it, and a busy account (a merchant paid by a million transfers)
        overflows the transaction memory pool (MemoryPoolOutOfMemoryError, seen at 1M transfers)."""
        self.run_autocommit("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS")
        self.run_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
