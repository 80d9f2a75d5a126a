"""The freeze list (冻结/保全建议清单): for one debtor and case, the accounts and assets to freeze, up to
the unpaid amount, ordered by how directly the money reached them (docs/recovery.md).

Which lines (every amount from `investigations.flow.flow`, the one attribution rule):
- the debtor's own accounts: money that came back to them (round trips) or a known positive balance;
- accounts where traced money ends whose holder is related to the debtor (relation at the last
  inflow day, `investigations.related`): spouse, relatives, tied companies, ...;
- any other account only when money demonstrably sits there: a lead's transfer put it there, or a
  balance row dated on or after the last traced inflow shows a positive balance. So a merchant the
  debtor bought from never appears unless its balance says the money is still there;
- assets the debtor still holds on `as_of` (owned and not conveyed by then, or conveyed back), at
  their appraised value less the mortgages / pledges in force, with the asset's (and conveyance's) row;
- assets the debtor conveyed after litigation start, held now by a related party or named by a lead.

Order: own accounts, then the debtor's own assets, then hops (1 = paid directly by the debtor), then closeness of the relation,
then traced amount (largest first), then id. Proposed amount: traced amount, capped by the latest
balance when that balance is dated on or after the last inflow, 0 where a freeze / seizure is
already in force, allocated in that order until the unpaid amount (less what the investigation
recorded as deducted, paid or frozen) is used up. Same graph, case and `as_of` -> same list, same id.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Any, Iterable

from graph import Graph
from ingest.parse import format_fen

from .labels import NO_HOLD_KNOWN, OWN_ASSET, zh_map
from .flow import cases as subject_cases
from .flow import flow, restrictions, where_now
from .related import UNRELATED_CLOSENESS, Relatedness
from . import queries

logger = logging.getLogger(__name__)

# the line-kind words live in investigations/labels.py (one home, shared with the web catalogue)
KIND_ZH = zh_map("freeze_kind")
ASSET_KIND_ZH = zh_map("asset_kind")
BASIS_ZH = zh_map("freeze_basis")
RESTRICTION_ZH = zh_map("freeze_status")
#: rank of a line's basis in the order: own accounts, the debtor's own assets, then everything else
RANK = {"own": 0, "owned": 1}


CSV_COLUMNS = (
    ("no", "序号"), ("subject_id", "被执行人编号"), ("subject_name", "被执行人"), ("case_no", "案号"),
    ("as_of", "数据截止日"), ("kind_zh", "类别"), ("target", "账号/财产编号"), ("institution", "开户机构/财产类型"),
    ("holder_name", "户名/所有人"), ("holder_id", "持有人编号"), ("relation_zh", "与被执行人关系"),
    ("basis_zh", "列入依据"), ("hops", "资金层级"), ("last_in", "最后流入日期"), ("traced_yuan", "追踪金额(元)"),
    ("balance_yuan", "最新余额(元)"), ("balance_on", "余额日期"), ("balance_source", "余额来源"),
    ("status_zh", "冻结/查封状态"), ("proposed_yuan", "建议冻结金额(元)"), ("encumbrance_zh", "抵押/质押"),
    ("source_rows", "来源记录(文件:行)"), ("lead_ids", "依据线索编号"),
)


class FreezeListError(ValueError):
    """An unknown subject or a case that is not the subject's."""


def _d(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    return dt.date.fromisoformat(str(v)[:10])


def _support(leads: Iterable[dict], into: dict[str, str]) -> dict[str, list[str]]:
    """account id (or "asset-transfer:<id>") -> ids of the leads whose evidence put money (or the
    asset) there; `into` maps each traced transfer to the account it reached."""
    out: dict[str, set[str]] = {}
    for lead in leads:
        ev = lead.get("evidence") or {}
        for tid in ev.get("transfer_ids") or []:
            if tid in into:
                out.setdefault(into[tid], set()).add(lead["lead_id"])
        for row in ev.get("balance_rows") or []:
            out.setdefault(str(row).split("@", 1)[0], set()).add(lead["lead_id"])
        for at in ev.get("asset_transfer_ids") or []:
            out.setdefault(f"asset-transfer:{at}", set()).add(lead["lead_id"])
    return {k: sorted(v) for k, v in out.items()}


def freeze_list(graph: Graph, subject_id: str, case_no: str | None = None, as_of: dt.date | None = None,
                leads: list[dict] | None = None, recoveries: list[dict] | None = None,
                max_hops: int = 4, max_edges: int = 5000) -> dict:
    """The freeze list of `subject_id` (optionally one case) on `as_of` (default today).

    `leads`: lead dicts (the leads file's shape); default: `scan` restricted to the subject at `as_of`.
    `recoveries`: what an investigation recorded, dicts with kind (frozen/deducted/paid), target,
    amount_fen, case_no: deducted and paid lower the unpaid amount, frozen ones too and their
    target is marked as frozen. Raises FreezeListError for an unknown subject or a foreign case.
    """
    as_of = as_of or dt.date.today()
    all_cases = subject_cases(graph, subject_id)
    if case_no is not None:
        chosen = [c for c in all_cases if c["case_no"] == case_no]
        if not chosen:
            raise FreezeListError(f"case {case_no} is not a case of {subject_id}")
    else:
        chosen = [c for c in all_cases if (c["unpaid_fen"] or 0) > 0 and c["litigation_start"] is not None
                  and c["litigation_start"] <= as_of]
    starts = [c["litigation_start"] for c in chosen if c["litigation_start"] is not None]
    since = min(starts) if starts else None
    try:
        fl = flow(graph, subject_id, since=since, as_of=as_of, max_hops=max_hops, max_edges=max_edges)
    except KeyError as exc:
        raise FreezeListError(f"unknown subject {subject_id}") from exc
    if leads is None:
        from .scan import scan
        leads = scan(graph, as_of, subject_id=subject_id)["leads"]
    case_set = {c["case_no"] for c in chosen}
    leads = [x for x in leads if x.get("subject_id") == subject_id and (x.get("case_no") in case_set
                                                                          or x.get("case_no") is None)]
    recs = [r for r in (recoveries or []) if case_no is None or r.get("case_no") in (None, "", case_no)]
    graph_unpaid = sum(int(c["unpaid_fen"] or 0) for c in chosen)
    settled = sum(int(r["amount_fen"]) for r in recs if r.get("kind") in ("deducted", "paid"))
    frozen_rec = {}
    for r in recs:
        if r.get("kind") == "frozen" and r.get("target"):
            frozen_rec[r["target"]] = frozen_rec.get(r["target"], 0) + int(r["amount_fen"])
    unpaid = max(0, graph_unpaid - settled)
    support = _support(leads, fl["into"])

    lines: list[dict] = []
    for e in fl["returned_to"]:
        lines.append(_account_line(e, "own", 0, 1.0, e["amount_fen"], support))
    own_listed = {e["account_id"] for e in fl["returned_to"]}
    own_rest = [a for a in fl["accounts"] if a not in own_listed]
    if own_rest:
        for a, w in sorted(where_now(graph, own_rest, as_of).items()):
            if (w.get("balance_fen") or 0) > 0:
                e = {"account_id": a, "holder_id": subject_id, "holder_name": fl["subject_name"],
                     "institution": w.get("institution"), "relation": "the subject's own account",
                     "relation_zh": "被执行人本人账户", "last_in": None, "balance_fen": w["balance_fen"],
                     "balance_on": w["balance_on"].isoformat(), "balance_file": w["balance_file"],
                     "balance_row": w["balance_row"], "restrictions": w["restrictions"], "hops": 0}
                lines.append(_account_line(e, "own", 0, 1.0, 0, support))
    for e in fl["endpoints"]:
        related = e.get("closeness") is not None
        bal_ok = (e.get("balance_fen") or 0) > 0 and e.get("balance_on") and e.get("last_in") \
            and e["balance_on"] >= e["last_in"][:10]
        if related:
            basis = "related"
        elif support.get(e["account_id"]):
            basis = "lead"
        elif bal_ok:
            basis = "balance"
        else:
            continue
        lines.append(_account_line(e, basis, e.get("hops") or 1, e.get("closeness") or UNRELATED_CLOSENESS,
                                   e["amount_fen"], support))
    lines += _owned_lines(graph, subject_id, fl["subject_name"], as_of)
    lines += _asset_lines(graph, subject_id, since, as_of, support)

    lines.sort(key=lambda x: (x["rank"], x["hops"], -x["closeness"], -x["traced_fen"], x["target"]))
    remaining = max(0, unpaid - sum(frozen_rec.values()))
    for i, ln in enumerate(lines, 1):
        ln["no"] = i
        if ln["target"] in frozen_rec:
            ln["restrictions"].append({"kind": "recorded_frozen", "amount_fen": frozen_rec[ln["target"]]})
        cap = ln["traced_fen"]
        if ln["kind"] == "account" and ln["balance_fen"] is not None and (
                ln["last_in"] is None or (ln["balance_on"] or "") >= (ln["last_in"] or "")):
            cap = ln["balance_fen"] if ln["basis"] == "own" and cap == 0 else min(cap, ln["balance_fen"])
        if ln["kind"] == "asset":  # the secured creditors come first: what is left above their claims
            cap = max(0, cap - sum(int(e["amount_fen"] or 0) for e in ln["encumbrances"]))
        if ln["restrictions"]:
            cap = 0
        ln["proposed_fen"] = min(cap, remaining)
        remaining -= ln["proposed_fen"]
    body = {"subject_id": subject_id, "subject_name": fl["subject_name"], "case_no": case_no,
            "cases": [c["case_no"] for c in chosen], "as_of": as_of.isoformat(), "since": fl["since"],
            "graph_unpaid_fen": graph_unpaid, "recorded_settled_fen": settled,
            "recorded_frozen_fen": sum(frozen_rec.values()), "unpaid_fen": unpaid,
            "proposed_fen": sum(x["proposed_fen"] for x in lines), "lines": lines,
            "left_out": {"truncated": fl["truncated"], "not_followed": fl["not_followed"],
                         "max_hops": max_hops, "max_edges": max_edges},
            "lead_ids": sorted({x["lead_id"] for x in leads})}
    body["list_id"] = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
                                     .encode("utf-8")).hexdigest()[:16]
    return body


def _account_line(e: dict, basis: str, hops: int, closeness: float, traced: int,
                  support: dict[str, list[str]]) -> dict:
    src = f"{e.get('balance_file')}:{e.get('balance_row')}" if e.get("balance_file") else ""
    return {"kind": "account", "target": e["account_id"], "institution": e.get("institution"),
            "holder_id": e.get("holder_id"), "holder_name": e.get("holder_name"),
            "relation": e.get("relation"), "relation_zh": e.get("relation_zh"), "basis": basis,
            "rank": RANK.get(basis, 2), "hops": hops, "closeness": closeness, "traced_fen": int(traced),
            "last_in": e.get("last_in"), "balance_fen": e.get("balance_fen"), "balance_on": e.get("balance_on"),
            "balance_source": src, "restrictions": list(e.get("restrictions") or []), "encumbrances": [],
            "source_rows": _sources(src, holds=e.get("restrictions") or []), "lead_ids": support.get(e["account_id"], [])}


def _src(file: Any, row: Any) -> str:
    """`file:row` of a source row ('' when the graph has none)."""
    return f"{file}:{row}" if file else ""


def _sources(*refs: str, holds: Iterable[dict] = ()) -> list[str]:
    """The line's source rows: the given ones, then those of its measures / encumbrances, no blanks."""
    out = [r for r in refs if r] + [_src(h.get("src_file"), h.get("src_row")) for h in holds]
    return list(dict.fromkeys(r for r in out if r))


def _encumbrances(graph: Graph, asset_ids: list[str], as_of: dt.date) -> dict[str, list[dict]]:
    """asset id -> mortgages / pledges in force on `as_of` (registered by then, not released)."""
    out: dict[str, list[dict]] = {}
    if asset_ids:
        for r in graph.read(queries.Q_FREEZE_ENCUMBRANCES, {"ids": sorted(set(asset_ids)), "as_of": as_of}):
            out.setdefault(r["asset_id"], []).append(r)
    return out


def _owned_lines(graph: Graph, subject_id: str, subject_name: str | None, as_of: dt.date) -> list[dict]:
    """Assets the subject still holds on `as_of` (not conveyed away by then), at appraised value; the
    seizures and encumbrances in force on `as_of` come with them, and the rows that prove ownership."""
    rows = graph.read(queries.Q_FREEZE_OWNED, {"id": subject_id, "as_of": as_of})
    if not rows:
        return []
    ids = [r["asset_id"] for r in rows]
    held: dict[str, list[dict]] = {}
    for r in restrictions(graph, ids, as_of):
        held.setdefault(r["target"], []).append(r)
    enc = _encumbrances(graph, ids, as_of)
    out = []
    for r in rows:
        aid = r["asset_id"]
        got = _d(r["received_on"]) or _d(r["acquired_on"])
        out.append({"kind": "asset", "target": aid, "institution": r["asset_kind"],
                    "holder_id": subject_id, "holder_name": subject_name,
                    "relation": OWN_ASSET[1], "relation_zh": OWN_ASSET[0], "basis": "owned", "rank": RANK["owned"],
                    "hops": 0, "closeness": 1.0, "traced_fen": int(r["appraised_value_fen"] or 0),
                    "value_known": r["appraised_value_fen"] is not None,
                    "last_in": got.isoformat() if got else None, "balance_fen": None, "balance_on": None,
                    "balance_source": "", "restrictions": held.get(aid, []), "encumbrances": enc.get(aid, []),
                    "source_rows": _sources(_src(r["src_file"], r["src_row"]),
                                            _src(r["transfer_file"], r["transfer_row"]),
                                            holds=held.get(aid, []) + enc.get(aid, [])),
                    "lead_ids": [], "description": r["description"]})
    return out


def _asset_lines(graph: Graph, subject_id: str, since: dt.date | None, as_of: dt.date,
                 support: dict[str, list[str]]) -> list[dict]:
    """Assets the subject conveyed in [since, as_of], held now by a related party or named by a lead."""
    since = since or dt.date(1900, 1, 1)
    rows = graph.read(queries.Q_FREEZE_CONVEYED, {"id": subject_id, "since": since, "as_of": as_of})
    if not rows:
        return []
    rel = Relatedness(graph, [subject_id])
    held = {r["target"]: r for r in restrictions(graph, [r["asset_id"] for r in rows], as_of)}
    enc = _encumbrances(graph, [r["asset_id"] for r in rows], as_of)
    out = []
    for r in rows:
        if r["owner_id"] == subject_id:
            continue  # conveyed back: listed with the assets the subject holds
        tie = rel.tie(subject_id, r["owner_id"], _d(r["owner_since"]))
        lead_ids = support.get(f"asset-transfer:{r['transfer_id']}", [])
        if tie is None and not lead_ids:
            continue
        value = r["appraised_value_fen"] if r["appraised_value_fen"] is not None else (r["price_fen"] or 0)
        holds = [held[r["asset_id"]]] if r["asset_id"] in held else []
        out.append({"kind": "asset", "target": r["asset_id"], "institution": r["asset_kind"],
                    "holder_id": r["owner_id"], "holder_name": r["owner_name"],
                    "relation": tie.description_en if tie else "unrelated",
                    "relation_zh": tie.description_zh if tie else "无关联",
                    "basis": "asset", "rank": RANK.get("asset", 2), "hops": 1,
                    "closeness": tie.closeness if tie else UNRELATED_CLOSENESS,
                    "traced_fen": int(value), "last_in": r["on"].isoformat(), "balance_fen": None,
                    "balance_on": None, "balance_source": "", "restrictions": holds,
                    "encumbrances": enc.get(r["asset_id"], []),
                    "source_rows": _sources(_src(r["asset_file"], r["asset_row"]),
                                            _src(r["transfer_file"], r["transfer_row"]),
                                            holds=holds + enc.get(r["asset_id"], [])),
                    "lead_ids": lead_ids, "description": r["description"]})
    return out


def _yuan(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen, grouped=False)


def status_zh(line: dict) -> str:
    """The freeze / seizure (and mortgage / pledge) status of a line in Chinese ('' = none known)."""
    kinds = [r["kind"] for r in line["restrictions"]] + [e["kind"] for e in line.get("encumbrances") or []]
    return "、".join(dict.fromkeys(RESTRICTION_ZH.get(k, k) for k in kinds))


def encumbrance_zh(line: dict) -> str:
    """The mortgages / pledges in force on the line's asset: kind, secured amount, creditor, registration."""
    return "；".join(f"{RESTRICTION_ZH.get(e['kind'], e['kind'])} {_yuan(e['amount_fen']) or '金额不详'}元 "
                    f"权利人{e['holder_name'] or ''}({e['holder_id'] or ''}) {str(e['registered_on'])[:10]}登记"
                    for e in line.get("encumbrances") or [])


def csv_rows(fl: dict) -> list[list[str]]:
    """The list as rows of text (header first), the CSV's and the PDF table's content."""
    rows = [[zh for _k, zh in CSV_COLUMNS]]
    for ln in fl["lines"]:
        vals = {"no": str(ln["no"]), "subject_id": fl["subject_id"], "subject_name": fl["subject_name"] or "",
                "case_no": fl["case_no"] or "、".join(fl["cases"]), "as_of": fl["as_of"],
                "kind_zh": KIND_ZH[ln["kind"]], "target": ln["target"], "institution": (ASSET_KIND_ZH.get(ln["institution"] or "", ln["institution"] or "")
                                if ln["kind"] == "asset" else ln["institution"] or ""),
                "holder_name": ln["holder_name"] or "", "holder_id": ln["holder_id"] or "",
                "relation_zh": ln["relation_zh"] or "", "basis_zh": BASIS_ZH[ln["basis"]],
                "hops": str(ln["hops"]), "last_in": (ln["last_in"] or "")[:10],
                "traced_yuan": _yuan(ln["traced_fen"]), "balance_yuan": _yuan(ln["balance_fen"]),
                "balance_on": ln["balance_on"] or "", "balance_source": ln["balance_source"],
                "status_zh": status_zh(ln) or NO_HOLD_KNOWN[0], "proposed_yuan": _yuan(ln["proposed_fen"]),
                "lead_ids": " ".join(ln["lead_ids"]), "encumbrance_zh": encumbrance_zh(ln),
                "source_rows": " ".join(ln.get("source_rows") or [])}
        rows.append([vals[k] for k, _zh in CSV_COLUMNS])
    return rows


def to_csv_bytes(fl: dict) -> bytes:
    """UTF-8 with BOM (Excel opens it as Chinese), CRLF rows."""
    buf = io.StringIO()
    csv.writer(buf).writerows(csv_rows(fl))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_csv(fl: dict, path: Path) -> Path:
    path = Path(path)
    path.write_bytes(to_csv_bytes(fl))
    return path


def download_name(fl: dict, ext: str) -> str:
    """冻结保全建议清单_<subject>_<as_of>_<list id>.<ext>"""
    import re
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f\s]+', "_", fl["subject_id"]).strip("._") or "subject"
    return f"冻结保全建议清单_{safe[:60]}_{fl['as_of']}_{fl['list_id']}.{ext}"
