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
#: A lead of stage before_litigation (an act within the lookback before litigation start, spec v2)
#: keeps this fraction of the score the same act would get after litigation start.
BEFORE_LITIGATION_FACTOR = 0.5
#: Evidence lists of a lead: the spec's four, then the v2 additions (present only when used).
EVIDENCE_KEYS = ("transfer_ids", "asset_transfer_ids", "account_ids", "balance_rows")
EXTRA_EVIDENCE_KEYS = ("encumbrance_ids", "restriction_ids")


def iso(value: Any) -> str | None:
    """A date / datetime as ISO text (None stays None); a midnight datetime keeps its time."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def stage(case: dict, day: dt.date) -> str:
    """The case's stage on `day`: before_litigation (v2: an act before litigation start, only
    patterns with a lookback produce it), before_judgment, after_judgment or in_enforcement."""
    start = case.get("litigation_start")
    if start is not None and day < start:
        return "before_litigation"
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
    for key in EVIDENCE_KEYS + EXTRA_EVIDENCE_KEYS:
        out.extend(f"{key}:{v}" for v in evidence.get(key, []))
    return sorted(out)


#: What defines a finding, per pattern, when it is not the evidence ids (docs/detection.md,
#: "Lead identity"): a capacity finding is about the inmate's prison accounts (new monthly
#: balance rows change its amount, not what it is); a transfer-to-a-related-party finding is
#: about who received the money (a further transfer to the same party adds to the same lead).
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "small_fine_capacity": ("account_ids",),
    "post_filing_transfer_to_related": ("counterparties",),
    "shell_company_transfer": ("counterparties",),
}


def identity_facts(pattern: str, evidence: dict, counterparties: list[str] | None = None) -> list[str]:
    """The facts a lead's identity is made of: the pattern's IDENTITY_FIELDS, else every evidence id
    except balance rows (a balance row is a measurement, never what a finding is)."""
    fields = IDENTITY_FIELDS.get(pattern)
    if fields is None:
        return [x for x in evidence_ids(evidence) if not x.startswith("balance_rows:")]
    out = []
    for f in fields:
        values = (counterparties or []) if f == "counterparties" else evidence.get(f, [])
        out.extend(f"{f}:{v}" for v in values)
    return sorted(out)


def lead_id(pattern: str, subject_id: str, case_no: str | None, evidence: dict,
            counterparties: list[str] | None = None) -> str:
    """Stable id: sha256 of pattern, subject, case and the facts defining the finding (first 24 hex).

    Not the balance rows nor (for grouped transfer findings) the transfer ids: a rescan after
    a newer load keeps the id, so the lead's amount is updated and a dismissal stays.
    """
    text = "|".join([pattern, subject_id, case_no or "", *identity_facts(pattern, evidence, counterparties)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def score(amount_fen: int, unpaid_fen: int, closeness: float, n_patterns: int, stage: str | None = None) -> int:
    """0-100: W_SHARE x share of unpaid moved (capped at 1) + W_CLOSENESS x closeness
    + W_PATTERNS x min(1, patterns / PATTERNS_FULL); times BEFORE_LITIGATION_FACTOR for a
    before_litigation lead."""
    share = 1.0 if unpaid_fen <= 0 else min(1.0, max(0, amount_fen) / unpaid_fen)
    pats = min(1.0, n_patterns / PATTERNS_FULL)
    value = W_SHARE * share + W_CLOSENESS * max(0.0, min(1.0, closeness)) + W_PATTERNS * pats
    if stage == "before_litigation":
        value *= BEFORE_LITIGATION_FACTOR
    return int(round(value))


def yuan(fen: int) -> str:
    """Fen as a yuan string with two decimals (for explanations)."""
    return format_fen(fen)
