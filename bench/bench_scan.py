"""Benchmark: detection on a generated dataset: each pattern, the full scan, one subject's
scan, flow tracing and one evidence package; with recall / precision against the ground truth.

    .venv/bin/python bench/bench_scan.py --persons 3000 --transfers 100000

Uses its own throw-away local Neo4j (or NEO4J_URI, which it EMPTIES). Prints JSON lines;
results are copied into docs/benchmarks.md with the machine they ran on.
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
from investigations import run_pattern, scan, trace  # noqa: E402
from synth.evaluate import evaluate  # noqa: E402
from evidence.package import build_package  # noqa: E402
from investigations.patterns import PATTERN_IDS  # noqa: E402


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, round(time.perf_counter() - t, 2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    generate(work / "data", args.seed, args.persons, args.transfers)
    truth = json.loads((work / "data" / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    try:
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
            g.wipe()
            _, secs = timed(load_dir, g, work / "data", work / "rejects")
            print(json.dumps({"step": "load", "seconds": secs}))
            scan(g, as_of)  # warm-up: plans and page cache
            for pid in PATTERN_IDS:
                res, secs = timed(run_pattern, g, pid, None, as_of)
                print(json.dumps({"step": "pattern", "pattern": pid, "seconds": secs, "hits": len(res.hits)}))
            leads, secs = timed(scan, g, as_of)
            rep = evaluate(leads, truth)
            print(json.dumps({"step": "scan", "seconds": secs, "leads": len(leads["leads"]),
                              "subjects": len(leads["subjects"]),
                              "recall_min": min(p["recall"] for p in rep["patterns"].values()
                                                if p["recall"] is not None),
                              "precision_min": min(p["precision"] for p in rep["patterns"].values()
                                                   if p["precision"] is not None),
                              "decoys_flagged": rep.get("decoys_flagged")}))
            subject = leads["subjects"][0]["subject_id"]
            _, secs = timed(scan, g, as_of, subject_id=subject)
            print(json.dumps({"step": "scan one subject", "subject": subject, "seconds": secs}))
            tr, secs = timed(trace, g, subject)
            print(json.dumps({"step": "trace", "subject": subject, "seconds": secs,
                              "endpoints": len(tr.get("endpoints", []))}))
            pkg, secs = timed(build_package, g, subject, work / "pkg", as_of=as_of, investigator="bench")
            print(json.dumps({"step": "package", "subject": subject, "seconds": secs,
                              "zip_kb": round(pkg.zip_path.stat().st_size / 1024)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
