"""The loader's write query against LOAD CSV, PROFILEd on the same 20,000 transfers (issue 11, session 20).

    .venv/bin/python bench/profile_write_plans.py DATA_DIR [--rows 20000]

One throw-away server: every table but the transfers is loaded; then, each on the graph as it was
(wiped and the other tables loaded again between them), the first `--rows` rows of `transfers.csv`:
- `loader`: `writers.Q_TRANSFER_ACCOUNTS` then one `writers.Q_TRANSFERS_CREATE` transaction of all
  the rows, with the loader's own parameters (validated, prepared, `writers.transfer_*_params`);
  serial: what one writer costs the server (the loader runs `loader.WRITERS` parts at once);
  (session 21: each new transfer's `prov` entry is the compact one, its source, as LOAD CSV's is;
  session 20 measured here what the full entry cost: 3.38 s against 2.27 s);
- `LOAD CSV`: `bench_ingest.LOAD_CSV` over a file of the same rows.
Prints, per run, the wall time, the db hits and rows of each operator and their totals (JSON lines).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from graph import Graph, scratch_connection  # noqa: E402
from ingest import load_dir, loader, writers  # noqa: E402
from ingest.readers import discover_all, open_source  # noqa: E402
from bench_ingest import LOAD_CSV, linked  # noqa: E402


def _ops(plan: dict, out: list) -> None:
    args = plan.get("args", {}) or {}
    out.append({"op": plan.get("operatorType"), "rows": args.get("Rows"), "db_hits": args.get("DbHits"),
                "details": str(args.get("Details", ""))[:90]})
    for child in plan.get("children", []) or []:
        _ops(child, out)


def _profile(g: Graph, cypher: str, params: dict) -> tuple[float, list]:
    with g.driver.session(database=g.database) as session:
        t = time.perf_counter()
        summary = session.run("PROFILE " + cypher, params).consume()
        secs = time.perf_counter() - t
    out: list = []
    _ops(summary.profile, out)
    return secs, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--rows", type=int, default=20000)
    args = ap.parse_args()
    data = args.data.resolve()
    work = Path(tempfile.mkdtemp(prefix="profile-plans-"))
    part = data / "_load_csv_parts" / "plan_rows.csv"  # a subfolder: no load reads it (bench_ingest.csv_parts)
    part.parent.mkdir(exist_ok=True)
    try:
        with open(data / "transfers.csv", encoding="utf-8") as f, open(part, "w", encoding="utf-8") as out:
            for i, line in enumerate(f):
                if i > args.rows:
                    break
                out.write(line)
        only = linked(data, work / "transfers", transfers=True)
        src = [s for s in discover_all(only)[0] if s.table == "transfers"][0]
        open_source(src)
        state = loader._TableLoad(None, "transfers", "LP", None, "")  # type: ignore[arg-type]
        _, pairs, _ = next(loader._prepared(state, [src]))
        payloads = [p for r, p in pairs if r.ok][:args.rows]
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024, import_dir=data) as conn, \
                Graph(conn) as g:
            others = linked(data, work / "others", transfers=False)
            tag = "LP|transfers|"
            runs = [("loader", [(writers.Q_TRANSFER_ACCOUNTS, writers.transfer_accounts_params(payloads, "LP", tag)),
                                (writers.Q_TRANSFERS_CREATE, writers.transfer_rows_params(payloads, "LP", tag))]),
                    ("LOAD CSV", [(LOAD_CSV, {"url": f"file:///_load_csv_parts/{part.name}", "file": "transfers.csv",
                                              "load_id": "LP", "offset": 0})])]
            for _ in range(2):  # the second round on a warm server
                for name, steps in runs:
                    g.wipe()  # the accounts the transfers created go too: each run creates its own
                    load_dir(g, others, work / "rejects", load_id="LP")
                    secs, ops = 0.0, []
                    for cypher, params in steps:
                        s, o = _profile(g, cypher, params)
                        secs, ops = secs + s, ops + o
                    print(json.dumps({"run": name, "rows": len(payloads), "seconds": round(secs, 2),
                                      "db_hits": sum(o["db_hits"] or 0 for o in ops), "operators": ops,
                                      "loadavg": [round(x, 2) for x in os.getloadavg()]}, ensure_ascii=False),
                          flush=True)
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
