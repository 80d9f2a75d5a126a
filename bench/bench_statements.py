"""Benchmark: load bank returns holding both sides of N transfers (2N statement rows), then reload.

    .venv/bin/python bench/bench_statements.py --transfers 500000 [--accounts 20000] [--no-reload]
        [--contract-transfers N]   # the contract loader's comparison run on N transfers (0 skips it)

Writes a 公安 资金查控 return (交易明细信息 + 账户信息, GB18030, card aliases, counterparties named by card on
half the rows) for half the accounts and a 纪委 查询反馈 return for the other half; the payee's time lags
the payer's by 0-120 s. Uses its own throw-away local Neo4j. Prints one JSON line per step: rows/s, peak RSS
of this process, and the TRANSFER count (which must equal N).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import Graph, scratch_connection  # noqa: E402
from ingest import load_dir  # noqa: E402
from ingest.parse import format_fen  # noqa: E402
from synth.returns import JIWEI, POLICE_ACC, POLICE_TX, card_of  # noqa: E402


def write(folder: Path, n: int, n_accounts: int, seed: int) -> int:
    rng = random.Random(seed)
    accts = [f"62{rng.randrange(10**16, 10**17)}" for _ in range(n_accounts)]
    police = set(accts[: n_accounts // 2])
    start = datetime(2024, 1, 1)
    pi, ji = POLICE_TX.index, JIWEI.index
    rows = 0
    with open(folder / "bank_交易明细信息.csv", "w", newline="", encoding="gb18030") as fp, \
            open(folder / "bank_查询反馈.csv", "w", newline="", encoding="utf-8") as fj:
        wp, wj = csv.writer(fp), csv.writer(fj)
        wp.writerow(POLICE_TX)
        wj.writerow(JIWEI)
        for i in range(n):
            a, b = rng.sample(accts, 2)
            fen = rng.randrange(100, 5_000_000)
            at = start + timedelta(seconds=i * 60 + rng.randrange(60))
            for own, cp, out, when in ((a, b, True, at), (b, a, False, at + timedelta(seconds=rng.randrange(121)))):
                serial = f"B{i:08d}{'D' if out else 'C'}"
                if own in police:
                    r = [""] * len(POLICE_TX)
                    r[pi("交易卡号")], r[pi("交易账号")], r[pi("交易方户名")] = card_of(own), own, "户名"
                    r[pi("交易时间")], r[pi("交易金额")] = when.strftime("%Y%m%d%H%M%S"), format_fen(fen, grouped=False)
                    r[pi("收付标志")] = "出" if out else "进"
                    r[pi("交易对手账卡号")] = card_of(cp) if cp in police and i % 2 else cp
                    r[pi("交易是否成功")], r[pi("交易流水号")], r[pi("摘要说明")] = "成功", serial, "转账"
                    wp.writerow(r)
                else:
                    r = [""] * len(JIWEI)
                    r[ji("本方账号")], r[ji("借贷标志")], r[ji("交易金额")] = own, "借" if out else "贷", \
                        format_fen(fen, grouped=False)
                    r[ji("交易时间")], r[ji("交易流水号")] = when.strftime("%Y-%m-%d %H:%M:%S"), serial
                    r[ji("交易对方账户")], r[ji("交易是否成功")], r[ji("币种")] = cp, "是", "CNY"
                    wj.writerow(r)
                rows += 1
    with open(folder / "bank_账户信息.csv", "w", newline="", encoding="gb18030") as f:
        w = csv.writer(f)
        w.writerow(POLICE_ACC)
        for acc in sorted(police):
            w.writerow(["户名", "", card_of(acc), acc, "某银行", "正常", "", "", "人民币"])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transfers", type=int, default=500_000)
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-reload", action="store_true", help="load once (skip the idempotent reload)")
    ap.add_argument("--contract-transfers", type=int, default=None,
                    help="transfers for the contract loader's comparison run (default: --transfers; 0 skips it)")
    ap.add_argument("--python-only", action="store_true",
                    help="read, normalise and pair in memory only (no database): the Python side's rate and RSS")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-statements-"))
    data = work / "data"
    data.mkdir()
    t = time.perf_counter()
    rows = write(data, args.transfers, args.accounts, args.seed)
    print(json.dumps({"step": "write", "rows": rows, "seconds": round(time.perf_counter() - t, 1)}), flush=True)
    if args.python_only:
        from ingest.statements import load as statement_load
        t = time.perf_counter()
        preps = statement_load.prepare(sorted(data.iterdir()))
        res = statement_load.StatementResult()
        rej = statement_load._Rejects(work / "rejects.csv", "bench")
        sides, accts, _ = statement_load._read(preps, rej, res, None)
        canon = {a.card: a.account for a in accts if a.card and a.account}
        for s in sides:
            s.own = canon.get(s.own, s.own)
            s.cp = canon.get(s.cp, s.cp) if s.cp else None
        pairs = statement_load._pair(sides, statement_load.TOLERANCE_SECONDS)
        secs = time.perf_counter() - t
        print(json.dumps({"step": "read_and_pair", "rows": rows, "seconds": round(secs, 1),
                          "rows_per_s": round(rows / secs), "paired_sides": len(pairs),
                          "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}),
              flush=True)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    try:
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
            g.wipe()
            for step in ("load",) if args.no_reload else ("load", "reload"):
                t = time.perf_counter()
                r = load_dir(g, data, work / "rejects")
                secs = time.perf_counter() - t
                n = g.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
                print(json.dumps({"step": step, "rows": rows, "seconds": round(secs, 1),
                                  "rows_per_s": round(rows / secs), "transfers": n,
                                  "paired_sides": r.statements["paired_sides"],
                                  "unpaired_sides": r.statements["unpaired_sides"], "rejected": r.rejected,
                                  "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}),
                      flush=True)
        # the contract loader on the same transfers, same machine, same moment: the rate to beat
        n_contract = args.transfers if args.contract_transfers is None else args.contract_transfers
        if not n_contract:
            return 0
        contract = work / "contract"
        contract.mkdir()
        rng = random.Random(args.seed)
        with open(contract / "transfers.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["transfer_id", "from_account", "to_account", "amount", "at"])
            accts = [f"62{rng.randrange(10**16, 10**17)}" for _ in range(args.accounts)]
            start = datetime(2024, 1, 1)
            for i in range(n_contract):
                a, b = rng.sample(accts, 2)
                w.writerow([f"T{i}", a, b, format_fen(rng.randrange(100, 5_000_000), grouped=False),
                            (start + timedelta(seconds=i * 60)).isoformat(sep=" ")])
        with scratch_connection(work / "db2", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
            g.wipe()
            t = time.perf_counter()
            load_dir(g, contract, work / "rejects2")
            secs = time.perf_counter() - t
            print(json.dumps({"step": "contract_load", "rows": n_contract, "seconds": round(secs, 1),
                              "rows_per_s": round(n_contract / secs)}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
