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


#: Patterns whose lead names one related party per lead, and the kind of tie they require.
TIE_PATTERNS = {"post_filing_transfer_to_related": "related_person", "shell_company_transfer": "tied_company"}
CONVEYANCE_PATTERNS = ("below_value_conveyance", "above_value_purchase")


def test_package_relations_agree_with_every_lead(dataset):
    """Over every lead of the generated dataset: the package's relation column says what the lead
    said (same definition, same words), and its "part to related parties" counts every transfer a
    related-party lead cites."""
    from evidence.gather import gather
    from investigations.scan import scan

    g, gt = dataset
    as_of = dt.date.fromisoformat(gt["as_of"])
    subjects = sorted({x["subject_id"] for x in scan(g, as_of=as_of)["leads"]})
    assert len(subjects) >= 10
    checked = {p: 0 for p in (*TIE_PATTERNS, *CONVEYANCE_PATTERNS, "fan_out_dispersal", "sham_divorce")}
    for sid in subjects:
        data = gather(g, sid, as_of=as_of)
        recs = {(r["kind"], r["id"]): r for r in data["records"]}
        related_cited: dict[str, int] = {}
        for lead in data["leads"]:
            d = lead.get("details") or {}
            pattern, ev = lead["pattern"], lead["evidence"]
            if pattern in TIE_PATTERNS:
                rows = [recs[("transfer", t)] for t in ev["transfer_ids"]]
                assert all(r["tie_kind"] == TIE_PATTERNS[pattern] for r in rows), (sid, lead["lead_id"])
                # the lead names the closest of its transfers' ties; the package prints that one
                assert d["relation_zh"] in {r["relation_zh"] for r in rows}, (sid, lead["lead_id"], d["relation_zh"])
                assert all(r["relation_zh"] not in ("", "无已知关系") for r in rows)
                for r in rows:
                    if r["currency"] == "CNY" and r["after_start_zh"] == "是":
                        related_cited[r["id"]] = r["amount_fen"]
            elif pattern in CONVEYANCE_PATTERNS:
                for a in ev["asset_transfer_ids"]:
                    assert recs[("asset_transfer", a)]["relation_zh"] == d["relation_zh"], (sid, a)
            elif pattern == "fan_out_dispersal":
                assert all(recs[("transfer", t)]["tie_kind"] != "related_person" for t in ev["transfer_ids"])
            elif pattern == "sham_divorce":
                spouse = lead["counterparties"][0]
                for t in ev["transfer_ids"]:
                    r = recs[("transfer", t)]
                    if r["counterparty_id"] == spouse:
                        assert r["relation_zh"] == d["relation_zh"] == "前配偶", (sid, t)
            else:
                continue
            checked[pattern] += 1
        total = data["moved"]["total"]
        if related_cited and total is not None:
            start = total["start"].isoformat()
            want = sum(v for k, v in related_cited.items() if recs[("transfer", k)]["date"] >= start)
            assert total["related_fen"] >= want, (sid, total["related_fen"], want)
    assert all(n > 0 for n in checked.values()), checked
