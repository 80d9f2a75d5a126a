"""Benchmark: generate a dataset, load it, reload it (idempotence), unload both; times and peak memory.

    .venv/bin/python bench/bench_ingest.py --persons 3000 --transfers 100000 [--keep DIR]

Uses its own throw-away local Neo4j (or NEO4J_URI, which it EMPTIES). Prints one JSON line
per step; results are copied by hand into docs/benchmarks.md with the machine they ran on.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import Graph, scratch_connection  # noqa: E402
from ingest import list_loads, load_dir, unload  # noqa: E402


def child_peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the generated data here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    data = args.keep or work / "data"
    secs, rss = child_peak_rss_mb([sys.executable, "-m", "ingest", "generate", str(data), "--seed", str(args.seed),
                                   "--persons", str(args.persons), "--transfers", str(args.transfers)])
    print(json.dumps({"step": "generate", "persons": args.persons, "transfers": args.transfers,
                      "seconds": round(secs, 1), "peak_rss_mb": round(rss)}))
    try:
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
            g.wipe()
            for step in ("load", "reload"):
                t = time.perf_counter()
                r = load_dir(g, data, work / "rejects")
                secs = time.perf_counter() - t
                tr = r.tables["transfers"]
                print(json.dumps({"step": step, "seconds": round(secs, 1), "rejected": r.rejected,
                                  "transfers_per_s": round(tr["read"] / secs),
                                  "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                                  "counts": {k: v for k, v in g.counts().items() if v}}))
            # Unload the reload (every record was stated by both loads: the rebuild path), then the
            # first load (every record is its alone: the delete path); the graph must end empty.
            for lid in [x["load_id"] for x in list_loads(g)]:
                t = time.perf_counter()
                removed = unload(g, lid)
                print(json.dumps({"step": "unload", "seconds": round(time.perf_counter() - t, 1),
                                  "deleted": sum(removed.values()),
                                  "left": {k: v for k, v in g.counts().items() if v}}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
