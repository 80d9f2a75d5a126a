"""CLI: python -m investigations {list,run,scan,trace,evaluate} (see docs/detection.md)."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from audittrail import record_cli
from graph import Graph, GraphError

from .analysis import trace
from .leads import yuan
from .patterns import PatternError, load_patterns
from .runner import run_pattern
from .scan import scan

TABLE_COLS = ("score", "subject_id", "subject_name", "case_no", "stage", "amount_fen", "counterparties",
              "first_at", "last_at", "evidence")


def _date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s}") from exc


def _kv(items: list[str]) -> dict[str, str]:
    out = {}
    for it in items or []:
        if "=" not in it:
            raise SystemExit(f"--param wants k=v, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _cell(col: str, v: Any) -> str:
    if col == "amount_fen":
        return yuan(v)
    if col == "evidence":
        return ",".join(v["transfer_ids"] + v["asset_transfer_ids"] + v["balance_rows"])
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return "" if v is None else str(v)


def _table(rows: list[dict], cols: tuple[str, ...]) -> str:
    cells = [[c if c != "amount_fen" else "amount_yuan" for c in cols]]
    cells += [[_cell(c, r.get(c)) for c in cols] for r in rows]
    widths = [min(40, max(len(r[i]) for r in cells)) for i in range(len(cols))]
    return "\n".join("  ".join(r[i][:40].ljust(widths[i]) for i in range(len(cols))) for r in cells)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m investigations", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the saved patterns and their parameters")
    r = sub.add_parser("run", help="run one pattern")
    r.add_argument("pattern")
    r.add_argument("--param", action="append", default=[], metavar="K=V", help="money in yuan, ratios as fractions")
    r.add_argument("--as-of", type=_date)
    r.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s = sub.add_parser("scan", help="every pattern: the leads file")
    s.add_argument("--as-of", type=_date)
    s.add_argument("--param", action="append", default=[], metavar="PATTERN.K=V")
    s.add_argument("--out", required=True, type=Path)
    from synth.__main__ import register_evaluate  # CLI alias of `python -m synth evaluate`
    register_evaluate(sub)
    t = sub.add_parser("trace", help="where a subject's money went")
    t.add_argument("subject_id")
    t.add_argument("--since", type=_date)
    t.add_argument("--max-hops", type=int, default=4)
    t.add_argument("--max-edges", type=int, default=5000)
    t.add_argument("--format", choices=("table", "json"), default="table")
    f = sub.add_parser("freeze-list", help="the freeze list (冻结/保全建议清单) of a debtor as CSV (BOM)")
    f.add_argument("subject_id")
    f.add_argument("--case", dest="case_no")
    f.add_argument("--as-of", type=_date, help="data cut-off (default today); same as-of -> same list")
    f.add_argument("--out", required=True, type=Path)
    f.add_argument("--pdf", type=Path, help="also write the one-page Chinese PDF here")
    from evidence.cli import register as register_package  # the CLI composes the evidence package
    register_package(sub)
    from .netexport import register as register_export_graph
    register_export_graph(sub)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if a.verbose else logging.WARNING, format="%(levelname)s %(message)s")

    if a.cmd == "package":
        return a.func(a)
    if a.cmd == "list":
        for p in load_patterns().values():
            print(f"{p.id}  {p.title_zh} / {p.title_en}")
            for prm in p.params:
                print(f"    {prm.name} ({prm.type}, default {prm.default} {prm.unit})  {prm.description_en}")
        return 0
    if a.cmd == "evaluate":
        return a.func(a)
    if a.cmd == "export-graph":
        return a.func(a, record_cli)
    try:
        with Graph.connect() as g:
            if a.cmd == "run":
                res = run_pattern(g, a.pattern, _kv(a.param), a.as_of)
                record_cli("run_pattern", f"pattern:{a.pattern}", params=res.params, hits=len(res.hits))
                if a.format == "json":
                    json.dump({"pattern": res.pattern_id, "params": res.params, "hits": res.hits,
                               "excluded_non_cny": res.excluded_non_cny, "truncated": res.truncated,
                               "notes": res.notes}, sys.stdout, ensure_ascii=False, indent=1, default=str)
                    print()
                elif a.format == "csv":
                    w = csv.writer(sys.stdout)
                    w.writerow(("lead_id", "pattern") + TABLE_COLS + ("amount_yuan", "explanation_en"))
                    for h in res.hits:
                        w.writerow([h["lead_id"], h["pattern"]]
                                   + [h[c] if c == "amount_fen" else _cell(c, h.get(c)) for c in TABLE_COLS]
                                   + [yuan(h["amount_fen"]).replace(",", ""), h["explanation_en"]])
                else:
                    print(f"{res.pattern_id}: {len(res.hits)} hit(s); params {res.params}")
                    if res.hits:
                        print(_table(res.hits, TABLE_COLS))
                    for cur, v in res.excluded_non_cny.items():
                        print(f"left out (not CNY): {cur} {yuan(v['amount_minor'])} in {v['transfers']} transfer(s)")
                    for n in res.notes:
                        print("note:", n)
            elif a.cmd == "scan":
                params: dict[str, dict] = {}
                for k, v in _kv(a.param).items():
                    pid, _, name = k.partition(".")
                    params.setdefault(pid, {})[name] = v
                out = scan(g, a.as_of, params)
                record_cli("scan", str(a.as_of or ""), params=params, leads=len(out["leads"]), out=str(a.out))
                a.out.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
                by = {}
                for lead in out["leads"]:
                    by[lead["pattern"]] = by.get(lead["pattern"], 0) + 1
                print(f"{len(out['leads'])} lead(s), {len(out['subjects'])} subject(s) -> {a.out}")
                for pid, n in by.items():
                    print(f"  {pid}: {n}")
            elif a.cmd == "freeze-list":
                from .freeze import FreezeListError, freeze_list, write_csv
                try:
                    fl = freeze_list(g, a.subject_id, a.case_no, a.as_of)
                except FreezeListError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                write_csv(fl, a.out)
                if a.pdf:
                    from .freeze_pdf import write_pdf
                    write_pdf(fl, a.pdf)
                print(f"{len(fl['lines'])} line(s), proposed {yuan(fl['proposed_fen'])} of unpaid "
                      f"{yuan(fl['unpaid_fen'])} (list {fl['list_id']}, as of {fl['as_of']}) -> {a.out}")
            else:
                res = trace(g, a.subject_id, a.since, a.max_hops, a.max_edges)
                record_cli("trace", a.subject_id, since=a.since, max_hops=a.max_hops)
                if a.format == "json":
                    json.dump(res, sys.stdout, ensure_ascii=False, indent=1, default=str)
                    print()
                else:
                    print(f"{res['subject_id']} {res['subject_name']}: since {res['since']}, "
                          f"{yuan(res['out_fen'])} out, {yuan(res['returned_fen'])} returned"
                          f"{' (truncated)' if res['truncated'] else ''}")
                    print(_table(res["endpoints"], ("account_id", "holder_id", "holder_name", "amount_fen",
                                                    "hops", "relation")))
                    if res["intermediaries"]:
                        print("intermediaries:", ", ".join(f"{x['account_id']} ({x['betweenness']})"
                                                           for x in res["intermediaries"]))
    except (PatternError, GraphError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
