"""`python -m ingest load DIR | loads | unload LOAD_ID | export-ftm OUT | load-ftm IN | profiles | sniff FILE |
generate DIR ...`."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from audittrail import default_url, os_user, record_cli
from graph import Graph, GraphError, ServerError

from . import entities
from .loader import load_dir
from .loads import UnknownLoad, list_loads, unload
from .readers import InputError
from .statements import TOLERANCE_SECONDS, ProfileError, all_profiles, sniff


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
    ld.add_argument("--account", action="append", default=[], metavar="[FILE=]ACCOUNT",
                    help="own account of a personal statement whose preamble and name do not give it")
    ld.add_argument("--pair-tolerance", type=int, default=TOLERANCE_SECONDS, metavar="SECONDS",
                    help=f"largest time gap between the two sides of one transfer (default {TOLERANCE_SECONDS})")
    ld.add_argument("--bulk-import", action="store_true",
                    help="EMPTY local database only: persons, companies, accounts and transfers through "
                         "neo4j-admin import (the server restarts once); refused if the database holds anything")
    sub.add_parser("profiles", help="list the layouts of bank and payment returns")
    sn = sub.add_parser("sniff", help="say which return layout a file matches, or what it lacks")
    sn.add_argument("file", type=Path)
    ls = sub.add_parser("loads", help="list the loads in the graph")
    ls.add_argument("--status", choices=("complete", "running", "failed"), help="only loads with this status")
    ul = sub.add_parser("unload", help="remove everything one load created")
    ul.add_argument("load_id")
    for cmd in (ld, ul):
        cmd.add_argument("--no-resolve", action="store_true",
                         help="do not recompute entity resolution afterwards (run `resolve` later)")
    sub.add_parser("resolve", help="recompute certain merges and candidates of entity resolution; report counts")
    cd = sub.add_parser("candidates", help="list the candidates of the last resolve (pairs for a person to judge)")
    cd.add_argument("--status", choices=entities.STATUSES, help="only candidates with this status")
    jd = sub.add_parser("judge", help="record a judgement of two person (or company) records")
    jd.add_argument("left")
    jd.add_argument("right")
    jd.add_argument("decision", choices=entities.DECISIONS)
    jd.add_argument("--by", help="who judged (default: the OS user, as cli:<user>)")
    jd.add_argument("--note", help="why")

    ef = sub.add_parser("export-ftm", help="write the graph as FollowTheMoney entities (JSON lines)")
    ef.add_argument("out", type=Path)
    ef.add_argument("--subject", metavar="ID", help="only this person's or company's bounded network")
    ef.add_argument("--depth", type=int, default=1, choices=(1, 2, 3), help="hops of --subject's network (default 1)")
    lf = sub.add_parser("load-ftm", help="load a FollowTheMoney JSON-lines file as one load (undo with unload)")
    lf.add_argument("file", type=Path)
    lf.add_argument("--rejects", type=Path, help="folder for rejected lines and rows (default ./rejects)")
    lf.add_argument("--known-on", type=_day, metavar="YYYY-MM-DD", help="the day the data was exported")
    try:  # CLI alias of `python -m synth generate`
        from synth import generate
        generate.register(sub)
        gen = sub.choices["generate"]
        gen.add_argument("--as-returns", action="store_true", dest="as_returns",
                         help="write bank and payment returns (layouts 1-3) instead of transfer and bank "
                              "account tables (synth/returns.py)")
    except ImportError:  # the generator is test tooling, optional for loading
        pass
    return p


def _print_summary(result) -> None:
    print(f"load {result.load_id} from {result.source_dir}")
    print(f"{'table':<16}{'read':>10}{'loaded':>10}{'rejected':>10}")
    for name, c in result.tables.items():
        print(f"{name:<16}{c['read']:>10}{c['loaded']:>10}{c['rejected']:>10}")
    if result.statements:
        st = result.statements
        print(f"{'return file':<40}{'profile':<22}{'read':>8}{'loaded':>8}{'paired':>8}{'skipped':>8}{'rejected':>9}")
        for name, c in st["files"].items():
            print(f"{name:<40}{c['profile']:<22}{c['read']:>8}{c['loaded']:>8}{c['paired']:>8}{c['skipped']:>8}"
                  f"{c['rejected']:>9}")
            for why, n in c["skipped_reasons"].items():
                print(f"{'':<4}skipped {n}: {why}")
        print(f"{st['transfers']} transfer(s) from {st['paired_sides']} paired and {st['unpaired_sides']} unpaired "
              f"side(s); {st['cash']} cash movement(s); {st['holder_links']} holder link(s) by ID number; "
              f"{st['persons_created']} person(s) known from bank returns; {st['balances']} daily balance(s)")
    if result.rejected:
        print(f"{result.rejected} rejected row(s) written to {result.rejects_dir}/<table>.csv")
    for r in result.refused:
        print(f"not loaded: {r['source']}: {r['reason']}")


def _accounts(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        name, _, acc = v.rpartition("=")
        out[name] = acc
    return out


def _profiles() -> int:
    for p in all_profiles():
        print(f"{p.name:<22}{p.kind:<14}{p.title}")
        print(f"{'':<22}identified by: {', '.join(p.signature)}")
    return 0


def _sniff(path: Path) -> int:
    s = sniff(path)
    if s.profile is None:
        print(s.why_not())
        return 2
    p = s.profile
    print(f"{s.name}: profile {p.name} ({p.title}), header on row {s.header_index + 1}"
          + (f", encoding {s.encoding}, {'tab' if s.delimiter == chr(9) else 'comma'}-separated" if s.encoding else ""))
    for f, cols in sorted(s.columns.items()):
        print(f"  {f:<18}<- {', '.join(s.headers[i] for i in cols)}")
    unused = [h for i, h in enumerate(s.headers) if h and not any(i in c for c in s.columns.values())]
    if unused:
        print(f"  not used: {', '.join(unused)}")
    return 0


def _store():
    from sqlalchemy import create_engine
    url = default_url()
    engine = create_engine(url)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    return engine


def _resolve(g: Graph) -> None:
    """Recompute entity resolution, print and audit its counts."""
    res = entities.resolve(g, _store())
    s = res.summary()
    print(f"entities: {s['persons']} person and {s['companies']} company records; "
          f"{s['person_clusters']} persons and {s['company_clusters']} companies joined from "
          f"{s['records_joined']} records ({', '.join(f'{k} {v}' for k, v in sorted(s['by_rule'].items())) or 'none'}); "
          f"candidates: {', '.join(f'{k} {v}' for k, v in sorted(s['candidates'].items())) or 'none'}")
    record_cli("entity_resolve", None, **s)


def _candidates(status: str | None) -> int:
    rows = entities.candidates(_store(), status)
    if not rows:
        print("no candidates" + (f" with status {status}" if status else ""))
    for c in rows:
        reasons = ", ".join(c["reasons"])
        print(f"{c['left']}  {c['right']}  {c['score']:.2f}  {c['status']:<8} {reasons}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.cmd == "generate":
        if getattr(args, "as_returns", False):
            from synth.returns import run as run_returns
            return run_returns(args)
        return args.func(args)
    try:
        if args.cmd == "profiles":
            return _profiles()
        if args.cmd == "sniff":
            return _sniff(args.file)
    except (ProfileError, InputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "candidates":
        return _candidates(args.status)
    try:
        with Graph.connect() as g:
            if args.cmd == "resolve":
                _resolve(g)
            elif args.cmd == "judge":
                by = args.by or f"cli:{os_user()}"
                j = entities.judge(g, _store(), args.left, args.right, args.decision, by, args.note)
                record_cli("entity_judge", f"{j.left}|{j.right}", decision=j.decision, by=by, kind=j.kind,
                           note=args.note)
                print(f"{j.left} {j.right}: {j.decision} by {by}")
                _resolve(g)
            elif args.cmd == "load":
                loader = load_dir
                if args.bulk_import:
                    from .bulk import load_dir_bulk as loader
                result = loader(g, args.dir, args.rejects, progress=not args.no_progress and sys.stderr.isatty(),
                                accounts=_accounts(args.account), tolerance=args.pair_tolerance)
                _print_summary(result)
                if args.summary_json:
                    args.summary_json.write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2))
                record_cli("load", result.load_id, source_dir=str(result.source_dir), tables=result.tables,
                           rejected=result.rejected)
                if not args.no_resolve:
                    _resolve(g)
            elif args.cmd == "loads":
                rows = [r for r in list_loads(g) if not args.status or r["status"] == args.status]
                if not rows:
                    print("no loads")
                for r in rows:
                    total = {k: sum(t.get(k, 0) for t in r["tables"].values())
                             for k in ("read", "loaded", "paired", "skipped", "rejected")}
                    print(f"{r['load_id']}  {r['started_at']}  {r['status']:<9} read {total['read']}, "
                          f"loaded {total['loaded']}, paired {total['paired']}, skipped {total['skipped']}, "
                          f"rejected {total['rejected']}  {r['source_dir']}")
            elif args.cmd == "export-ftm":
                from .ftm import export_ftm
                counts = export_ftm(g, args.out, subject_id=args.subject, depth=args.depth)
                record_cli("export-ftm", str(args.out), subject=args.subject, entities=counts)
                print(f"wrote {sum(counts.values())} FtM entities to {args.out}: "
                      + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            elif args.cmd == "load-ftm":
                from .ftm import load_ftm
                result = load_ftm(g, args.file, args.rejects, known_on=args.known_on)
                _print_summary(result)
                f = result.ftm
                print(f"{f['lines']} FtM line(s): {f['rows']} contract row(s), {f['derived']} derived link(s), "
                      f"{f['account_refs']} account(s) known only from transfers, {f['rejected']} rejected"
                      + (f" (see {result.rejects_dir}/ftm.csv)" if f["rejected"] else ""))
                record_cli("load-ftm", result.load_id, source=str(args.file), tables=result.tables,
                           rejected=result.rejected)
            elif args.cmd == "unload":
                removed = unload(g, args.load_id)
                record_cli("unload", args.load_id, removed=removed)
                print(f"unloaded {args.load_id}: " + (", ".join(f"{k} {v}" for k, v in removed.items()) or "nothing"))
                if not args.no_resolve:
                    _resolve(g)
    except (InputError, UnknownLoad, ProfileError, entities.UnknownRecord) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ServerError, GraphError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
