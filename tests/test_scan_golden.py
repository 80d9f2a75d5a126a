"""The full scan gives the same leads file after the session-17 speed work (issue 11): on the v1
generator and the realistic one, at fixed seeds, the whole leads file (leads with every detail,
subjects, parameters, notes) equals the one the unoptimised scan produced.

The expectation was recorded with the scan as it was before the speed work (commit 823587c,
one read per debtor and hop in the path searches, no shared reads) by running this module's
`WORLDS` through `scan()` and saving the JSON (tests/fixtures/scan_golden/leads.json). The
generator is deterministic for (seed, persons, transfers, as_of, realistic), so a change of
the generator shows here too: then record again from the slow path at the same seeds, e.g.
`git stash; python tests/test_scan_golden.py record; git stash pop`.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from ingest import load_dir
from investigations import scan
from synth.generate import generate

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "scan_golden" / "leads.json"
SEED = 7
WORLDS = {"v1": dict(persons=400, transfers=12000, realistic=False),
          "realistic": dict(persons=500, realistic=True)}


def _scan_world(graph, work: Path, name: str) -> dict:
    graph.wipe()
    generate(work / name, SEED, **WORLDS[name])
    truth = json.loads((work / name / "ground_truth.json").read_text(encoding="utf-8"))
    load_dir(graph, work / name, work / (name + "-rejects"))
    leads = scan(graph, dt.date.fromisoformat(truth["as_of"]))
    return json.loads(json.dumps(leads, default=str))


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_scan_equals_the_recorded_leads_file(graph, tmp_path, name):
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))[name]
    got = _scan_world(graph, tmp_path, name)
    assert want["leads"], "the recorded world has leads"
    # lead ids and amounts first (the clearest message), then the whole file
    assert [(x["lead_id"], x["amount_fen"]) for x in got["leads"]] == \
        [(x["lead_id"], x["amount_fen"]) for x in want["leads"]]
    assert got["leads"] == want["leads"]
    assert got["subjects"] == want["subjects"]
    assert {k: v for k, v in got.items() if k not in ("leads", "subjects")} == \
        {k: v for k, v in want.items() if k not in ("leads", "subjects")}


if __name__ == "__main__" and sys.argv[1:] == ["record"]:
    import tempfile

    from graph import Graph, scratch_connection
    work = Path(tempfile.mkdtemp(prefix="golden-"))
    with scratch_connection(work / "db") as conn, Graph(conn) as g:
        g.ensure_schema()
        res = {name: _scan_world(g, work, name) for name in WORLDS}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(res, ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
