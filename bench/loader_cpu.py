"""The loader's client CPU for the transfers of a folder, per stage, without a database (session 20).

    .venv/bin/python bench/loader_cpu.py DATA_DIR [--default-gc] [--cprofile]

Runs what `load_dir` runs in Python for every transfers file of DATA_DIR (`loader._prepared`: read,
validate, payloads, `prov` entries and, on a first load, the chunk's plan: the duplicate check and
the Bolt parameters of each write transaction, `writers.transfer_*_params`) and prints the CPU
seconds (`time.process_time()`) of each.
The collector is set as `load_dir` sets it while tables load, unless `--default-gc`. Nothing is written.
Run it from another checkout to compare code (the script reads `ingest` from the current directory).
"""
from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())

from ingest import loader, writers  # noqa: E402
from ingest.readers import discover_all, open_source  # noqa: E402


def main() -> int:
    data = Path(sys.argv[1])
    srcs = [s for s in discover_all(data)[0] if s.table == "transfers"]
    for s in srcs:
        open_source(s)
    state = loader._TableLoad(None, "transfers", "Lcpu", None, "")  # type: ignore[arg-type]
    times: dict[str, float] = {}
    gc_ctx = getattr(loader, "_fewer_collections", None)
    ctx = gc_ctx() if gc_ctx and "--default-gc" not in sys.argv else contextlib.nullcontext()
    prof = cProfile.Profile() if "--cprofile" in sys.argv else None
    n = 0
    with ctx:
        if prof:
            prof.enable()
        t_all = time.process_time()
        chunks = loader._prepared(state, srcs)
        stage = "read + validate + payloads + prov + plan (_prepared)"
        while True:
            t0 = time.process_time()
            try:
                _, pairs, plan = next(chunks)
            except StopIteration:
                break
            times[stage] = times.get(stage, 0) + time.process_time() - t0
            n += len(pairs)
            if plan is not None:  # the duplicate check and the Bolt parameters are in the plan
                continue
            t0 = time.process_time()
            state.seen = {}
            good = state._check_duplicates(pairs)
            times["duplicate check"] = times.get("duplicate check", 0) + time.process_time() - t0
            t0 = time.process_time()
            new = loader._unique(good)
            writers.transfer_accounts_params(new, "Lcpu", "Lcpu|transfers|")
            for batch in loader._batches(new, loader.TRANSFER_TX_ROWS, loader.WRITERS):
                writers.transfer_rows_params(batch, "Lcpu", "Lcpu|transfers|")
            times["Bolt parameters (transfer_*_params)"] = (
                times.get("Bolt parameters (transfer_*_params)", 0) + time.process_time() - t0)
        times["total"] = time.process_time() - t_all
        if prof:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    print(f"rows {n}  load average {os.getloadavg()[0]:.2f}")
    for k, v in times.items():
        print(f"{k:48s} {v:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
