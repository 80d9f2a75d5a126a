"""A generated world written as returns (layouts 1-3) rebuilds the same transfers and the same leads."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from ingest import load_dir
from investigations import scan
from synth.evaluate import evaluate, planted_found

returns = pytest.importorskip("synth.returns")


def test_generated_world_as_returns(graph, tmp_path):
    gen_kwargs = dict(seed=7, persons=300)
    data = tmp_path / "returns"
    summary = returns.write_returns(data, **gen_kwargs)
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    res = load_dir(graph, data, tmp_path / "rej")
    st = res.statements
    assert res.rejected == 0, res.tables
    for name, c in st["files"].items():
        assert c["read"] == c["loaded"] + c["paired"] and c["skipped"] == c["rejected"] == 0, (name, c)
    # exactly one TRANSFER per real transfer
    n = graph.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
    assert n == summary["transfers"]
    rows = graph.read("MATCH ()-[t:TRANSFER]->() WHERE t.source = 'statement' "
                      "RETURN t.transfer_id AS id, t.out_serial AS o, t.in_serial AS i")
    real = {}
    for r in rows:
        tx = {s[:-1] for s in (r["o"], r["i"]) if s}
        assert len(tx) == 1, r  # both sides of one row are one real transfer
        real[tx.pop()] = r["id"]
    assert len(real) == len(rows) == summary["in_returns"]
    # the leads: every planted case the contract tables let scan find, the returns do too
    leads_returns = scan(graph, as_of)
    graph.wipe()
    contract = tmp_path / "contract"
    from synth.generate import generate
    generate(contract, **gen_kwargs)
    load_dir(graph, contract, tmp_path / "rej2")
    leads_contract = scan(graph, as_of)
    mapped = json.loads(json.dumps(truth))
    for item in mapped["planted"] + mapped["decoys"]:
        item["transfer_ids"] = [real.get(t, t) for t in item.get("transfer_ids") or []]
    found_contract = [p for p in truth["planted"] if planted_found(p, leads_contract["leads"])]
    found_returns = [p for p in mapped["planted"] if planted_found(p, leads_returns["leads"])]
    assert len(found_contract) > 0
    missed = [(p["pattern"], p["subject_id"]) for p, q in zip(truth["planted"], mapped["planted"])
              if p in found_contract and q not in found_returns]
    assert missed == []
    rep = evaluate(leads_returns, mapped)
    assert rep["decoys_flagged"] == [], rep["decoys_flagged"]
