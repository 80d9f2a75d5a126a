"""`python -m ingest load DIR | loads | unload LOAD_ID | generate DIR ...`."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from audittrail import record_cli
from graph import Graph, GraphError, ServerError

from .loader import load_dir
from .loads import UnknownLoad, list_loads, unload
from .readers import InputError


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ingest", description="Load contract tables into the graph.")
    sub = p.add_subparsers(dest="cmd", required=True)
    ld = sub.add_parser("load", help="load every table found in a folder")
    ld.add_argument("dir", type=Path)
    ld.add_argument("--rejects", type=Path, help="folder for rejected rows (default ./rejects)")
    ld.add_argument("--summary-json", type=Path, help="write the per-table summary here")
    ld.add_argument("--no-progress", action="store_true", help="no progress bar")
    ld.add_argument("--known-on", type=_day, metavar="YYYY-MM-DD",
                    help="the day the data was exported (default: now); point-in-time figures use it")
    ls = sub.add_parser("loads", help="list the loads in the graph")
    ls.add_argument("--status", choices=("complete", "running", "failed"), help="only loads with this status")
    ul = sub.add_parser("unload", help="remove everything one load created")
    ul.add_argument("load_id")
    try:  # CLI alias of `python -m synth generate`
        from synth import generate
        generate.register(sub)
    except ImportError:  # the generator is test tooling, optional for loading
        pass
    return p


def _print_summary(result) -> None:
    print(f"load {result.load_id} from {result.source_dir}")
    print(f"{'table':<16}{'read':>10}{'loaded':>10}{'rejected':>10}")
    for name, c in result.tables.items():
        print(f"{name:<16}{c['read']:>10}{c['loaded']:>10}{c['rejected']:>10}")
    if result.rejected:
        print(f"{result.rejected} rejected row(s) written to {result.rejects_dir}/<table>.csv")
    for r in result.refused:
        print(f"not loaded: {r['source']}: {r['reason']}")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.cmd == "generate":
        return args.func(args)
    try:
        with Graph.connect() as g:
            if args.cmd == "load":
                result = load_dir(g, args.dir, args.rejects, progress=not args.no_progress and sys.stderr.isatty(),
                                  known_on=args.known_on)
                _print_summary(result)
                if args.summary_json:
                    args.summary_json.write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2))
                record_cli("load", result.load_id, source_dir=str(result.source_dir), tables=result.tables,
                           rejected=result.rejected)
            elif args.cmd == "loads":
                rows = [r for r in list_loads(g) if not args.status or r["status"] == args.status]
                if not rows:
                    print("no loads")
                for r in rows:
                    total = {k: sum(t[k] for t in r["tables"].values()) for k in ("read", "loaded", "rejected")}
                    print(f"{r['load_id']}  {r['started_at']}  {r['status']:<9} read {total['read']}, "
                          f"loaded {total['loaded']}, rejected {total['rejected']}  {r['source_dir']}")
                    if r.get("error"):
                        print(f"    error: {r['error']}")
            elif args.cmd == "unload":
                removed = unload(g, args.load_id)
                record_cli("unload", args.load_id, removed=removed)
                print(f"unloaded {args.load_id}: " + (", ".join(f"{k} {v}" for k, v in removed.items()) or "nothing"))
    except (InputError, UnknownLoad) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ServerError, GraphError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
