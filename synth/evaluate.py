"""Measured quality: per-pattern recall and precision of a leads file against the generator's
ground truth (ground_truth.json of `python -m ingest generate`), and the decoys flagged.

Rules (shared contract): a planted case is found when a lead of its pattern has its subject
(and case, when given) and its evidence holds every planted transfer / asset-transfer id; for
small_fine_capacity, a lead for the subject whose verdict (case or subject level) is the one
the note names. A lead counts as correct (precision) when it matches a planted case of its
pattern by subject and shares an evidence id with it (small_fine_capacity: by subject). A decoy
is flagged when a lead of its pattern has its subject and any of its evidence ids
(small_fine_capacity: any lead for the subject).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from investigations.patterns import PATTERN_IDS

VERDICTS = ("can_pay_in_full", "can_pay_in_part")


def _ids(item: dict) -> set[str]:
    return (set(item.get("transfer_ids") or []) | set(item.get("asset_transfer_ids") or [])
            | set(item.get("encumbrance_ids") or []))


def _lead_ids(lead: dict) -> set[str]:
    ev = lead.get("evidence") or {}
    return (set(ev.get("transfer_ids") or []) | set(ev.get("asset_transfer_ids") or [])
            | set(ev.get("encumbrance_ids") or []))


def _verdicts(lead: dict) -> set[str]:
    d = lead.get("details") or lead
    return {v for v in (d.get("verdict"), d.get("subject_verdict")) if v}


def _expected_verdict(item: dict) -> str | None:
    text = " ".join(str(item.get(k) or "") for k in ("lead", "verdict", "expected", "note"))
    for v in VERDICTS:
        if v in text:
            return v
    return None


def planted_found(item: dict, leads: list[dict]) -> bool:
    for lead in leads:
        if lead["pattern"] != item["pattern"] or lead["subject_id"] != item["subject_id"]:
            continue
        if item.get("case_no") and lead.get("case_no") != item["case_no"]:
            continue
        if item["pattern"] == "small_fine_capacity":
            want = _expected_verdict(item)
            if want is None or want in _verdicts(lead):
                return True
            continue
        if _ids(item) <= _lead_ids(lead):
            return True
    return False


def _lead_correct(lead: dict, planted: list[dict]) -> bool:
    for item in planted:
        if item["pattern"] != lead["pattern"] or item["subject_id"] != lead["subject_id"]:
            continue
        if lead["pattern"] == "small_fine_capacity" or (_ids(item) & _lead_ids(lead)):
            return True
    return False


def decoy_flagged(item: dict, leads: list[dict]) -> list[str]:
    """Lead ids of the decoy's pattern that flag it."""
    out = []
    for lead in leads:
        if lead["pattern"] != item["pattern"] or lead["subject_id"] != item["subject_id"]:
            continue
        if item["pattern"] == "small_fine_capacity" or (_ids(item) & _lead_ids(lead)):
            out.append(lead["lead_id"])
    return out


def evaluate(leads_file: dict, truth: dict) -> dict[str, Any]:
    """Per-pattern planted / found / recall, leads / correct / precision, and flagged decoys."""
    leads = leads_file["leads"]
    planted = truth.get("planted", [])
    decoys = truth.get("decoys", [])
    per: dict[str, dict[str, Any]] = {}
    by_pat_leads: dict[str, list[dict]] = defaultdict(list)
    for lead in leads:
        by_pat_leads[lead["pattern"]].append(lead)
    pats = list(PATTERN_IDS) + sorted({i["pattern"] for i in planted} - set(PATTERN_IDS))
    for pid in pats:
        items = [i for i in planted if i["pattern"] == pid]
        found = [i for i in items if planted_found(i, leads)]
        pl = by_pat_leads.get(pid, [])
        correct = [x for x in pl if _lead_correct(x, planted)]
        per[pid] = {
            "planted": len(items), "found": len(found),
            "recall": round(len(found) / len(items), 4) if items else None,
            "leads": len(pl), "correct": len(correct),
            "precision": round(len(correct) / len(pl), 4) if pl else None,
            "missed": [{"subject_id": i["subject_id"], "case_no": i.get("case_no")} for i in items if i not in found],
        }
    flagged = []
    for d in decoys:
        ids = decoy_flagged(d, leads)
        if ids:
            flagged.append({"pattern": d["pattern"], "subject_id": d["subject_id"], "why": d.get("why"),
                            "lead_ids": ids})
    return {"as_of": leads_file.get("as_of"), "patterns": per, "decoys": len(decoys),
            "decoys_flagged": flagged}
