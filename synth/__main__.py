"""CLI: `python -m synth generate DIR --seed N --persons N [--transfers N] [--as-of DAY]` and
`python -m synth evaluate LEADS TRUTH [--format table|json]`.

`python -m ingest generate` and `python -m investigations evaluate` are aliases of these two
sub-commands (kept so that older notes and scripts keep working).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from . import generate
from .evaluate import evaluate


def register_evaluate(subparsers: Any) -> None:
    """Add the `evaluate` sub-command (recall / precision of a leads file) to an argparse subparsers object."""
    e = subparsers.add_parser("evaluate", help="recall / precision of a leads file against ground_truth.json")
    e.add_argument("leads", type=Path)
    e.add_argument("truth", type=Path)
    e.add_argument("--format", choices=("table", "json"), default="table")
    e.set_defaults(func=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    """CLI entry: score a leads file against ground truth and print the report."""
    rep = evaluate(json.loads(args.leads.read_text(encoding="utf-8")),
                   json.loads(args.truth.read_text(encoding="utf-8")))
    if args.format == "json":
        print(json.dumps(rep, ensure_ascii=False, indent=1))
        return 0
    print(f"{'pattern':34} planted found recall  leads correct precision")
    for pid, r in rep["patterns"].items():
        rec = "-" if r["recall"] is None else f"{r['recall']:.3f}"
        pre = "-" if r["precision"] is None else f"{r['precision']:.3f}"
        print(f"{pid:34} {r['planted']:7} {r['found']:5} {rec:>6}  {r['leads']:5} {r['correct']:7} {pre:>9}")
    print(f"decoys: {rep['decoys']}, flagged: {len(rep['decoys_flagged'])}")
    for d in rep["decoys_flagged"]:
        print(f"  flagged {d['pattern']} {d['subject_id']} ({d['why']}): {', '.join(d['lead_ids'])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The `python -m synth` argument parser."""
    ap = argparse.ArgumentParser(prog="python -m synth", description="Synthetic worlds with known answers.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    generate.register(sub)
    register_evaluate(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the sub-command."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
