"""Benchmark: our loader against Neo4j's own LOAD CSV, side by side on one server; plus reload/unload.

    .venv/bin/python bench/bench_ingest.py --persons 3000 --transfers 100000 [--idempotence] [--keep DIR]
    make bench-ingest   (the same at 1,000,000 transfers)

Steps (one JSON line each; results are copied by hand into docs/benchmarks.md with the machine):
1. generate a world;
2. start ONE throw-away local Neo4j whose LOAD CSV may read the generated folder (only this
   benchmark turns file URLs on, see graph/server.py);
3. load every table but the transfers (`python -m ingest load`), then time
   `LOAD CSV ... CALL {...} IN TRANSACTIONS OF 10000 ROWS` doing the transfers' work: MERGE both
   accounts, CREATE the TRANSFER with amount in fen, times, channel, memo and provenance;
4. wipe, load the same other tables again, then time `python -m ingest load --no-resolve` of the
   transfer files alone (a child process, so its peak RSS is its own), and print the ratio of the two
   rates; then `python -m ingest resolve`, the entity resolution `load` runs afterwards by default,
   timed on its own;
5. `--bulk-import`: `python -m ingest load DIR --bulk-import` into an empty database (Python's own
   peak RSS reported apart from the neo4j-admin JVM's: `bench_growth.run_cmd`);
6. `--idempotence`: load everything, load it again, unload both (the graph must end empty).

Never run against a database you care about: with NEO4J_URI set it EMPTIES that database
(and the LOAD CSV step then needs that server to allow file URLs from the data folder).
"""
from __future__ import annotations

import argparse
import json
import os
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

sys.path.insert(0, str(ROOT / "bench"))
from bench_growth import run_cmd  # noqa: E402  (one home for a child's own peak RSS)

# The same work as the loader's transfer writer, in Neo4j's own bulk path.
LOAD_CSV = """
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (a:Account {account_id: row.from_account})
  MERGE (b:Account {account_id: row.to_account})
  CREATE (a)-[t:TRANSFER {transfer_id: row.transfer_id}]->(b)
  SET t.amount_fen = toInteger(round(toFloat(row.amount) * 100)),
      t.at = localdatetime(replace(row.at, ' ', 'T')), t.on = date(localdatetime(replace(row.at, ' ', 'T'))),
      t.currency = row.currency, t.channel = row.channel, t.memo = row.memo,
      t.from_name = row.from_name, t.to_name = row.to_name,
      t.load_id = $load_id, t.src_file = $file, t.src_row = linenumber() + $offset,
      t.prov = [$load_id + '|transfers|{"_f":"' + $file + '","_r":' + toString(linenumber() + $offset) + '}']
} IN TRANSACTIONS OF 10000 ROWS
"""


#: Rows per LOAD CSV statement: the local server ends any transaction after 10 minutes
#: (neo4j/LocalNeo4j.java), and one statement over a million rows on a loaded machine runs longer.
PART_ROWS = 100000


def csv_parts(data: Path, name: str) -> list[tuple[str, int]]:
    """`name` cut into files of PART_ROWS rows under `data/_load_csv_parts/` (a subfolder: no load
    reads it): (file URL path, row offset of the part) for each."""
    out_dir = data / "_load_csv_parts"
    out_dir.mkdir(exist_ok=True)
    parts: list[tuple[str, int]] = []
    with open(data / name, encoding="utf-8") as f:
        header = f.readline()
        done = False
        while not done:
            lines = []
            for _ in range(PART_ROWS):
                line = f.readline()
                if not line:
                    done = True
                    break
                lines.append(line)
            if not lines:
                break
            part = out_dir / f"{Path(name).stem}_{len(parts):03d}.csv"
            part.write_text(header + "".join(lines), encoding="utf-8")
            parts.append((f"_load_csv_parts/{part.name}", len(parts) * PART_ROWS))
    return parts


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a child process (each run is measured in its own wrapper)."""
    wrapper = [sys.executable, "-c",
               "import resource,subprocess,sys;subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *cmd]
    t = time.perf_counter()
    out = subprocess.run(wrapper, check=True, cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    return time.perf_counter() - t, int(out.stdout.strip().splitlines()[-1]) / 1024


def linked(src: Path, dst: Path, transfers: bool) -> Path:
    """A folder of symlinks to `transfers.csv` of `src` (or to every other table but the transfers).

    The second bank's file (GBK, Chinese headers, grouped amounts) is left out of the comparison:
    LOAD CSV reads UTF-8 only, and both paths must read the same file.
    """
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.suffix == ".csv" and (f.name == "transfers.csv" if transfers else not f.name.startswith("transfers")):
            (dst / f.name).symlink_to(f)
    return dst


def emit(**kw: object) -> None:
    """One JSON line, with the load average beside every figure (the machine is shared)."""
    print(json.dumps({**kw, "loadavg": [round(x, 1) for x in os.getloadavg()]}, ensure_ascii=False), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the generated data here")
    ap.add_argument("--data", type=Path, help="an already generated folder (skips generating; "
                                              "--persons/--transfers are then only labels)")
    ap.add_argument("--skip-load-csv", action="store_true", help="time only our loader")
    ap.add_argument("--bulk-import", action="store_true", help="also time --bulk-import into an empty database")
    ap.add_argument("--bulk-only", action="store_true",
                    help="time only --bulk-import (neither LOAD CSV nor the loader); implies --bulk-import")
    ap.add_argument("--idempotence", action="store_true", help="also load twice and unload both")
    args = ap.parse_args()
    if args.bulk_only:
        args.bulk_import = args.skip_load_csv = True
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    if args.data:
        data = args.data.resolve()
    else:
        data = (args.keep or work / "data").resolve()
        secs, rss = run_child([sys.executable, "-m", "ingest", "generate", str(data), "--seed", str(args.seed),
                               "--persons", str(args.persons), "--transfers", str(args.transfers)])
        emit(step="generate", persons=args.persons, transfers=args.transfers, seconds=round(secs, 1),
             peak_rss_mb=round(rss))
    others = linked(data, work / "others", transfers=False)
    tx_only = linked(data, work / "transfers", transfers=True)
    tx_files = sorted(p.name for p in tx_only.iterdir())
    n_tx = sum(sum(1 for _ in open(data / f, encoding="utf-8")) - 1 for f in tx_files)
    try:
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024, import_dir=data) as conn, \
                Graph(conn) as g:
            env = conn.env()
            rates: dict[str, float] = {}
            if not args.skip_load_csv:
                g.wipe()
                load_dir(g, others, work / "rejects")
                parts = {f: csv_parts(data, f) for f in tx_files}  # the rows of a quoted memo hold no newline
                t = time.perf_counter()
                for f in tx_files:
                    for url, offset in parts[f]:
                        g.run_autocommit(LOAD_CSV, {"url": f"file:///{url}", "file": f, "load_id": "Lcsv",
                                                    "offset": offset})
                secs = time.perf_counter() - t
                rates["load_csv"] = n_tx / secs
                emit(step="LOAD CSV transfers (accounts loaded)", rows=n_tx, seconds=round(secs, 1),
                     transfers_per_s=round(rates["load_csv"]))
            if not args.bulk_only:
                g.wipe()
                load_dir(g, others, work / "rejects")
                # the load alone: the CLI's entity resolution afterwards reads every person (not only
                # this load's), a cost LOAD CSV has no part in; it is timed as its own step below
                secs, rss = run_child([sys.executable, "-m", "ingest", "load", str(tx_only), "--no-progress",
                                       "--no-resolve", "--rejects", str(work / "rejects")], env)
                rates["loader"] = n_tx / secs
                emit(step="python -m ingest load transfers (accounts loaded)", rows=n_tx, seconds=round(secs, 1),
                     transfers_per_s=round(rates["loader"]), peak_rss_mb=round(rss),
                     counts={k: v for k, v in g.counts().items() if v})
                if "load_csv" in rates:
                    emit(step="ratio", loader_over_load_csv=round(rates["loader"] / rates["load_csv"], 2))
                secs, rss = run_child([sys.executable, "-m", "ingest", "resolve"], env)
                emit(step="python -m ingest resolve (what `load` runs afterwards without --no-resolve)",
                     seconds=round(secs, 1), peak_rss_mb=round(rss))
            if args.bulk_import and conn.local:
                g.wipe()
                # the child finds the bench's server by its data folder and port (it restarts it)
                local = {"NEO4J_URI": "", "NEO4J_LOCAL_DATA": str(work / "db"),
                         "NEO4J_LOCAL_PORT": conn.uri.rsplit(":", 1)[1]}
                # in-process wrapper: Python's own peak RSS apart from neo4j-admin's JVM (a child)
                res = run_cmd([sys.executable, "-m", "ingest", "load", str(data), "--no-progress",
                               "--bulk-import", "--rejects", str(work / "rejects")], local, log=work / "bulk.log")
                if res["rc"] != 0:
                    raise RuntimeError(f"bulk import failed (exit {res['rc']}): "
                                       f"{(work / 'bulk.log').read_text(errors='replace')[-3000:]}")
                secs = res["seconds"]
                g.reconnect()
                n_all = g.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
                emit(step="python -m ingest load --bulk-import (every table and file, empty database)",
                     seconds=round(secs, 1), transfers=n_all, transfers_per_s=round(n_all / secs),
                     python_peak_rss_mb=res["peak_rss_mb"], neo4j_admin_peak_rss_mb=res["children_peak_rss_mb"],
                     counts={k: v for k, v in g.counts().items() if v})
            if args.idempotence:
                g.wipe()
                for step in ("load", "reload"):
                    t = time.perf_counter()
                    r = load_dir(g, data, work / "rejects")
                    secs = time.perf_counter() - t
                    tr = r.tables["transfers"]
                    emit(step=step, seconds=round(secs, 1), rejected=r.rejected,
                         transfers_per_s=round(tr["read"] / secs),
                         peak_rss_mb_self=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                         counts={k: v for k, v in g.counts().items() if v})
                # Unload the reload (every record stated by both loads: the rebuild path), then the first
                # load (every record is its alone: the delete path); the graph must end empty.
                for lid in [x["load_id"] for x in list_loads(g)]:
                    t = time.perf_counter()
                    removed = unload(g, lid)
                    emit(step="unload", seconds=round(time.perf_counter() - t, 1), deleted=sum(removed.values()),
                         left={k: v for k, v in g.counts().items() if v})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
