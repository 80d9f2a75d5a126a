"""Benchmark: how load, scan and page costs grow from 100k to 1M to 5M transfers (issue 11 "Growth").

    .venv/bin/python bench/bench_growth.py                      # 100k, 1M, 5M (make bench-growth)
    .venv/bin/python bench/bench_growth.py --sizes 100k,1M      # some sizes only
    .venv/bin/python bench/bench_growth.py --report             # the Markdown tables of the results file

For each size (persons scale with it, see SIZES) and in this order:
1. generate a world (`python -m synth generate --realistic`: busy debtors, honest decoys and the v2
   patterns, as `make demo` and bench_scan's million; `--v1` for the old generator; a child process,
   kept under --work for a resume);
2. on a fresh throw-away local Neo4j: `python -m ingest load DIR --bulk-import --no-resolve` into the empty
   database; then the full scan (`investigations.scan`: one cold run, then --repeat runs, p50, with
   bench_scan's clock of Cypher time and recall / precision); then the pages (Flask test client):
   the busiest subject's page and network page (depth 1 and 2) and a planted subject's page and network
   page; then the server's heap (JMX) and resident set (VmHWM of the java process) and the store size;
3. on another fresh server: the normal loader `python -m ingest load DIR --no-resolve` (killed after
   --load-timeout seconds, and then its partial rate is recorded as such), and the store size.

Every step but the server's runs in its own child process, so each peak RSS is that step's own
(`ru_maxrss` of the child: the loader's and the scan's Python memory, never the JVM's). Every record
carries the git commit and the load average (`os.getloadavg`) when it ended, and is appended as one
JSON line to --results (default var/bench-growth/growth.jsonl). A second run skips every
(size, step) already in that file, so an interrupted run resumes where it stopped; use another
--results file (or --fresh) to measure new code. Needs its own local servers: refuses NEO4J_URI.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

#: transfers -> persons. Why these persons: about 33-50 transfers per person as in the demo (3,000 persons,
#: 100k) and in bench_scan's million (20,000 persons), so keys (persons, accounts, counterparties) grow with
#: the rows instead of a fixed population getting denser; at 5M, 100,000 persons (50 per person).
SIZES = {100_000: 3_000, 1_000_000: 20_000, 5_000_000: 100_000}
STEPS = ("generate", "bulk_import", "scan", "pages", "server", "load")


def parse_size(s: str) -> int:
    """'100k' / '1M' / '5000000' -> an int."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", s.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {s!r} (e.g. 100k, 1M, 5000000)")
    mult = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def dir_bytes(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink()) if p.exists() else 0


# ------------------------------------------------------------------ results file


class Results:
    """The JSON-lines results file: one record per (size, step); what is there is not run again."""

    def __init__(self, path: Path, commit: str) -> None:
        self.path = path
        self.commit = commit
        path.parent.mkdir(parents=True, exist_ok=True)

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def has(self, transfers: int, step: str) -> bool:
        return any(r["transfers"] == transfers and r["step"] == step for r in self.records())

    def add(self, transfers: int, persons: int, step: str, **fields: Any) -> dict:
        rec = {"transfers": transfers, "persons": persons, "step": step, **fields, "commit": self.commit,
               "loadavg": loadavg(), "ended": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        return rec


# ------------------------------------------------------------------ child processes


def run_cmd(cmd: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            log: Path | None = None) -> dict:
    """Run `cmd` in a wrapper that reports the child's own peak RSS; seconds, rss, exit code, stdout tail.

    On timeout the child's process group is killed and `timed_out` is True (its figures are partial).
    """
    if cmd[1:2] == ["-m"]:
        # `python -m MODULE ...` runs inside the wrapper, so Python's own peak RSS (RUSAGE_SELF) is told
        # apart from its children's (RUSAGE_CHILDREN: the largest one, e.g. neo4j-admin's JVM)
        wrapper = [cmd[0], "-c",
                   "import resource,runpy,sys\n"
                   "sys.argv=sys.argv[1:]\n"
                   "rc=0\n"
                   "try:\n"
                   "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
                   "except SystemExit as e:\n"
                   "    rc=e.code if isinstance(e.code,int) else (0 if e.code is None else 1)\n"
                   "print('__RSS__', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rc, "
                   "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
                   "sys.exit(rc)", *cmd[2:]]
    else:
        wrapper = [sys.executable, "-c",
                   "import resource,subprocess,sys\n"
                   "r=subprocess.run(sys.argv[1:])\n"
                   "print('__RSS__', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode, "
                   "file=sys.stderr)\n"
                   "sys.exit(r.returncode)", *cmd]
    log = log or Path(os.devnull)
    t = time.perf_counter()
    with open(log, "ab") as lf:
        p = subprocess.Popen(wrapper, cwd=ROOT, stdout=subprocess.PIPE, stderr=lf,
                             env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                out, _ = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, _ = p.communicate()
            timed_out = True
    secs = time.perf_counter() - t
    rss_kb = sub_kb = None
    for line in Path(log).read_text(errors="replace").splitlines()[::-1] if log != Path(os.devnull) else []:
        if line.startswith("__RSS__"):
            parts = line.split()
            rss_kb = int(parts[1])
            sub_kb = int(parts[3]) if len(parts) > 3 else None
            break
    text = out.decode("utf-8", errors="replace")
    return {"seconds": round(secs, 1), "peak_rss_mb": None if rss_kb is None else round(rss_kb / 1024),
            "children_peak_rss_mb": None if sub_kb is None else round(sub_kb / 1024), "rc": p.returncode,
            "timed_out": timed_out, "stdout": text}


def child_json(res: dict) -> dict:
    """The last JSON object line a `child` step printed."""
    for line in res["stdout"].splitlines()[::-1]:
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"the child printed no result (exit {res['rc']}): {res['stdout'][-2000:]}")


def self_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def child_scan(data: Path, repeat: int) -> dict:
    """The full scan, cold then `repeat` times (p50), with bench_scan's Cypher clock and the quality."""
    from bench_scan import ReadClock, p50, timed

    from graph import Graph
    from investigations import scan
    from synth.evaluate import evaluate
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    with Graph.connect(start_local=False) as g:
        clock = ReadClock()
        leads, cold = timed(scan, g, as_of)
        cold_cypher = clock.seconds
        times, cyphers = [], []
        for _ in range(repeat):
            clock.reset()
            leads, secs = timed(scan, g, as_of)
            times.append(secs)
            cyphers.append(clock.seconds)
    rep = evaluate(leads, truth)
    rec = [p["recall"] for p in rep["patterns"].values() if p["recall"] is not None]
    pre = [p["precision"] for p in rep["patterns"].values() if p["precision"] is not None]
    return {"cold_seconds": cold, "cold_cypher_seconds": round(cold_cypher, 2),
            "p50_seconds": p50(times) if times else None, "seconds": times,
            "p50_cypher_seconds": p50(cyphers) if cyphers else None,
            "leads": len(leads["leads"]), "subjects": len(leads["subjects"]), "truncated_notes": len(leads["notes"]),
            "recall_min": min(rec) if rec else None, "precision_min": min(pre) if pre else None,
            "decoys_flagged": len(rep.get("decoys_flagged") or []), "peak_rss_mb": self_rss_mb(),
            "quality": {pid: [p["planted"], p["found"], p["leads"], p["precision"]]
                        for pid, p in rep["patterns"].items()}}


def child_pages(data: Path, work: Path, repeat: int) -> dict:
    """Server-side times (Flask test client) of the busiest subject's and a planted subject's pages."""
    import statistics
    sys.path.insert(0, str(ROOT / "tests"))
    from test_webutil import login, make_app

    from graph import Graph
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    with Graph.connect(start_local=False) as g:
        t = time.perf_counter()
        # the same "busiest" as bench_pages: the person whose accounts carry the most transfers
        busiest = g.read_one("""
            MATCH (p:Person)-[:HOLDS]->(a:Account)
            WITH p, sum(COUNT { (a)-[:TRANSFER]-() }) AS n ORDER BY n DESC LIMIT 1
            RETURN p.person_id AS id, n""", timeout=3600.0)
        out["busiest_query_seconds"] = round(time.perf_counter() - t, 1)
        out["busiest"] = busiest
        planted = next(p["subject_id"] for p in truth["planted"]
                       if p.get("subject_id") and p["pattern"] == "post_filing_transfer_to_related")
        out["planted_subject"] = planted
        app = make_app(g, work, SCAN_AS_OF=as_of)
        client = login(app, "inv")
        pages = [("subject page (planted)", f"/subject/{planted}"),
                 ("network d1 (planted)", f"/subject/{planted}/network"),
                 ("network d2 (planted)", f"/subject/{planted}/network?depth=2"),
                 ("subject page (busiest)", f"/subject/{busiest['id']}"),
                 ("network d1 (busiest)", f"/subject/{busiest['id']}/network"),
                 ("network d2 (busiest, since none)", f"/subject/{busiest['id']}/network?depth=2&since=")]
        from bench_pages import time_get
        out["pages"] = {}
        for name, url in pages:
            first, times, r = time_get(client, url, repeat)
            html = r.get_data(as_text=True)
            out["pages"][name] = {"first_ms": round(1000 * first), "median_ms": round(1000 * statistics.median(times)),
                                  "max_ms": round(1000 * max(times)), "bytes": len(r.data),
                                  **({"nodes": html.count('"openable"')} if "/network" in url else {})}
    out["peak_rss_mb"] = self_rss_mb()
    return out


# ------------------------------------------------------------------ the server's figures


def server_figures(g: Any, data_dir: Path) -> dict:
    """Heap in use (JMX), the java process's peak and current RSS, and the store size on disk."""
    out: dict[str, Any] = {}
    try:
        row = g.read_one("CALL dbms.queryJmx('java.lang:type=Memory') YIELD attributes "
                         "RETURN attributes.HeapMemoryUsage.value.properties AS heap")
        heap = row["heap"] if row else None
        if heap:
            out["heap_used_mb"] = round(heap["used"] / 2**20)
            out["heap_committed_mb"] = round(heap["committed"] / 2**20)
            out["heap_max_mb"] = round(heap["max"] / 2**20)
    except Exception as exc:  # noqa: BLE001  (a figure we report as missing, with why)
        out["heap_error"] = str(exc)[:200]
    pid = None
    try:
        state = json.loads((data_dir / "server.json").read_text())
        pid = state.get("pid")
    except (OSError, ValueError):
        pass
    if pid:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            for key in ("VmHWM", "VmRSS"):
                m = re.search(rf"^{key}:\s+(\d+) kB", status, re.M)
                if m:
                    out[f"java_{key.lower()}_mb"] = round(int(m.group(1)) / 1024)
        except OSError:
            pass
    out.update(store_figures(data_dir))
    return out


def store_figures(data_dir: Path) -> dict:
    stores = [p for p in data_dir.rglob("databases/neo4j") if p.is_dir()]
    txs = [p for p in data_dir.rglob("transactions/neo4j") if p.is_dir()]
    return {"store_mb": round(sum(dir_bytes(p) for p in stores) / 2**20),
            "tx_logs_mb": round(sum(dir_bytes(p) for p in txs) / 2**20)}


# ------------------------------------------------------------------ one size


def run_size(n: int, persons: int, args: argparse.Namespace, results: Results) -> None:
    from graph import Graph
    from graph.db import Connection, free_port
    from graph.server import LocalServer

    work = args.work / label(n)
    data = (work / "data").resolve()
    log = work / "steps.log"
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable

    if not (results.has(n, "generate") and (data / "ground_truth.json").exists()):
        shutil.rmtree(data, ignore_errors=True)
        res = run_cmd([py, "-m", "synth", "generate", str(data), "--seed", str(args.seed), "--persons",
                       str(persons), "--transfers", str(n)] + ([] if args.v1 else ["--realistic"]), log=log)
        if res["rc"] != 0:
            raise RuntimeError(f"generate {label(n)} failed, see {log}")
        summary = json.loads(res["stdout"])
        results.add(n, persons, "generate", seconds=res["seconds"], peak_rss_mb=res["peak_rss_mb"],
                    rows_per_s=round(n / res["seconds"]), csv_mb=round(dir_bytes(data) / 2**20),
                    tables=summary["tables"], generator="v1" if args.v1 else "realistic")

    def server(name: str) -> tuple[LocalServer, Connection]:
        db = (work / name).resolve()
        shutil.rmtree(db, ignore_errors=True)
        srv = LocalServer(db, free_port(), heap=args.heap, pagecache_mb=args.pagecache_mb)
        state = srv.start()
        return srv, Connection(state.uri, "neo4j", srv.password(), "neo4j", local=True)

    def local_env(srv: LocalServer) -> dict[str, str]:
        # the bulk import child finds this server by its folder and port, and restarts it itself
        return {"NEO4J_URI": "", "NEO4J_LOCAL_DATA": str(srv.data_dir), "NEO4J_LOCAL_PORT": str(srv.port),
                "NEO4J_LOCAL_HEAP": args.heap, "NEO4J_LOCAL_PAGECACHE_MB": str(args.pagecache_mb)}

    analysed = ("bulk_import", "scan", "pages", "server")
    if not all(results.has(n, s) for s in analysed):
        srv, conn = server("db-bulk")
        try:
            with Graph(conn) as g:
                if not results.has(n, "bulk_import"):
                    res = run_cmd([py, "-m", "ingest", "load", str(data), "--no-progress", "--no-resolve",
                                   "--bulk-import", "--rejects", str(work / "rejects-bulk")], local_env(srv), log=log)
                    if res["rc"] != 0:
                        raise RuntimeError(f"bulk import {label(n)} failed, see {log}")
                else:  # the store is gone with the last run's server: import again, untimed
                    res = run_cmd([py, "-m", "ingest", "load", str(data), "--no-progress", "--no-resolve",
                                   "--bulk-import", "--rejects", str(work / "rejects-bulk")], local_env(srv), log=log)
                    res = None
                g.reconnect()
                loaded = g.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
                if res is not None:
                    # Python's own peak; neo4j-admin's JVM is the children's (older records: the larger of both)
                    results.add(n, persons, "bulk_import", seconds=res["seconds"], peak_rss_mb=res["peak_rss_mb"],
                                children_peak_rss_mb=res["children_peak_rss_mb"],
                                transfers_loaded=loaded, rows_per_s=round(loaded / res["seconds"]),
                                **store_figures(srv.data_dir))
                env = conn.env()
                if not results.has(n, "scan"):
                    res = run_cmd([py, str(Path(__file__).resolve()), "child", "scan", "--data", str(data),
                                   "--repeat", str(args.repeat)], env, log=log)
                    out = child_json(res)
                    results.add(n, persons, "scan", wall_seconds=res["seconds"],
                                rows_per_s=round(loaded / out["p50_seconds"]) if out.get("p50_seconds") else None,
                                **out)
                if not results.has(n, "pages"):
                    res = run_cmd([py, str(Path(__file__).resolve()), "child", "pages", "--data", str(data),
                                   "--repeat", str(args.repeat_pages), "--app-dir", str(work / "app")], env, log=log)
                    out = child_json(res)
                    results.add(n, persons, "pages", wall_seconds=res["seconds"], **out)
                if not results.has(n, "server"):
                    results.add(n, persons, "server", heap_setting=args.heap, pagecache_mb=args.pagecache_mb,
                                note="after the bulk import's restart, the scans and the pages",
                                **server_figures(g, srv.data_dir))
        finally:
            srv.stop()
            shutil.rmtree(srv.data_dir, ignore_errors=True)

    if not results.has(n, "load") and not args.no_load:
        srv, conn = server("db-load")
        try:
            with Graph(conn) as g:
                res = run_cmd([py, "-m", "ingest", "load", str(data), "--no-progress", "--no-resolve",
                               "--rejects", str(work / "rejects-load")], conn.env(), timeout=args.load_timeout,
                              log=log)
                loaded = g.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
                if res["rc"] != 0 and not res["timed_out"]:
                    raise RuntimeError(f"load {label(n)} failed, see {log}")
                results.add(n, persons, "load", seconds=res["seconds"], peak_rss_mb=res["peak_rss_mb"],
                            transfers_loaded=loaded, complete=not res["timed_out"],
                            rows_per_s=round(loaded / res["seconds"]), **store_figures(srv.data_dir))
        finally:
            srv.stop()
            shutil.rmtree(srv.data_dir, ignore_errors=True)


# ------------------------------------------------------------------ report


def report(records: list[dict]) -> str:
    """The Markdown tables: one row per size, then the growth between consecutive sizes."""
    by: dict[int, dict[str, dict]] = {}
    for r in records:
        by.setdefault(r["transfers"], {})[r["step"]] = r
    sizes = sorted(by)

    def g(n: int, step: str, *keys: str) -> Any:
        v: Any = by[n].get(step)
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        return v

    def f(v: Any, fmt: str = "{:,}") -> str:
        return "—" if v is None else fmt.format(v)

    metrics: list[tuple[str, Callable[[int], Any], str]] = [
        ("generate s", lambda n: g(n, "generate", "seconds"), "{:,.1f}"),
        ("generate peak RSS MB", lambda n: g(n, "generate", "peak_rss_mb"), "{:,}"),
        ("bulk import s", lambda n: g(n, "bulk_import", "seconds"), "{:,.1f}"),
        ("bulk import transfers/s", lambda n: g(n, "bulk_import", "rows_per_s"), "{:,}"),
        ("bulk import peak RSS MB", lambda n: g(n, "bulk_import", "peak_rss_mb"), "{:,}"),
        ("load s", lambda n: g(n, "load", "seconds") if g(n, "load", "complete") else None, "{:,.1f}"),
        ("load transfers/s", lambda n: g(n, "load", "rows_per_s"), "{:,}"),
        ("load peak RSS MB", lambda n: g(n, "load", "peak_rss_mb"), "{:,}"),
        ("store MB (bulk import / normal load)", lambda n: None if g(n, "bulk_import") is None else
         f"{g(n, 'bulk_import', 'store_mb')} / {f(g(n, 'load', 'store_mb'))}", "{}"),
        ("scan cold s", lambda n: g(n, "scan", "cold_seconds"), "{:,.1f}"),
        ("scan p50 s", lambda n: g(n, "scan", "p50_seconds"), "{:,.1f}"),
        ("scan p50 Cypher s", lambda n: g(n, "scan", "p50_cypher_seconds"), "{:,.1f}"),
        ("scan peak RSS MB", lambda n: g(n, "scan", "peak_rss_mb"), "{:,}"),
        ("scan recall min / precision min", lambda n: None if g(n, "scan") is None else
         f"{g(n, 'scan', 'recall_min')} / {g(n, 'scan', 'precision_min')}", "{}"),
        ("subject page (planted) ms", lambda n: g(n, "pages", "pages", "subject page (planted)", "median_ms"), "{:,}"),
        ("network d2 (planted) ms", lambda n: g(n, "pages", "pages", "network d2 (planted)", "median_ms"), "{:,}"),
        ("subject page (busiest) ms", lambda n: g(n, "pages", "pages", "subject page (busiest)", "median_ms"), "{:,}"),
        ("network d1 (busiest) ms", lambda n: g(n, "pages", "pages", "network d1 (busiest)", "median_ms"), "{:,}"),
        ("network d2 (busiest) ms", lambda n: g(n, "pages", "pages", "network d2 (busiest, since none)",
                                                "median_ms"), "{:,}"),
        ("busiest subject's transfers", lambda n: g(n, "pages", "busiest", "n"), "{:,}"),
        ("pages peak RSS MB", lambda n: g(n, "pages", "peak_rss_mb"), "{:,}"),
        ("server heap used MB (max)", lambda n: None if g(n, "server") is None else
         f"{g(n, 'server', 'heap_used_mb')} ({g(n, 'server', 'heap_max_mb')})", "{}"),
        ("server java peak RSS MB", lambda n: g(n, "server", "java_vmhwm_mb"), "{:,}"),
    ]
    head = "| | " + " | ".join(f"{label(n)} ({by[n].get('generate', {}).get('persons', '?'):,} persons)"
                                for n in sizes) + " |"
    lines = [head, "|---" * (len(sizes) + 1) + "|"]
    for name, fn, fmt in metrics:
        lines.append(f"| {name} | " + " | ".join(f(fn(n), fmt) for n in sizes) + " |")
    loads = {n: {s: r.get("loadavg") for s, r in by[n].items()} for n in sizes}
    for step in ("generate", "bulk_import", "scan", "pages", "load"):
        lines.append(f"| load average (1/5/15 min) after {step} | " +
                     " | ".join(" / ".join(str(x) for x in (loads[n].get(step) or [])) or "—" for n in sizes) + " |")
    lines.append("| commit | " + " | ".join(", ".join(sorted({r["commit"] for r in by[n].values()}))
                                           for n in sizes) + " |")
    if len(sizes) > 1:
        lines += ["", "Growth between sizes: the ratio, and the exponent b of cost ~ rows^b "
                  "(b = 1: linear; b = 0: flat).", ""]
        pairs = list(zip(sizes, sizes[1:]))
        lines.append("| | " + " | ".join(f"{label(a)} → {label(b)} (×{b / a:g} rows)" for a, b in pairs) + " |")
        lines.append("|---" * (len(pairs) + 1) + "|")
        for name, fn, fmt in metrics:
            cells = []
            for a, b in pairs:
                va, vb = fn(a), fn(b)
                if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va > 0 and vb > 0 \
                        and "transfers" not in name:
                    cells.append(f"×{vb / va:.2f} (b = {math.log(vb / va) / math.log(b / a):.2f})")
                else:
                    cells.append("—")
            if any(c != "—" for c in cells):
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------ entry


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    ch = sub.add_parser("child", help="(internal) one measured step in its own process")
    ch.add_argument("what", choices=("scan", "pages"))
    ch.add_argument("--data", type=Path, required=True)
    ch.add_argument("--repeat", type=int, default=3)
    ch.add_argument("--app-dir", type=Path)
    ap.add_argument("--sizes", default="100k,1M,5M", help="comma-separated transfer counts (persons: see SIZES)")
    ap.add_argument("--persons", default=None,
                    help="comma-separated persons per size (default: 100k->3000, 1M->20000, 5M->100000, "
                         "else transfers/50)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--v1", action="store_true",
                    help="the first generator (silent debtors) instead of --realistic; precision on it is true by construction")
    ap.add_argument("--repeat", type=int, default=2, help="warm full scans after the cold one (p50)")
    ap.add_argument("--repeat-pages", type=int, default=5)
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache-mb", type=int, default=1024)
    ap.add_argument("--load-timeout", type=float, default=3600.0,
                    help="seconds after which the normal load is stopped (its partial rate is recorded)")
    ap.add_argument("--no-load", action="store_true", help="skip the normal loader (bulk import, scan, pages only)")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench-growth",
                    help="generated worlds and throw-away stores (kept for a resume)")
    ap.add_argument("--results", type=Path, default=None, help="JSON lines (default WORK/growth.jsonl)")
    ap.add_argument("--fresh", action="store_true", help="start a new results file (the old one is renamed)")
    ap.add_argument("--report", action="store_true", help="print the Markdown tables of the results file")
    args = ap.parse_args()
    if args.cmd == "child":
        out = child_scan(args.data, args.repeat) if args.what == "scan" else \
            child_pages(args.data, args.app_dir, args.repeat)
        print(json.dumps(out, ensure_ascii=False, default=str), flush=True)
        return 0
    args.work = args.work.resolve()
    path = args.results or args.work / "growth.jsonl"
    if args.report:
        print(report(Results(path, "").records()))
        return 0
    if os.environ.get("NEO4J_URI"):
        ap.error("bench_growth starts its own local servers (bulk import, store size): unset NEO4J_URI")
    if args.fresh and path.exists():
        path.rename(path.with_suffix(f".{int(time.time())}.jsonl"))
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    persons = [int(p) for p in args.persons.split(",")] if args.persons else \
        [SIZES.get(n, max(3000, n // 50)) for n in sizes]
    if len(persons) != len(sizes):
        ap.error("--persons needs one number per size")
    results = Results(path, git_commit())
    for n, p in zip(sizes, persons):
        run_size(n, p, args, results)
    print(report(results.records()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
