"""Evidence packages for planted subjects of each pattern family, from a generated dataset (persons=300).

The generator's ground_truth.json names, per planted case, the subject, the case and the
evidence ids a correct detection must cite; the subject's package must hold all of them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from evidence.package import build_package, verify_manifest

#: One planted subject per family: money to relatives, money through intermediaries,
#: conveyances, sham divorce, and an inmate who can pay a small fine.
FAMILIES = ("post_filing_transfer_to_related", "layered_chain", "below_value_conveyance", "sham_divorce",
            "small_fine_capacity")


@pytest.fixture(scope="module")
def dataset(module_graph, tmp_path_factory):
    from ingest import load_dir
    from synth.generate import generate

    d = tmp_path_factory.mktemp("gen300")
    generate(d, seed=7, persons=300)
    load_dir(module_graph, d, rejects_dir=tmp_path_factory.mktemp("rejects"))
    gt = json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))
    return module_graph, gt


def _planted(gt: dict, pattern: str) -> dict:
    cands = [p for p in gt["planted"] if p["pattern"] == pattern]
    assert cands, f"the generator planted no {pattern}"
    return cands[0]


@pytest.mark.parametrize("pattern", FAMILIES)
def test_package_holds_planted_evidence(dataset, pattern, tmp_path):
    g, gt = dataset
    p = _planted(gt, pattern)
    res = build_package(g, p["subject_id"], tmp_path, as_of=dt.date.fromisoformat(gt["as_of"]),
                        investigator="测试")
    assert verify_manifest(tmp_path) == []
    raw = res.paths["evidence.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = {r["编号"]: r for r in csv.DictReader(io.StringIO(raw[3:].decode("utf-8")))}
    leads = json.loads(res.paths["leads.json"].read_text(encoding="utf-8"))["leads"]
    mine = [x for x in leads if x["pattern"] == pattern and x["subject_id"] == p["subject_id"]
            and x["case_no"] == p["case_no"]]
    assert mine, f"no {pattern} lead for {p['subject_id']} {p['case_no']} in the package"
    want = set(p["transfer_ids"]) | set(p["asset_transfer_ids"])
    cited = set()
    for x in mine:
        cited |= set(x["evidence"]["transfer_ids"]) | set(x["evidence"]["asset_transfer_ids"])
    assert want <= cited, f"planted ids missing from the leads: {sorted(want - cited)}"
    for eid in want:
        assert eid in rows, f"{eid} missing from evidence.csv"
        assert pattern in rows[eid]["引用模式"].split(";")
        assert rows[eid]["来源文件"] and rows[eid]["来源行"] and rows[eid]["导入批次"]
    if pattern == "small_fine_capacity":
        d = mine[0]["details"]
        assert d["can_pay_in_full"] or d["can_pay_in_part"]
        assert any(r["记录类型"] == "账户余额" and pattern in r["引用模式"] for r in rows.values())
    assert pattern in res.manifest["patterns_hit"]
