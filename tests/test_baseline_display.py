"""The baseline a lead was judged against, shown on the lead pages and in the evidence package
(issue 12), against a real Neo4j loaded with the baseline scenario of test_patterns_v2."""
from __future__ import annotations

import json
import subprocess

from evidence.package import build_package
from investigations import run_pattern, scan
from investigations.baseline import describe

from test_patterns_v2 import AS_OF, _by_subject, baseline_graph  # noqa: F401 - the module fixture
from test_webutil import login, make_app


def test_describe_post_filing_and_fan_out(baseline_graph):  # noqa: F811
    g, _ids = baseline_graph
    (h2,) = _by_subject(run_pattern(g, "post_filing_transfer_to_related", as_of=AS_OF))["P2"]
    zh = describe(h2, "zh")
    en = describe(h2, "en")
    assert "P2K" in zh[0] and "12 个月" in zh[0] and "¥3,000.00" in zh[0] and "¥4,500.00" in zh[0]
    assert "median ¥3,000.00" in en[0] and "¥4,500.00 a month counts" in en[0]
    assert en[1] == "Months over baseline (paid → counted): 2025-06 ¥40,000.00→¥35,500.00"
    (f1,) = _by_subject(run_pattern(g, "fan_out_dispersal", as_of=AS_OF))["F1"]
    (line,) = describe(f1, "en")
    assert line.startswith("Baseline payees not counted") and line.count("median ¥12,000.00") == 6
    assert "F1S0 (12 months" in line  # the 365-day window holds 12 of its 20 months
    assert describe({}, "zh") == [] and describe(None) == []


def test_lead_pages_show_the_baseline(baseline_graph, tmp_path):  # noqa: F811
    g, _ids = baseline_graph
    app = make_app(g, tmp_path, SCAN_AS_OF=AS_OF)
    from web.leadstore import record_scan
    with app.app_context():
        record_scan(scan(g, as_of=AS_OF), None)
    c = login(app, "inv")
    dash = c.get("/").get_data(as_text=True)
    assert dash.count('class="lead-baseline') >= 2 and "基线" in dash
    assert "月中位数 ¥3,000.00" in dash and "未计入的基线收款人" in dash
    page = c.get("/subject/P2").get_data(as_text=True)
    assert 'class="lead-baseline' in page and "¥4,500.00" in page
    page = c.get("/subject/P3").get_data(as_text=True)  # no baseline: nothing shown
    assert 'class="lead-baseline' not in page


def test_package_shows_the_baseline(baseline_graph, tmp_path, artifacts_dir):  # noqa: F811
    g, _ids = baseline_graph
    res = build_package(g, "P2", tmp_path / "pkg", as_of=AS_OF)
    leads = json.loads((res.pdf_path.parent / "leads.json").read_text(encoding="utf-8"))
    items = leads["leads"] if isinstance(leads, dict) else leads
    (lead,) = [x for x in items if x["pattern"] == "post_filing_transfer_to_related"]
    assert lead["details"]["baseline"]["threshold_fen"] == 450_000
    text = subprocess.run(["pdftotext", "-layout", str(res.pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = "".join(text.split())
    assert "基线：收款人P2K" in flat and "¥4,500.00的部分才计入" in flat and "2025-06¥40,000.00→¥35,500.00" in flat
    out = artifacts_dir / "screenshots" / "package-baseline"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "2", "-l", "2", str(res.pdf_path), str(out)], check=True)
