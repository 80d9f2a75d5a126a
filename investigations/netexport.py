"""CLI: `python -m investigations export-graph SUBJECT_ID --format graphml|gexf --out FILE` — the
subject's network (the one the network page draws) for Gephi and i2-style tools. See docs/interop.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from graph import Graph, GraphError
from ingest.parse import parse_money_fen

from . import netmodel
from .network import ALLOWED_DEPTHS, default_since, export_graph

logger = logging.getLogger(__name__)


def _since(s: str) -> dt.date | str:
    if s.lower() in ("all", "none", ""):
        return "all"
    try:
        return dt.date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD) or 'all': {s}") from exc


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `export-graph` sub-command to the investigations CLI."""
    p = sub.add_parser("export-graph", help="a subject's network as GraphML or GEXF (Gephi, i2)")
    p.add_argument("subject_id")
    p.add_argument("--format", choices=netmodel.EXPORT_FORMATS, required=True)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--depth", type=int, choices=ALLOWED_DEPTHS, default=1)
    p.add_argument("--since", type=_since, default=None,
                   help="transfers on or after this day (default: as the network page, the open cases' "
                        "litigation start); 'all' for no lower bound")
    p.add_argument("--min-yuan", default="0", help="leave out transfers below this amount")
    p.add_argument("--max-nodes", type=int, default=netmodel.PAGE_MAX_NODES,
                   help=f"node cap (the page's default {netmodel.PAGE_MAX_NODES}, at most {netmodel.HARD_MAX_NODES})")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels")
    p.set_defaults(func=run)


def run(a: argparse.Namespace, record: Callable[..., Any] | None = None) -> int:
    """Write the export; 2 with a message on an unknown subject or a database error. `record` is
    the audit trail's CLI recorder (passed in by investigations/__main__.py, the package's door to it)."""
    try:
        min_fen = parse_money_fen(a.min_yuan)
    except ValueError as exc:
        print(f"error: --min-yuan: {exc}", file=sys.stderr)
        return 2
    try:
        with Graph.connect() as g:
            since = None if a.since == "all" else (a.since or default_since(g, a.subject_id))
            got = export_graph(g, a.subject_id, a.format, depth=a.depth, since=since, min_fen=min_fen,
                               max_nodes=a.max_nodes, lang=a.lang)
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if got is None:
        print(f"error: no person, company, account or asset with id {a.subject_id!r}", file=sys.stderr)
        return 2
    data, nb = got
    a.out.write_bytes(data)
    if record is not None:
        record("export_graph", a.subject_id, format=a.format, depth=a.depth, since=since, min_fen=min_fen,
               nodes=len(nb["nodes"]), edges=len(nb["edges"]), more=nb["more"], out=str(a.out))
    more = f"; {nb['more']} more nodes left out by the cap ({a.max_nodes})" if nb["more"] else ""
    print(f"{len(nb['nodes'])} nodes, {len(nb['edges'])} edges ({a.format}) -> {a.out}{more}")
    return 0
