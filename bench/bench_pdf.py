"""Benchmark: PDF rendering (WeasyPrint through investigations.pdfdoc) without a database.

    .venv/bin/python bench/bench_pdf.py [--rows 1200] [--repeat 3]

Times (median of --repeat after one warm-up) the freeze list's one page and a table of --rows
transfer rows drawn with the dossier's table macro and base stylesheet (the dossier's detail and
sources tables are most of a large package's pages). Prints one JSON line per measure; results are
copied by hand into docs/benchmarks.md ("PDF rendering"), with the machine they ran on. No target
is asserted anywhere.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from investigations import freeze_pdf, pdfdoc  # noqa: E402

TABLE = ('{% extends "base.html" %}{% from "table.html" import grid %}{% block body %}'
         '{{ grid(["流水号", "日期", "方向", "付款账号", "收款账号", "对方（编号 名称）", "关系", "金额", "诉后", "引用模式"], '
         'rows, [11, 8.5, 4, 15, 15, 12, 8, 8.5, 3.5, 14.5]) }}{% endblock %}')


def _freeze_list(n: int) -> dict:
    lines = [{"no": i, "kind": "account", "target": f"6222{i:012d}", "institution": "工商银行", "holder_name": "李娜",
              "relation_zh": "配偶", "basis": "related", "hops": 1, "traced_fen": 20000000, "balance_fen": None,
              "balance_on": None, "proposed_fen": 100000, "lead_ids": ["a" * 40], "restrictions": []}
             for i in range(1, n + 1)]
    return {"subject_name": "张伟", "subject_id": "P001", "case_no": "(2024)京0105民初123号", "cases": [],
            "as_of": "2025-10-31", "since": "2024-03-20", "list_id": "0123456789abcdef", "graph_unpaid_fen": 80000000,
            "recorded_settled_fen": 0, "recorded_frozen_fen": 0, "unpaid_fen": 80000000, "proposed_fen": 100000 * n,
            "lines": lines, "left_out": {"max_hops": 4, "max_edges": 5000, "truncated": False, "not_followed": []}}


def _time(fn, repeat: int) -> tuple[float, object]:
    out = fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fl = _freeze_list(10)
    sec, pdf = _time(lambda: freeze_pdf.pdf_bytes(fl), args.repeat)
    print(json.dumps({"measure": "freeze list (10 lines, 1 page)", "seconds": round(sec, 2), "bytes": len(pdf)}))
    folder = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    (folder / "bench_table.html").write_text(TABLE, encoding="utf-8")
    rows = [[f"BT{i:06d}", "2024-03-01 09:30", "转出", "6222000000009999", f"6217{i:012d}", f"R{i % 250:04d} 收款人{i % 250}",
             "无", "¥12,345.67", "是", "诉讼开始后转移财产"] for i in range(args.rows)]
    ctx = {"title": "bench", "author": "", "subject": "", "generator": "", "rows": rows}
    sec, (pdf, pages) = _time(lambda: pdfdoc.render("bench_table.html", ctx, [folder]), args.repeat)
    print(json.dumps({"measure": f"table of {args.rows} rows", "pages": pages, "seconds": round(sec, 2),
                      "bytes": len(pdf)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
