"""Where the loader's time goes: stage timers around one load of the transfers, beside LOAD CSV.

    .venv/bin/python bench/profile_loader.py DATA_DIR [--cprofile OUT.prof] [--skip-load-csv]

DATA_DIR is a generated folder (`python -m ingest generate`). One throw-away server: every table
but the transfers is loaded, LOAD CSV of `transfers.csv` is timed (as bench_ingest.py does), the
database is wiped and the other tables loaded again, then `load_dir` of `transfers.csv` runs IN
THIS PROCESS with timers wrapped around each stage (CSV read, validation, payloads and prov
entries, stored-key look-ups, duplicate check, each write query). Stage times are wall-clock in
the thread that ran them; with the pipelined loader, validation runs in its own thread beside the
writes, so the stages add up to more than the total. Prints one JSON line per figure.
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import Graph, scratch_connection  # noqa: E402
from graph import db as graph_db  # noqa: E402
from ingest import load_dir, loader, readers, writers  # noqa: E402
from bench_ingest import LOAD_CSV, PART_ROWS, csv_parts, linked  # noqa: E402

TIMES: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
_LOCK = threading.Lock()


def timed(name: str, fn):  # type: ignore[no-untyped-def]
    @functools.wraps(fn)
    def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            with _LOCK:
                TIMES[name] += time.perf_counter() - t
                CALLS[name] += 1
    return wrapper


def _query_name(cypher: str) -> str:
    for name in dir(writers):
        if getattr(writers, name) is cypher:
            return name
    for name in dir(loader):
        if getattr(loader, name, None) is cypher:
            return name
    return cypher.strip().splitlines()[0][:60] + "…" if cypher.strip() else "?"


def instrument() -> None:
    """Wrap each stage (module attributes the loader calls) in a timer."""
    for mod, attr, name in ((loader, "read_chunks", None), (loader, "validate_rows", "validate_rows (chunks)"),
                            (loader, "_payload", "payload"), (writers, "prov_entry", "prov_entry"),
                            (writers, "stored", "stored look-up (read)")):
        fn = getattr(mod, attr)
        if attr == "read_chunks":
            def chunks(src, _fn=fn):  # type: ignore[no-untyped-def]
                it = _fn(src)
                while True:
                    t = time.perf_counter()
                    try:
                        df = next(it)
                    except StopIteration:
                        return
                    finally:
                        with _LOCK:
                            TIMES["csv read (pandas)"] += time.perf_counter() - t
                    t = time.perf_counter()
                    yield df
            setattr(mod, attr, chunks)
        else:
            setattr(mod, attr, timed(name, fn))
    for attr in ("_check_refs", "_check_stored", "_check_duplicates", "_write"):
        if hasattr(loader._TableLoad, attr):
            setattr(loader._TableLoad, attr, timed("_TableLoad." + attr, getattr(loader._TableLoad, attr)))
    write = graph_db.Graph.write

    in_flight = [0, 0.0, 0.0]  # writes running now, since when at least one has, since when two have

    def write_timed(self, cypher, params=None):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        with _LOCK:
            if in_flight[0] == 0:
                in_flight[1] = t
            in_flight[0] += 1
            if in_flight[0] == 2:
                in_flight[2] = t
        try:
            return write(self, cypher, params)
        finally:
            name = "write " + _query_name(cypher)
            now = time.perf_counter()
            with _LOCK:
                TIMES[name] += now - t
                in_flight[0] -= 1
                if in_flight[0] == 1:  # both writers busy: what WRITERS = 2 can give at most
                    TIMES["two writes in flight (wall)"] += now - in_flight[2]
                if in_flight[0] == 0:  # the wall time with a write in flight (the rest: the server waits)
                    TIMES["any write in flight (wall)"] += now - in_flight[1]
                CALLS[name] += len((params or {}).get("rows") or []) or 1
    graph_db.Graph.write = write_timed  # type: ignore[method-assign]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--cprofile", type=Path)
    ap.add_argument("--pin", action="store_true",
                    help="the server on core 0, this process (the loader) on core 1: two machines on one VM")
    ap.add_argument("--skip-load-csv", action="store_true")
    ap.add_argument("--skip-profile", action="store_true",
                    help="no instrumented first load: straight to --variants (a long file: 1M transfers)")
    ap.add_argument("--variants", default="",
                    help="also time these settings, each on a fresh graph, e.g. 'tx=10000,ahead=2;tx=50000,ahead=0' "
                         "(tx: loader.TRANSFER_TX_ROWS, writers: loader.WRITERS, chunk: readers.CHUNK_ROWS, ahead: loader.AHEAD, unchecked: load_dir(unchecked_first=) 1/0, default 1; "
                         "'csv': LOAD CSV again between them); LOAD CSV is timed again at the end")
    args = ap.parse_args()
    data = args.data.resolve()
    work = Path(tempfile.mkdtemp(prefix="profile-loader-"))
    others = linked(data, work / "others", transfers=False)
    tx_only = linked(data, work / "transfers", transfers=True)
    n_tx = sum(1 for _ in open(data / "transfers.csv", encoding="utf-8")) - 1

    def emit(**kw: object) -> None:
        print(json.dumps({**kw, "loadavg": [round(x, 2) for x in os.getloadavg()]}, ensure_ascii=False),
              flush=True)

    try:
        return _run(args, data, work, others, tx_only, n_tx)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _descendants() -> list[int]:
    """The pids under this process (children, their children, ...): the throw-away server."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    out, me = [], os.getpid()
    for pid in parent:
        p = pid
        while p in parent and p not in (0, 1, me):
            p = parent[p]
        if p == me and pid != me:
            out.append(pid)
    return out


def server_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's descendants: the throw-away server.

    Read from /proc, so a step's server CPU is the difference around it; with the client's own CPU
    (`time.process_time()`) it says what each side costs, whatever the number of cores."""
    total = 0.0
    for pid in _descendants():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def pin(server_core: int, client_core: int) -> None:
    """Every thread of the server on one core and every thread of this process on another: the two
    machines of a deployment (the loader on its own host, the database on its own), on one VM."""
    for pid in [*_descendants(), os.getpid()]:
        core = client_core if pid == os.getpid() else server_core
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                os.sched_setaffinity(int(task.name), {core})
            except OSError:
                pass


def _run(args: argparse.Namespace, data: Path, work: Path, others: Path, tx_only: Path, n_tx: int) -> int:
    def emit(**kw: object) -> None:
        print(json.dumps({**kw, "loadavg": [round(x, 2) for x in os.getloadavg()]}, ensure_ascii=False),
              flush=True)

    # over PART_ROWS rows, LOAD CSV goes in parts (`data/_load_csv_parts/`, as bench_ingest does): one
    # statement over a million rows outlives the local server's 10-minute transaction limit
    parts = csv_parts(data, "transfers.csv") if n_tx > PART_ROWS else [("transfers.csv", 0)]
    with scratch_connection(work / "db", heap="2g", pagecache_mb=1024, import_dir=data) as conn, Graph(conn) as g:
        last_server_cpu = [0.0]
        if args.pin:
            pin(0, 1)

        def load_csv_seconds() -> float:
            """LOAD CSV of the transfers on a fresh graph holding the other tables (as the loader gets it)."""
            g.wipe()
            load_dir(g, others, work / "rejects")
            t, s0 = time.perf_counter(), server_cpu_seconds()
            for url, offset in parts:
                g.run_autocommit(LOAD_CSV, {"url": f"file:///{url}", "file": "transfers.csv", "load_id": "Lcsv",
                                            "offset": offset})
            last_server_cpu[0] = server_cpu_seconds() - s0
            return time.perf_counter() - t

        rates = {}
        defaults = loader.TRANSFER_TX_ROWS, loader.AHEAD, loader.WRITERS, readers.CHUNK_ROWS
        if not args.skip_load_csv:
            secs = load_csv_seconds()
            rates["load_csv"] = n_tx / secs
            emit(step="LOAD CSV", rows=n_tx, seconds=round(secs, 1), per_s=round(rates["load_csv"]))
        if not args.skip_profile:
            _profile(args, g, others, tx_only, work, n_tx, rates, emit)
        for spec in [v for v in args.variants.split(";") if v.strip()]:
            if spec.strip() == "csv":  # LOAD CSV again, on a fresh graph, between the loader's runs
                secs = load_csv_seconds()
                rates["load_csv"] = n_tx / secs
                emit(step="LOAD CSV (warm server)", rows=n_tx, seconds=round(secs, 1), per_s=round(n_tx / secs),
                     server_cpu_s=round(last_server_cpu[0], 1))
                continue
            knobs = dict(kv.split("=") for kv in spec.split(","))  # a knob not named: its default
            loader.TRANSFER_TX_ROWS = int(knobs.get("tx", defaults[0]))
            loader.AHEAD = int(knobs.get("ahead", defaults[1]))
            loader.WRITERS = int(knobs.get("writers", defaults[2]))
            readers.CHUNK_ROWS = int(knobs.get("chunk", defaults[3]))
            unchecked = knobs.get("unchecked", "1") == "1"
            g.wipe()
            load_dir(g, others, work / "rejects")
            t, cpu, s0 = time.perf_counter(), time.process_time(), server_cpu_seconds()
            load_dir(g, tx_only, work / "rejects", unchecked_first=unchecked)
            secs, cpu = time.perf_counter() - t, time.process_time() - cpu
            emit(step=f"variant {spec}", rows=n_tx, seconds=round(secs, 1), per_s=round(n_tx / secs),
                 python_cpu_s=round(cpu, 1),  # this process, every thread: what the loader costs the client
                 server_cpu_s=round(server_cpu_seconds() - s0, 1),
                 peak_rss_mb_so_far=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                 over_load_csv=round(n_tx / secs / rates["load_csv"], 2) if "load_csv" in rates else None)
        if args.variants and not args.skip_load_csv:
            secs = load_csv_seconds()
            emit(step="LOAD CSV again", rows=n_tx, seconds=round(secs, 1), per_s=round(n_tx / secs))
    return 0


def _profile(args: argparse.Namespace, g: Graph, others: Path, tx_only: Path, work: Path, n_tx: int,
             rates: dict, emit) -> None:  # type: ignore[no-untyped-def]
    """The instrumented load of the transfers: total and each stage's time."""
    g.wipe()
    load_dir(g, others, work / "rejects")
    instrument()
    prof = cProfile.Profile() if args.cprofile else None
    t = time.perf_counter()
    if prof:
        prof.enable()
    r = load_dir(g, tx_only, work / "rejects")
    if prof:
        prof.disable()
        prof.dump_stats(str(args.cprofile))
    secs = time.perf_counter() - t
    rates["loader"] = n_tx / secs
    emit(step="load_dir transfers", rows=n_tx, seconds=round(secs, 1), per_s=round(rates["loader"]),
         counts=r.tables["transfers"])
    for name in sorted(TIMES, key=TIMES.get, reverse=True):  # type: ignore[arg-type]
        emit(stage=name, seconds=round(TIMES[name], 2), calls_or_rows=CALLS.get(name, 0),
             share_of_total=round(TIMES[name] / secs, 3))
    if "load_csv" in rates:
        emit(step="ratio", loader_over_load_csv=round(rates["loader"] / rates["load_csv"], 2))


if __name__ == "__main__":
    sys.exit(main())
