"""Measured detection quality on the realistic generator (docs/detection.md, "Measured quality"):
generate --realistic, load, full scan, evaluate; per-pattern recall / precision, decoys
flagged, honest debtors with any lead, and the load / scan times.

    .venv/bin/python bench/detection_quality.py --persons 3000 [--transfers N] [--seed 7] [--out report.json]

Uses its own throw-away local Neo4j. Prints one JSON object (also written to --out).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import Graph, scratch_connection  # noqa: E402
from ingest import load_dir  # noqa: E402
from synth.generate import generate  # noqa: E402
from investigations import scan  # noqa: E402
from synth.evaluate import evaluate  # noqa: E402


def measure(persons: int, transfers: int | None, seed: int, work: Path) -> dict:
    """Generate, load, scan and evaluate; the report with timings."""
    t = time.perf_counter()
    summary = generate(work / "data", seed, persons, transfers, realistic=True)
    gen_s = time.perf_counter() - t
    truth = json.loads((work / "data" / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    with scratch_connection(work / "db", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
        g.wipe()
        t = time.perf_counter()
        load = load_dir(g, work / "data", work / "rejects")
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        leads = scan(g, as_of)
        scan_s = time.perf_counter() - t
    rep = evaluate(leads, truth)
    honest = {d["subject_id"] for d in truth["decoys"] if d.get("honest")}
    flagged_any = sorted({x["subject_id"] for x in leads["leads"]} & honest)
    return {
        "persons": persons, "seed": seed, "transfers": summary["tables"]["transfers"],
        "rejected": load.rejected, "generate_s": round(gen_s, 1), "load_s": round(load_s, 1),
        "scan_s": round(scan_s, 1), "leads": len(leads["leads"]), "subjects": len(leads["subjects"]),
        "patterns": {p: {k: v[k] for k in ("planted", "found", "recall", "leads", "correct", "precision", "missed")}
                     for p, v in rep["patterns"].items()},
        "decoys": rep["decoys"], "decoys_flagged": rep["decoys_flagged"],
        "honest_debtors": len(honest), "honest_with_any_lead": flagged_any,
        "leads_per_pattern": {p: v["leads"] for p, v in rep["patterns"].items()},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="detq-"))
    try:
        rep = measure(args.persons, args.transfers, args.seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(rep, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
