"""`python -m graph start | stop | status | reset --yes`: manage the local Neo4j."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .db import Graph, GraphError, resolve_connection
from .server import LocalServer, ServerError, main_status


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m graph", description="Manage the project's local Neo4j server.")
    p.add_argument("--data", help="data directory (default var/neo4j, or NEO4J_LOCAL_DATA)")
    p.add_argument("--port", type=int, help="Bolt port on 127.0.0.1 (default 17687, or NEO4J_LOCAL_PORT)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("start", help="start the local server (or report the running one)")
    sub.add_parser("stop", help="stop the local server")
    sub.add_parser("status", help="print whether it runs and its Bolt URI")
    r = sub.add_parser("reset", help="delete every node and relationship")
    r.add_argument("--yes", action="store_true", help="really empty the database")
    r.add_argument("--remote", action="store_true",
                   help="allow emptying the server named by NEO4J_URI (not one this project started)")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    server = LocalServer(args.data, args.port)
    try:
        if args.cmd == "start":
            st = server.start()
            print(f"local Neo4j running, pid {st.pid}: {st.uri}")
            with Graph(resolve_connection(server=server)) as g:
                g.ensure_schema()
        elif args.cmd == "stop":
            print("stopped" if server.stop() else "not running")
        elif args.cmd == "status":
            if os.environ.get("NEO4J_URI"):
                print(f"using NEO4J_URI={os.environ['NEO4J_URI']} (local server: {main_status(server)})")
            else:
                print(main_status(server))
            return 0 if (os.environ.get("NEO4J_URI") or server.is_running()) else 3
        elif args.cmd == "reset":
            if not args.yes:
                print("refusing to empty the database without --yes", file=sys.stderr)
                return 2
            remote = bool(os.environ.get("NEO4J_URI"))
            if remote and not args.remote:
                print(f"refusing: NEO4J_URI points at {os.environ['NEO4J_URI']}, a server this project did "
                      "not start. Add --remote if you really mean to empty it.", file=sys.stderr)
                return 2
            conn = resolve_connection(start_local=False, server=server)
            with Graph(conn) as g:
                g.wipe()
                g.ensure_schema()
            from audittrail import record_cli
            record_cli("reset", conn.uri, remote=remote)
            print(f"emptied {conn.uri}")
    except (ServerError, GraphError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
