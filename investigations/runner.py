"""Running one saved pattern: parameters, read-only query with a timeout, post-processing,
and shaping every hit as a lead (stage, stable lead id, score)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from graph import Graph

from . import leads
from .pointintime import unpaid_at
from .patterns import Pattern, PatternError, get_pattern
from .postprocessors import POST, PRE, Context
from . import queries

logger = logging.getLogger(__name__)


@dataclass
class PatternResult:
    """One pattern's run: effective params (as_of included), lead-shaped hits, what was left out."""

    pattern_id: str
    params: dict[str, Any]
    hits: list[dict]
    #: Non-CNY money the pattern left out, per currency (never added up across currencies).
    excluded_non_cny: dict[str, dict] = field(default_factory=dict)
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


def effective_params(pattern: Pattern, params: dict | None) -> dict[str, Any]:
    """Defaults overlaid by `params` (CLI / UI values: money in yuan), parsed; unknown names refused."""
    out = pattern.defaults()
    for k, v in (params or {}).items():
        out[k] = pattern.param(k).parse(v)
    return out


def query_params(pattern: Pattern, eff: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    q: dict[str, Any] = {"as_of": as_of}
    for p in pattern.params:
        q.update(p.to_query(eff[p.name]))
    return q


def jsonable_params(pattern: Pattern, eff: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """Effective params for a report: money as yuan text, dates ISO, as_of included."""
    out: dict[str, Any] = {}
    for p in pattern.params:
        v = eff[p.name]
        out[p.name] = str(v) if p.type == "money" else (v.isoformat() if isinstance(v, dt.date) else v)
    out["as_of"] = as_of.isoformat()
    return out


def shape_hit(pattern_id: str, raw: dict, n_patterns: int = 1) -> dict:
    """A raw post-processor hit as a lead dict (the fields of the leads file + extras)."""
    case = raw["case"]
    ev = raw["evidence"]
    day = raw.get("first_on") or case.get("litigation_start")
    st = leads.stage(case, day)
    evidence = {k: list(ev.get(k, [])) for k in leads.EVIDENCE_KEYS}
    evidence.update({k: list(ev[k]) for k in leads.EXTRA_EVIDENCE_KEYS if ev.get(k)})
    lead = {
        "lead_id": leads.lead_id(pattern_id, raw["subject_id"], case["case_no"], ev, raw.get("counterparties")),
        "pattern": pattern_id,
        "subject_id": raw["subject_id"], "subject_kind": raw["subject_kind"], "subject_name": raw.get("subject_name"),
        "case_no": case["case_no"], "case_kind": case.get("kind"),
        "litigation_start": leads.iso(case.get("litigation_start")),
        "stage": st,
        "unpaid_fen": case.get("unpaid_fen"),
        "score": leads.score(raw["amount_fen"], case.get("unpaid_fen") or 0, raw.get("closeness", 0.3), n_patterns, st),
        "amount_fen": raw["amount_fen"],
        "counterparties": raw["counterparties"], "counterparty_names": raw["counterparty_names"],
        "first_at": leads.iso(raw["first_at"]), "last_at": leads.iso(raw["last_at"]),
        "evidence": evidence,
        "explanation_zh": raw["explanation_zh"], "explanation_en": raw["explanation_en"],
    }
    skip = set(lead) | {"case", "evidence", "first_on"}
    for k, v in raw.items():
        if k not in skip:
            lead[k] = _jsonable(v)
    return lead


def _jsonable(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    return v


def _each_as_rows(rows: list[dict]) -> list[dict]:
    """A pattern may return one row per case with its many rows in the column `each` (a list
    of maps): each map becomes a row with the other columns added (shared, not copied). Why:
    the case and subject fields then cross the wire and the driver once per case, not once per
    transfer (issue 11: the driver's decoding was most of fan_out_dispersal's time)."""
    out: list[dict] = []
    for r in rows:
        if "each" not in r:
            out.append(r)
            continue
        each = r.pop("each")
        out.extend({**r, **x} for x in each)
    return out


def _unpaid_as_of(graph: Graph, rows: list[dict], as_of: dt.date, timeout: float | None) -> None:
    """Set every case map of the pattern rows to its unpaid amount as known at `as_of` (pointintime)."""
    maps: dict[int, dict] = {}   # by identity: rows made from one row's `each` share its case map
    for r in rows:
        for c in ([r["case"]] if isinstance(r.get("case"), dict) else []) + list(r.get("cases") or []):
            if isinstance(c, dict) and c.get("case_no") and "unpaid_fen" in c:
                maps.setdefault(id(c), c)
    if not maps:
        return
    facts = {f["case_no"]: f for f in graph.read(queries.Q_RUNNER_CASE_FACTS,
                                                 {"ids": sorted({c["case_no"] for c in maps.values()})},
                                                 timeout=timeout)}
    for c in maps.values():
        if c["case_no"] in facts:
            c["unpaid_fen"] = unpaid_at(facts[c["case_no"]], as_of)


def excluded_non_cny(graph: Graph, as_of: dt.date, timeout: float = 60.0,
                     subject_id: str | None = None) -> dict[str, dict]:
    """Non-CNY money out of open-case debtors' accounts since their earliest litigation start,
    per currency (amounts in the currency's 1/100 units): what the money patterns left out.
    Patterns judge CNY only; these totals are reported beside them, one per currency."""
    rows = graph.read(queries.Q_RUNNER_NON_CNY, {"as_of": as_of, "subject_id": subject_id}, timeout=timeout)
    return {r["currency"]: {"amount_minor": r["amount"], "transfers": r["n"]} for r in rows}


def run_pattern(graph: Graph, pattern_id: str, params: dict | None = None, as_of: dt.date | None = None,
                timeout: float | None = None, subject_id: str | None = None,
                cache: dict | None = None) -> PatternResult:
    """Run one saved pattern read-only with a timeout; hits are lead-shaped dicts.

    `params` take CLI / UI units (money in yuan, ratios as fractions); `as_of` defaults to today:
    events after it are ignored. `subject_id` restricts the run to one debtor's cases (subject
    pages and evidence packages), with the same definition as the full run. `cache`: a dict one
    scan shares between its patterns, so reads with the same inputs are made once.
    """
    pattern = get_pattern(pattern_id)
    as_of = as_of or dt.date.today()
    eff = effective_params(pattern, params)
    q = query_params(pattern, eff, as_of)
    q["subject_id"] = subject_id
    t = timeout or pattern.timeout
    cache = {} if cache is None else cache
    ctx = Context(graph, pattern.id, eff, q, as_of, timeout=t, cache=cache)
    if pattern.pre:
        if pattern.pre not in PRE:
            raise PatternError(f"{pattern.id}: unknown pre-step {pattern.pre!r}")
        q.update(PRE[pattern.pre](ctx))
    # Pattern files pass the same guard as saved queries: a pure read, no LOAD CSV, allowed procedures only.
    graph.ensure_read_only(pattern.cypher, q)
    rows = _each_as_rows(graph.read(pattern.cypher, q, timeout=t))
    _unpaid_as_of(graph, rows, as_of, t)
    rows = [r for r in rows if not isinstance(r.get("case"), dict) or (r["case"].get("unpaid_fen") or 0) > 0]
    for r in rows:
        if isinstance(r.get("cases"), list):
            r["cases"] = [c for c in r["cases"] if not isinstance(c, dict) or (c.get("unpaid_fen") or 0) > 0]
    if pattern.post:
        if pattern.post not in POST:
            raise PatternError(f"{pattern.id}: unknown post-processor {pattern.post!r}")
        raw_hits = POST[pattern.post](ctx, rows)
    else:
        raw_hits = rows
    hits = [shape_hit(pattern.id, h) for h in raw_hits]
    hits.sort(key=lambda h: (-h["score"], h["subject_id"], h["case_no"] or "", h["first_at"] or "", h["lead_id"]))
    res = PatternResult(pattern.id, jsonable_params(pattern, eff, as_of), hits, truncated=ctx.truncated,
                        notes=ctx.notes)
    if pattern.kind == "money":
        key = ("excluded_non_cny", as_of, subject_id)
        if key not in cache:
            cache[key] = excluded_non_cny(graph, as_of, timeout=t, subject_id=subject_id)
        res.excluded_non_cny = dict(cache[key])
    logger.info("pattern %s: %d rows, %d hits", pattern.id, len(rows), len(hits))
    return res
