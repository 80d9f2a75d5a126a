"""bench/bench_growth.py's own logic: sizes, the resumable results file, the growth table's ratios."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_growth", ROOT / "bench" / "bench_growth.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_growth"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_sizes_parse_and_label():
    b = _bench()
    assert [b.parse_size(s) for s in ("100k", "1M", "5m", "2500000")] == [100_000, 1_000_000, 5_000_000, 2_500_000]
    assert [b.label(n) for n in (100_000, 1_000_000, 5_000_000, 1234)] == ["100k", "1M", "5M", "1234"]
    with pytest.raises(Exception):
        b.parse_size("lots")


def test_results_resume_and_growth_exponent(tmp_path):
    b = _bench()
    res = b.Results(tmp_path / "g.jsonl", "abc123")
    assert not res.has(100_000, "scan")
    res.add(100_000, 3000, "generate", seconds=10.0, peak_rss_mb=140)
    res.add(100_000, 3000, "scan", cold_seconds=8.0, p50_seconds=4.0, peak_rss_mb=150)
    res.add(1_000_000, 20000, "generate", seconds=100.0, peak_rss_mb=140)
    res.add(1_000_000, 20000, "scan", cold_seconds=80.0, p50_seconds=40.0, peak_rss_mb=150)
    assert res.has(100_000, "scan") and not res.has(1_000_000, "pages")
    recs = res.records()
    assert {r["commit"] for r in recs} == {"abc123"} and all(len(r["loadavg"]) == 3 for r in recs)
    md = b.report(recs)
    sizes, growth = md.split("Growth between sizes")
    lines = {ln.split(" | ")[0].strip("| "): ln for ln in sizes.splitlines()}
    # generate time x10 for x10 rows: linear (b = 1); peak RSS flat (b = 0)
    assert "| generate s | ×10.00 (b = 1.00) |" in growth
    assert "| generate peak RSS MB | ×1.00 (b = 0.00) |" in growth
    assert lines["scan p50 s"].endswith("| 4.0 | 40.0 |")
    assert "| load s |" not in growth  # no figure at either size: no growth row
