"""Shaping hits into leads: stage, stable lead id, explainable score (docs/detection.md)."""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ingest.parse import format_fen

#: Weights of the score (0-100): share of the unpaid amount moved, closeness of the
#: relation, number of distinct patterns (saturating at PATTERNS_FULL).
W_SHARE, W_CLOSENESS, W_PATTERNS = 50, 30, 20
PATTERNS_FULL = 3


def iso(value: Any) -> str | None:
    """A date / datetime as ISO text (None stays None); a midnight datetime keeps its time."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def stage(case: dict, day: dt.date) -> str:
    """The case's stage on `day`: before_judgment, after_judgment or in_enforcement."""
    enf = case.get("enforcement_filed_on")
    eff = case.get("effective_on")
    if enf is not None and day >= enf:
        return "in_enforcement"
    if eff is not None and day >= eff:
        return "after_judgment"
    return "before_judgment"


def evidence_ids(evidence: dict) -> list[str]:
    """Every evidence id of a lead, prefixed by its kind, sorted (the input of the lead id)."""
    out = []
    for key in ("transfer_ids", "asset_transfer_ids", "account_ids", "balance_rows"):
        out.extend(f"{key}:{v}" for v in evidence.get(key, []))
    return sorted(out)


def lead_id(pattern: str, subject_id: str, case_no: str | None, evidence: dict) -> str:
    """Stable id: sha256 of pattern, subject, case and the sorted evidence ids (first 24 hex)."""
    text = "|".join([pattern, subject_id, case_no or "", *evidence_ids(evidence)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def score(amount_fen: int, unpaid_fen: int, closeness: float, n_patterns: int) -> int:
    """0-100: W_SHARE x share of unpaid moved (capped at 1) + W_CLOSENESS x closeness
    + W_PATTERNS x min(1, patterns / PATTERNS_FULL)."""
    share = 1.0 if unpaid_fen <= 0 else min(1.0, max(0, amount_fen) / unpaid_fen)
    pats = min(1.0, n_patterns / PATTERNS_FULL)
    return int(round(W_SHARE * share + W_CLOSENESS * max(0.0, min(1.0, closeness)) + W_PATTERNS * pats))


def yuan(fen: int) -> str:
    """Fen as a yuan string with two decimals (for explanations)."""
    return format_fen(fen)
