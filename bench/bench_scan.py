"""Benchmark: detection on a generated dataset: each pattern, the full scan, one subject's
scan, flow tracing and one evidence package; with recall / precision against the ground truth.

    .venv/bin/python bench/bench_scan.py --persons 3000 --transfers 100000
    .venv/bin/python bench/bench_scan.py --persons 3000 --realistic
    .venv/bin/python bench/bench_scan.py --persons 20000 --transfers 1000000 --realistic --bulk-import --repeat 3
    .venv/bin/python bench/bench_scan.py --loaded DIR --skip-scan --patterns fan_out_dispersal,round_trip

Each pattern line also gives the CPU seconds of this process (the driver decoding rows and the
post-processing) and, when the server is a local one this bench can see (its own throw-away
server, or NEO4J_LOCAL_DATA naming the data directory of the server behind NEO4J_URI), of the
Neo4j server: on a shared, loaded machine wall times swing with the load, CPU seconds much less.

Each pattern runs `--repeat` times (after one warm-up scan) and its p50 is printed with the
split of that run's time into Cypher reads and Python post-processing; then the full scan
(also `--repeat` times, p50) with per-pattern recall / precision and the decoys flagged.
Uses its own throw-away local Neo4j (or NEO4J_URI, which it EMPTIES). Prints JSON lines;
results are copied into docs/benchmarks.md with the machine they ran on.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
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


class ReadClock:
    """Seconds spent inside Graph.read (the Cypher side, rows fetched included)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.reads = 0
        self._orig = Graph.read
        clock = self

        def read(g, cypher, params=None, timeout=60.0):
            t = time.perf_counter()
            try:
                return clock._orig(g, cypher, params, timeout)
            finally:
                clock.seconds += time.perf_counter() - t
                clock.reads += 1
        Graph.read = read

    def reset(self) -> None:
        self.seconds, self.reads = 0.0, 0


class CpuClock:
    """CPU seconds of this process and (when its pid is known) of the local Neo4j server."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid

    def server(self) -> float | None:
        if self.server_pid is None:
            return None
        try:
            f = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def now(self) -> tuple[float, float | None]:
        return time.process_time(), self.server()


def server_pid(data_dir: str | os.PathLike | None) -> int | None:
    """The pid of the local server whose data directory is `data_dir` (its server.json), if any."""
    if not data_dir:
        return None
    try:
        return int(json.loads((Path(data_dir) / "server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def p50(xs: list[float]) -> float:
    return round(statistics.median(xs), 2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=None, help="background transfers (default persons x 30)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--realistic", action="store_true", help="the realistic generator (busy debtors, decoys)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each pattern and of the scan (p50)")
    ap.add_argument("--skip-extras", action="store_true",
                    help="stop after the scan and quality lines (no one-subject scan, trace or package)")
    ap.add_argument("--bulk-import", action="store_true",
                    help="load through neo4j-admin import into the empty throw-away server (ingest.bulk), "
                         "much faster at 1M transfers")
    ap.add_argument("--loaded", type=Path, default=None,
                    help="skip generate and load: NEO4J_URI already holds this generated directory's data "
                         "(its ground_truth.json is read); nothing is emptied")
    ap.add_argument("--patterns", default=None,
                    help="comma-separated pattern ids: time only these alone (default: all thirteen)")
    ap.add_argument("--skip-scan", action="store_true",
                    help="time the patterns only (no full scans, no quality lines)")
    args = ap.parse_args()
    only = [p.strip() for p in args.patterns.split(",")] if args.patterns else list(PATTERN_IDS)
    unknown = [p for p in only if p not in PATTERN_IDS]
    if unknown:
        ap.error(f"unknown pattern(s): {', '.join(unknown)}")
    work = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    data = args.loaded or work / "data"
    if args.loaded is None:
        summary = generate(data, args.seed, args.persons, args.transfers, realistic=args.realistic)
        print(json.dumps({"step": "generate", "persons": args.persons, "realistic": args.realistic,
                          "transfers": summary["tables"]["transfers"]}))
    elif not os.environ.get("NEO4J_URI"):
        ap.error("--loaded needs NEO4J_URI (the database holding that data)")
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    try:
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
            local_data = os.environ.get("NEO4J_LOCAL_DATA") if os.environ.get("NEO4J_URI") else str(work / "db")
            if args.loaded is None:
                g.wipe()
                if args.bulk_import:
                    from ingest.bulk import load_dir_bulk
                    # the importer finds the throw-away server by these (graph.Graph.local_server)
                    os.environ["NEO4J_LOCAL_DATA"] = str(work / "db")
                    os.environ["NEO4J_LOCAL_PORT"] = conn.uri.rsplit(":", 1)[1]
                    _, secs = timed(load_dir_bulk, g, data, work / "rejects")
                else:
                    _, secs = timed(load_dir, g, data, work / "rejects")
                print(json.dumps({"step": "load", "seconds": secs, "path": "bulk-import" if args.bulk_import
                                  else "load_dir"}))
            else:
                print(json.dumps({"step": "loaded", "data": str(data), "transfers": g.read_one(
                    "MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]}))
            scan(g, as_of, patterns=only)  # warm-up: plans and page cache
            clock = ReadClock()
            cpu = CpuClock(server_pid(local_data))
            print(json.dumps({"step": "uptime", "load": os.getloadavg()}))
            for pid in only:
                runs = []
                for _ in range(args.repeat):
                    clock.reset()
                    (c0, s0) = cpu.now()
                    res, secs = timed(run_pattern, g, pid, None, as_of)
                    (c1, s1) = cpu.now()
                    runs.append((secs, clock.seconds, clock.reads, c1 - c0, None if s0 is None else s1 - s0))
                secs, cy, n, ccpu, scpu = sorted(runs)[len(runs) // 2]
                print(json.dumps({"step": "pattern", "pattern": pid, "p50_seconds": p50([r[0] for r in runs]),
                                  "cypher_seconds": round(cy, 2), "python_seconds": round(secs - cy, 2),
                                  "client_cpu_seconds": round(ccpu, 2),
                                  "server_cpu_seconds": None if scpu is None else round(scpu, 2),
                                  "reads": n, "hits": len(res.hits)}))
            if args.skip_scan:
                print(json.dumps({"step": "uptime", "load": os.getloadavg()}))
                return 0
            times, cpus = [], []
            for _ in range(args.repeat):
                (c0, s0) = cpu.now()
                leads, secs = timed(scan, g, as_of)
                (c1, s1) = cpu.now()
                times.append(secs)
                cpus.append((round(c1 - c0, 2), None if s0 is None else round(s1 - s0, 2)))
            rep = evaluate(leads, truth)
            print(json.dumps({"step": "scan", "p50_seconds": p50(times), "seconds": times,
                              "cpu_seconds_client_server": cpus, "load": os.getloadavg(),
                              "leads": len(leads["leads"]), "subjects": len(leads["subjects"]),
                              "truncated_notes": len(leads["notes"]),
                              "recall_min": min(p["recall"] for p in rep["patterns"].values()
                                                if p["recall"] is not None),
                              "precision_min": min(p["precision"] for p in rep["patterns"].values()
                                                   if p["precision"] is not None),
                              "decoys_flagged": len(rep.get("decoys_flagged") or [])}))
            for pid, p in rep["patterns"].items():
                print(json.dumps({"step": "quality", "pattern": pid, "planted": p["planted"], "found": p["found"],
                                  "recall": p["recall"], "leads": p["leads"], "precision": p["precision"]}))
            if args.skip_extras:
                return 0
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
