"""The leads file (scan), its CLI, and measured quality on the generator's planted data."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import load_dir
from investigations import scan
from synth.evaluate import evaluate
from investigations.patterns import PATTERN_IDS
from investigations.scan import LEAD_KEYS

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "detection"
AS_OF = dt.date(2025, 10, 31)


@pytest.fixture(scope="module")
def sham_loaded(module_graph, tmp_path_factory):
    load_dir(module_graph, FIX / "sham_divorce", rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


def test_scan_shape_and_subject_ranking(sham_loaded):
    out = scan(sham_loaded, AS_OF)
    json.dumps(out)  # the leads file is plain JSON
    assert out["as_of"] == "2025-10-31" and out["tool_version"]
    assert set(out["parameters"]) == set(PATTERN_IDS)
    assert out["parameters"]["sham_divorce"]["window_days"] == 180
    for lead in out["leads"]:
        assert list(lead)[:len(LEAD_KEYS)] == list(LEAD_KEYS)
    assert len({x["lead_id"] for x in out["leads"]}) == len(out["leads"])
    by = {}
    for x in out["leads"]:
        by.setdefault(x["subject_id"], set()).add(x["pattern"])
    # D1: the sham divorce, the same transfer to a former spouse (always related), the gift of the house
    assert by["D1"] == {"sham_divorce", "post_filing_transfer_to_related", "below_value_conveyance"}
    # a former spouse is related at any time: D2 and D4's transfers after litigation start are leads too;
    # D6 pays a current spouse; D3 is under the amount, D5's case is paid
    assert set(by) == {"D1", "D2", "D4", "D6"}
    subj = {s["subject_id"]: s for s in out["subjects"]}
    # T1 (30,000) counted once though in two patterns; the house (800,000 appraised, a gift) once
    assert subj["D1"]["moved_fen"] == 3_000_000 + 80_000_000
    assert subj["D1"]["unpaid_fen"] == 50_000_000 and subj["D1"]["recoverable_fen"] == 50_000_000
    assert subj["D1"]["score"] == 100
    assert out["subjects"][0]["subject_id"] == "D1"
    assert subj["D2"]["patterns"] == ["post_filing_transfer_to_related"]
    assert subj["D2"]["score"] < subj["D1"]["score"]
    # lead scores see the subject's pattern count
    d1_post = next(x for x in out["leads"] if x["subject_id"] == "D1" and x["pattern"] == "post_filing_transfer_to_related")
    d2_post = next(x for x in out["leads"] if x["subject_id"] == "D2")
    assert d1_post["score"] > d2_post["score"]
    # stable ids: a second scan gives the same leads
    again = scan(sham_loaded, AS_OF)
    assert [x["lead_id"] for x in again["leads"]] == [x["lead_id"] for x in out["leads"]]


def test_cli_scan_run_trace(sham_loaded, tmp_path):
    env = dict(os.environ, **sham_loaded.connection.env())
    out = tmp_path / "leads.json"
    cmd = [sys.executable, "-m", "investigations"]
    r = subprocess.run(cmd + ["scan", "--as-of", "2025-10-31", "--out", str(out)], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["as_of"] == "2025-10-31" and data["leads"]
    r = subprocess.run(cmd + ["run", "sham_divorce", "--as-of", "2025-10-31", "--param", "min_total=20000",
                              "--format", "json"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert [h["subject_id"] for h in res["hits"]] == ["D1"] and res["params"]["min_total"] == "20000"
    r = subprocess.run(cmd + ["run", "sham_divorce", "--param", "nope=1"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "nope" in r.stderr
    r = subprocess.run(cmd + ["run", "sham_divorce", "--as-of", "2025-10-31", "--format", "csv"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("lead_id,pattern,score")
    r = subprocess.run(cmd + ["trace", "D1", "--format", "json"], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["out_fen"] == 3_000_000


# -- measured quality on the generator's planted data --------------------------------------
def test_generated_recall_precision(graph, tmp_path, artifacts_dir):
    generate = pytest.importorskip("synth.generate").generate
    data = tmp_path / "gen"
    generate(data, seed=7, persons=500, realistic=True)
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    load_dir(graph, data, rejects_dir=tmp_path / "rejects")
    leads = scan(graph, dt.date.fromisoformat(truth["as_of"]))
    rep = evaluate(leads, truth)
    (artifacts_dir / "detection_quality.json").write_text(json.dumps(rep, ensure_ascii=False, indent=1),
                                                          encoding="utf-8")
    for pid in PATTERN_IDS:
        r = rep["patterns"][pid]
        assert r["planted"] > 0, f"{pid}: nothing planted"
        assert r["recall"] >= 0.95, f"{pid}: recall {r['recall']}, missed {r['missed']}"
    assert rep["decoys"] > 0
    assert rep["decoys_flagged"] == [], rep["decoys_flagged"]
    # honest busy debtors (payroll, support, salary, small cash, bank mortgage) get no lead at all
    honest = {d["subject_id"] for d in truth["decoys"] if d.get("honest")}
    assert len(honest) >= 10
    assert not honest & {x["subject_id"] for x in leads["leads"]}


def test_scan_for_one_subject_matches_the_full_scan(sham_loaded):
    full = scan(sham_loaded, AS_OF)
    for sid in ("D1", "D2", "D3"):
        one = scan(sham_loaded, AS_OF, subject_id=sid)
        assert one["leads"] == [x for x in full["leads"] if x["subject_id"] == sid]
        assert {x["subject_id"] for x in one["leads"]} <= {sid}
