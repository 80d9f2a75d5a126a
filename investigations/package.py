"""Evidence packages for criminal referral (Criminal Law art. 313): what a prosecutor receives.

A package for one subject holds a Chinese PDF dossier, a CSV of every evidence record, an
offline interactive network (HTML), the subject's leads (JSON) and a manifest with the
SHA-256 of every file, zipped. Everything in it is computed from the graph, the detection
patterns and the parameters given (as-of date included), so the same data and parameters
give byte-identical files: ordering is stable, the PDF is written in ReportLab's invariant
mode, zip entries carry a fixed date, and the one time-dependent value, the generation time,
is a single field of manifest.json. See docs/evidence-package.md.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import getpass
import hashlib
import html
import io
import json
import logging
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from graph import Graph
from ingest.parse import format_fen

from . import subject as S
from .leads import stage as case_stage
from .patterns import PATTERN_IDS
from .pointintime import unpaid_at
from .scan import TOOL_VERSION, scan

logger = logging.getLogger(__name__)

PACKAGE_FORMAT = "evidence-package/1"
#: Fixed timestamp of every zip entry (the zip format's epoch), so the zip is reproducible.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: Nodes in the interactive network (positions precomputed, physics off) and in the PDF figure.
MAX_HTML_NODES = 1000
MAX_FIGURE_NODES = 150
#: Above this many nodes the network is laid out in rings instead of by springs.
SPRING_MAX_NODES = 400
ROOT = Path(__file__).resolve().parent.parent
CLI_AUDIT_LOG = ROOT / "var" / "audit-cli.jsonl"

AuditFn = Callable[[str, dict], None]

# Transfers cited by a lead that are not the subject's own (hops of a layered chain or round
# trip): looked up by id, with both ends' holders and provenance. Bounded by the id list.
Q_TRANSFERS_BY_ID = """
UNWIND $ids AS tid
MATCH (a:Account)-[t:TRANSFER {transfer_id: tid}]->(b:Account)
OPTIONAL MATCH (ha)-[:HOLDS]->(a)
OPTIONAL MATCH (hb)-[:HOLDS]->(b)
RETURN t.transfer_id AS transfer_id, t.at AS at, t.on AS on, t.amount_fen AS amount_fen,
       coalesce(t.at_has_time, true) AS has_time,
       coalesce(t.currency, 'CNY') AS currency, t.from_name AS from_name, t.to_name AS to_name,
       a.account_id AS from_account, b.account_id AS to_account,
       coalesce(ha.person_id, ha.company_id) AS from_holder_id, ha.name AS from_holder_name,
       coalesce(hb.person_id, hb.company_id) AS to_holder_id, hb.name AS to_holder_name,
       t.src_file AS src_file, t.src_row AS src_row, t.load_id AS load_id
ORDER BY t.at, t.transfer_id
LIMIT 100000
"""

Q_CONVEYANCES_BY_ID = """
UNWIND $ids AS xid
MATCH (x:AssetTransfer {transfer_id: xid})-[:OF_ASSET]->(s:Asset)
OPTIONAL MATCH (f)-[:CONVEYED]->(x)
OPTIONAL MATCH (x)-[:CONVEYED_TO]->(r)
RETURN x.transfer_id AS transfer_id, x.on AS on, coalesce(x.price_fen, 0) AS price_fen,
       s.asset_id AS asset_id, s.kind AS asset_kind, s.description AS asset_description,
       s.appraised_value_fen AS appraised_value_fen, x.from_id AS from_id, f.name AS from_name,
       x.to_id AS to_id, r.name AS to_name, x.src_file AS src_file, x.src_row AS src_row,
       x.load_id AS load_id
ORDER BY x.on, x.transfer_id
LIMIT 100000
"""

Q_BALANCES = """
UNWIND $keys AS k
MATCH (a:Account {account_id: k.account_id})-[:HAS_BALANCE]->(b:Balance)
WHERE b.as_of = k.as_of
RETURN a.account_id AS account_id, b.as_of AS as_of, b.balance_fen AS balance_fen,
       a.holder_id AS holder_id, b.src_file AS src_file, b.src_row AS src_row, b.load_id AS load_id
ORDER BY account_id, as_of
LIMIT 100000
"""

RELATION_ZH = {
    "spouse": "配偶", "former_spouse": "前配偶", "parent": "父母", "child": "子女", "sibling": "兄弟姐妹",
    "relative": "其他亲属", "associate": "关联人", "self": "本人账户", "related_role": "关系人任职/持股的企业",
}
ROLE_ZH = {"legal_rep": "法定代表人", "shareholder": "股东", "officer": "高管", "supervisor": "监事"}
DIRECTION_ZH = {"out": "转出", "in": "转入", "internal": "本人账户间"}
KIND_ZH = {"case": "案件", "transfer": "资金转账", "asset_transfer": "财产转移", "balance": "账户余额"}
CASE_KIND_ZH = {"criminal_fine": "罚金", "confiscation": "没收财产", "restitution": "退赔",
                "civil_enforcement": "民事执行"}
STAGE_ZH = {"before_judgment": "判决生效前", "after_judgment": "判决生效后", "in_enforcement": "执行中"}
ASSET_KIND_ZH = {"real_estate": "不动产", "vehicle": "车辆", "equity": "股权", "other": "其他"}

#: evidence.csv columns: (header, record key). Headers are Chinese; docs/evidence-package.md
#: gives the English meaning of each.
CSV_COLUMNS = (
    ("记录类型", "kind_zh"), ("编号", "id"), ("日期", "date"), ("时间", "time"), ("方向", "direction_zh"),
    ("转出方", "from"), ("转入方", "to"), ("对方编号", "counterparty_id"), ("对方名称", "counterparty_name"),
    ("与被调查人关系", "relation_zh"), ("财产编号", "asset_id"), ("金额", "amount"), ("金额（分）", "amount_fen"),
    ("币种", "currency"), ("评估价值", "appraised"), ("诉讼开始后", "after_start_zh"),
    ("引用模式", "patterns_text"), ("来源文件", "src_file"), ("来源行", "src_row"), ("导入批次", "load_id"),
)


class PackageError(RuntimeError):
    """A package that cannot be built (unknown subject or case, missing font); the message says why."""


@dataclass
class PackageResult:
    """What build_package wrote: the zip, the PDF, the manifest and every file's SHA-256."""

    package_id: str
    out_dir: Path
    zip_path: Path
    pdf_path: Path
    manifest: dict
    files: dict[str, str]
    zip_sha256: str
    paths: dict[str, Path] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
def fen_text(fen: int | None, symbol: str = "") -> str:
    """Integer fen as yuan text with two decimals and thousands separators (integer arithmetic)."""
    return "" if fen is None else format_fen(fen, symbol)


def fen_plain(fen: int | None) -> str:
    """Integer fen as a plain decimal (1234.50) for the CSV: exact, no separators."""
    return "" if fen is None else format_fen(fen, grouped=False)


def relation_zh(code: str | None, subject_kind: str = "person") -> str:
    """The counterparty's relation to the subject, in Chinese."""
    if code is None:
        return "无已知关系"
    if code.startswith("role:"):
        role = ROLE_ZH.get(code[5:], code[5:])
        return f"本人任{role}的企业" if subject_kind == "person" else f"在本企业任{role}"
    return RELATION_ZH.get(code, code)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _iso(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def _json_bytes(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, UTF-8, fixed indentation, trailing newline."""
    return (json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1, default=_iso) + "\n").encode("utf-8")


def _safe_name(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", s)[:80] or "subject"


# --------------------------------------------------------------------------------------------
def _all_transfers(graph: Graph, sid: str, until: dt.date) -> list[dict]:
    """Every transfer of the subject up to `until`, however many: pages S.transfers by day."""
    out: list[dict] = []
    seen: set[str] = set()
    since: dt.date | None = None
    while True:
        rows = S.transfers(graph, sid, since=since, until=until)
        new = [r for r in rows if r["transfer_id"] not in seen]
        out.extend(new)
        seen.update(r["transfer_id"] for r in new)
        if len(rows) < S.MAX_TRANSFERS:
            break
        nxt = rows[-1]["on"]
        if nxt == since or not new:
            raise PackageError(f"{sid}: more than {S.MAX_TRANSFERS} transfers on {nxt}; cannot page further")
        since = nxt
    out.sort(key=lambda r: (r["at"] or dt.datetime.min, r["transfer_id"]))
    return out


def _leads_for(graph: Graph, sid: str, case_no: str | None, as_of: dt.date,
               params: dict | None) -> tuple[list[dict], dict | None, dict]:
    """The subject's leads from a scan with these parameters, restricted to the subject
    (same leads and scores as in the full leads file; tests/test_scan.py checks that)."""
    res = scan(graph, as_of=as_of, params=params, subject_id=sid)
    leads = [x for x in res["leads"] if x["subject_id"] == sid and (case_no is None or x["case_no"] == case_no)]
    order = {p: i for i, p in enumerate(PATTERN_IDS)}
    leads.sort(key=lambda x: (order.get(x["pattern"], 99), x["case_no"] or "", x["first_at"] or "", x["lead_id"]))
    summary = next((s for s in res["subjects"] if s["subject_id"] == sid), None)
    return leads, summary, res["parameters"]


def _time_text(at: Any, has_time: bool | None = None) -> str:
    """The time of day a statement gave (a real 00:00:00 included); '' when only the date was given."""
    if not isinstance(at, dt.datetime):
        return ""
    if has_time is None:  # a row without the flag: midnight is taken as date only
        has_time = (at.hour, at.minute, at.second) != (0, 0, 0)
    return at.strftime("%H:%M:%S") if has_time else ""


def gather(graph: Graph, subject_id: str, case_no: str | None = None, as_of: dt.date | None = None,
           params: dict | None = None) -> dict:
    """Everything a package shows, as plain data (no files): profile, cases, leads, records, summary."""
    as_of = as_of or dt.date.today()
    prof = S.profile(graph, subject_id)
    if prof is None:
        raise PackageError(f"unknown subject: {subject_id!r} is neither a person nor a company in the graph")
    kind = prof["kind"]
    cases = prof["cases"]
    for c in cases:  # as known at as_of, so a rebuild after a newer load gives the same figures
        c["unpaid_fen"] = unpaid_at(c, as_of)
        c["open"] = c["unpaid_fen"] > 0
    if case_no is not None and case_no not in {c["case_no"] for c in cases}:
        raise PackageError(f"case {case_no!r} is not a case of subject {subject_id!r} "
                           f"(its cases: {', '.join(c['case_no'] for c in cases) or 'none'})")
    shown_cases = [c for c in cases if case_no is None or c["case_no"] == case_no]
    for c in shown_cases:
        c["stage_as_of"] = case_stage(c, as_of)
    open_cases = [c for c in shown_cases if c["open"]]
    starts = [c.get("litigation_start") for c in (open_cases or shown_cases) if c.get("litigation_start")]
    lit_start = min(starts) if starts else None

    leads, summary, parameters = _leads_for(graph, subject_id, case_no, as_of, params)
    cites: dict[tuple[str, str], set[str]] = {}
    for x in leads:
        ev = x["evidence"]
        for t in ev.get("transfer_ids", []):
            cites.setdefault(("transfer", t), set()).add(x["pattern"])
        for a in ev.get("asset_transfer_ids", []):
            cites.setdefault(("asset_transfer", a), set()).add(x["pattern"])
        for b in ev.get("balance_rows", []):
            cites.setdefault(("balance", b), set()).add(x["pattern"])

    def after(day: dt.date | None) -> bool | None:
        if lit_start is None or day is None:
            return None
        return day >= lit_start

    records: list[dict] = []
    for c in shown_cases:
        records.append({
            "kind": "case", "id": c["case_no"], "date": _iso(c.get("litigation_start")), "time": "",
            "direction": "", "from": "", "to": "", "counterparty_id": "", "counterparty_name": "",
            "relation": None, "asset_id": "", "amount_fen": c.get("amount_due_fen"), "currency": "CNY",
            "appraised_fen": None, "after_start": None, "patterns": sorted({x["pattern"] for x in leads
                                                                            if x["case_no"] == c["case_no"]}),
            "src_file": c.get("src_file"), "src_row": c.get("src_row"), "load_id": c.get("load_id"),
        })
    transfers = _all_transfers(graph, subject_id, as_of)
    seen_t = set()
    for t in transfers:
        seen_t.add(t["transfer_id"])
        out = t["direction"] in ("out", "internal")
        records.append({
            "kind": "transfer", "id": t["transfer_id"], "date": _iso(t["on"]),
            "time": _time_text(t["at"], t.get("at_has_time")),
            "direction": t["direction"],
            "from": t["account_id"] if out else t["counterparty_account"],
            "to": t["counterparty_account"] if out else t["account_id"],
            "counterparty_id": t["counterparty_holder_id"] or "",
            "counterparty_name": t["counterparty_name"] or "",
            "counterparty_account": t["counterparty_account"],
            "relation": t["relation"], "asset_id": "", "amount_fen": t["amount_fen"], "currency": t["currency"],
            "appraised_fen": None, "after_start": after(t["on"]),
            "patterns": sorted(cites.get(("transfer", t["transfer_id"]), ())),
            "src_file": t["src_file"], "src_row": t["src_row"], "load_id": t["load_id"],
        })
    # Transfers a lead cites that are not the subject's own (hops further down a chain).
    extra = sorted(tid for (k, tid) in cites if k == "transfer" and tid not in seen_t)
    if extra:
        for t in graph.read(Q_TRANSFERS_BY_ID, {"ids": extra}):
            records.append({
                "kind": "transfer", "id": t["transfer_id"], "date": _iso(t["on"]), "time": _time_text(t["at"], t.get("has_time")),
                "direction": "chain",
                "from": t["from_account"], "to": t["to_account"],
                "counterparty_id": t["to_holder_id"] or "",
                "counterparty_name": t["to_holder_name"] or t["to_name"] or "",
                "counterparty_account": t["to_account"], "from_holder_id": t["from_holder_id"],
                "relation": "chain", "asset_id": "", "amount_fen": t["amount_fen"], "currency": t["currency"],
                "appraised_fen": None, "after_start": after(t["on"]),
                "patterns": sorted(cites.get(("transfer", t["transfer_id"]), ())),
                "src_file": t["src_file"], "src_row": t["src_row"], "load_id": t["load_id"],
            })
    convs = [c for c in S.conveyances(graph, subject_id) if c["on"] is None or c["on"] <= as_of]
    seen_a = {c["transfer_id"] for c in convs}
    extra_a = sorted(aid for (k, aid) in cites if k == "asset_transfer" and aid not in seen_a)
    if extra_a:
        for c in graph.read(Q_CONVEYANCES_BY_ID, {"ids": extra_a}):
            convs.append({**c, "direction": "other", "counterparty_id": c["to_id"], "counterparty_name": c["to_name"],
                          "relation": "chain"})
    for c in convs:
        records.append({
            "kind": "asset_transfer", "id": c["transfer_id"], "date": _iso(c["on"]), "time": "",
            "direction": c["direction"], "from": c["from_id"] or "", "to": c["to_id"] or "",
            "from_name": c.get("from_name") or "", "to_name": c.get("to_name") or "",
            "counterparty_id": c.get("counterparty_id") or "", "counterparty_name": c.get("counterparty_name") or "",
            "relation": c.get("relation"), "asset_id": c["asset_id"], "asset_kind": c.get("asset_kind"),
            "asset_description": c.get("asset_description"),
            "amount_fen": c["price_fen"], "currency": "CNY", "appraised_fen": c.get("appraised_value_fen"),
            "after_start": after(c["on"]),
            "patterns": sorted(cites.get(("asset_transfer", c["transfer_id"]), ())),
            "src_file": c["src_file"], "src_row": c["src_row"], "load_id": c["load_id"],
        })
    bal_keys = []
    for (k, key) in cites:
        if k == "balance" and "@" in key:
            acct, day = key.rsplit("@", 1)
            try:
                bal_keys.append({"account_id": acct, "as_of": dt.date.fromisoformat(day)})
            except ValueError:
                logger.warning("unreadable balance row id %r", key)
    if bal_keys:
        bal_keys.sort(key=lambda b: (b["account_id"], b["as_of"]))
        for b in graph.read(Q_BALANCES, {"keys": bal_keys}):
            key = f'{b["account_id"]}@{b["as_of"].isoformat()}'
            records.append({
                "kind": "balance", "id": key, "date": _iso(b["as_of"]), "time": "", "direction": "",
                "from": "", "to": b["account_id"], "counterparty_id": "", "counterparty_name": "",
                "relation": "self", "asset_id": "", "amount_fen": b["balance_fen"], "currency": "CNY",
                "appraised_fen": None, "after_start": None, "patterns": sorted(cites.get(("balance", key), ())),
                "src_file": b["src_file"], "src_row": b["src_row"], "load_id": b["load_id"],
            })
    kind_order = {"case": 0, "transfer": 1, "asset_transfer": 2, "balance": 3}
    records.sort(key=lambda r: (kind_order[r["kind"]], r["date"], r["time"], r["id"]))
    for r in records:
        _finish_record(r, kind)

    return {
        "subject_id": subject_id, "kind": kind, "profile": prof, "cases": shown_cases, "all_cases": cases,
        "case_no": case_no, "as_of": as_of, "litigation_start": lit_start, "leads": leads, "summary": summary,
        "parameters": parameters, "records": records,
        "moved": money_moved(records, shown_cases, as_of),
        "load_ids": sorted({r["load_id"] for r in records if r.get("load_id")}
                           | {prof["props"].get("load_id")} - {None}),
    }


def _finish_record(r: dict, subject_kind: str) -> None:
    """The CSV / table text fields of a record."""
    r["kind_zh"] = KIND_ZH[r["kind"]]
    r["direction_zh"] = {"chain": "链路中转", "other": "其他"}.get(r["direction"], DIRECTION_ZH.get(r["direction"], ""))
    if r["kind"] == "case":
        r["relation_zh"] = ""
    elif r["relation"] == "chain":
        r["relation_zh"] = "资金链路下游（非本人账户）"
    else:
        r["relation_zh"] = relation_zh(r["relation"], subject_kind)
    r["amount"] = fen_plain(r["amount_fen"])
    r["appraised"] = fen_plain(r["appraised_fen"])
    r["after_start_zh"] = {True: "是", False: "否", None: ""}[r["after_start"]]
    r["patterns_text"] = ";".join(r["patterns"])
    r["src_row"] = "" if r.get("src_row") is None else r["src_row"]
    r["src_file"] = r.get("src_file") or ""
    r["load_id"] = r.get("load_id") or ""


def money_moved(records: list[dict], cases: list[dict], as_of: dt.date) -> dict:
    """Money that left the subject after litigation start, per open case and overall (each transfer once).

    Outgoing CNY transfers to accounts that are not the subject's own, on or after the case's
    litigation start and not after as_of; conveyances by the value they cost the subject
    (appraisal minus price when selling, price minus appraisal when buying).
    """
    outs = [r for r in records if r["kind"] == "transfer" and r["direction"] == "out" and r["currency"] == "CNY"]
    convs = [r for r in records if r["kind"] == "asset_transfer" and r["direction"] in ("out", "in")]
    rows = []
    for c in cases:
        start = c.get("litigation_start")
        if start is None or not c["open"]:
            continue
        s = start.isoformat()
        ts = [r for r in outs if s <= r["date"] <= as_of.isoformat()]
        cs = [r for r in convs if s <= r["date"] <= as_of.isoformat()]
        rows.append(_moved_row(c["case_no"], start, c["unpaid_fen"], ts, cs))
    total = None
    if rows:
        start = min(r["start"] for r in rows)
        s = start.isoformat()
        ts = [r for r in outs if s <= r["date"] <= as_of.isoformat()]
        cs = [r for r in convs if s <= r["date"] <= as_of.isoformat()]
        unpaid = sum(c["unpaid_fen"] for c in cases if c["open"])
        total = _moved_row("合计（最早诉讼开始日起，每笔只计一次）", start, unpaid, ts, cs)
    return {"cases": rows, "total": total}


def _value_lost(r: dict) -> int:
    """Value that left the subject in a conveyance: appraisal minus price when the subject
    conveyed, price minus appraisal when it bought; 0 without appraisal or when it gained."""
    if r["appraised_fen"] is None:
        return 0
    diff = r["appraised_fen"] - r["amount_fen"] if r["direction"] == "out" else r["amount_fen"] - r["appraised_fen"]
    return max(0, diff)


def _moved_row(label: str, start: dt.date, unpaid: int, ts: list[dict], cs: list[dict]) -> dict:
    ids = {r["id"] for r in ts}
    assert len(ids) == len(ts), "a transfer counted twice"
    out_fen = sum(r["amount_fen"] for r in ts)
    related = sum(r["amount_fen"] for r in ts if r["relation"] not in (None, "self"))
    cited = sum(r["amount_fen"] for r in ts if r["patterns"])
    conv = sum(_value_lost(r) for r in cs)
    return {"case_no": label, "start": start, "unpaid_fen": unpaid, "transfers": len(ts), "out_fen": out_fen,
            "related_fen": related, "cited_fen": cited, "conveyances": len(cs), "conveyed_loss_fen": conv,
            "share_permille": (out_fen * 1000 // unpaid) if unpaid > 0 else None}


# --------------------------------------------------------------------------------------------
def evidence_csv(records: list[dict]) -> bytes:
    """evidence.csv: UTF-8 with BOM (Excel opens it as UTF-8), CRLF rows, one row per record."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h for h, _ in CSV_COLUMNS])
    for r in records:
        w.writerow(["" if r.get(k) is None else r.get(k) for _, k in CSV_COLUMNS])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def leads_json(data: dict) -> bytes:
    summary = data["summary"]
    return _json_bytes({
        "package_format": PACKAGE_FORMAT, "tool_version": TOOL_VERSION,
        "subject_id": data["subject_id"], "subject_name": data["profile"].get("name"),
        "case_no": data["case_no"], "as_of": data["as_of"].isoformat(), "parameters": data["parameters"],
        "subject": summary, "leads": data["leads"],
    })


# --------------------------------------------------------------------------------------------
def evidence_network(data: dict, max_nodes: int) -> dict:
    """The network of the evidence records: subject, accounts, counterparties, assets; capped.

    Transfers are aggregated per account pair. Nodes beyond `max_nodes` (the smallest flows)
    are left out and counted in `more`.
    """
    prof = data["profile"]
    sid = data["subject_id"]
    nodes: dict[str, dict] = {}
    edges: dict[str, dict] = {}
    weight: dict[str, int] = {}

    def node(nid: str, kind: str, label: str, title: str, w: int = 0) -> None:
        if nid not in nodes:
            nodes[nid] = {"id": nid, "kind": kind, "label": label, "title": title}
        weight[nid] = weight.get(nid, 0) + w

    def ent(eid: str | None, name: str | None) -> str | None:
        if not eid:
            return None
        nid = "e:" + eid
        node(nid, "entity", name or eid, f"{name or ''} {eid}".strip())
        return nid

    subj = "e:" + sid
    node(subj, "subject", prof.get("name") or sid, f"被调查人 {prof.get('name') or ''} {sid}", 1 << 60)
    for a in prof["accounts"]:
        node("a:" + a["account_id"], "own_account", "本人账户 …" + a["account_id"][-6:],
             f"本人账户 {a['account_id']} {a.get('institution') or ''}", 1 << 59)
        edges["h:" + a["account_id"]] = {"from": subj, "to": "a:" + a["account_id"], "kind": "holds", "label": ""}
    for r in prof.get("relations", []):
        o = ent(r["other_id"], r["other_name"])
        edges[f"r:{r['other_id']}:{r['relation_to_subject']}"] = {
            "from": subj, "to": o, "kind": "related", "label": relation_zh(r["relation_to_subject"])}
    own = {a["account_id"] for a in prof["accounts"]}
    agg: dict[tuple[str, str], dict] = {}
    for r in data["records"]:
        if r["kind"] == "transfer":
            for acct in (r["from"], r["to"]):
                if acct and acct not in own:
                    node("a:" + acct, "account", "…" + acct[-6:], f"账户 {acct}")
            e = agg.setdefault((r["from"], r["to"]), {"n": 0, "fen": 0, "cited": False})
            e["n"] += 1
            if r["currency"] == "CNY":
                e["fen"] += r["amount_fen"]
            e["cited"] = e["cited"] or bool(r["patterns"])
            cp_acct = r.get("counterparty_account")
            if cp_acct and not r.get("counterparty_id") and r.get("counterparty_name") and cp_acct not in own:
                nodes["a:" + cp_acct]["title"] = f"账户 {cp_acct}（流水户名：{r['counterparty_name']}，户主不明）"
            if cp_acct and r.get("counterparty_id") and cp_acct not in own:
                h = ent(r["counterparty_id"], r["counterparty_name"])
                edges["h:" + cp_acct] = {"from": h, "to": "a:" + cp_acct, "kind": "holds", "label": ""}
            if r.get("from_holder_id") and r["from"] not in own:
                h = ent(r["from_holder_id"], None)
                edges["h:" + r["from"]] = {"from": h, "to": "a:" + r["from"], "kind": "holds", "label": ""}
        elif r["kind"] == "asset_transfer":
            sn = "s:" + r["asset_id"]
            node(sn, "asset", (r.get("asset_description") or r["asset_id"])[:12],
                 f"财产 {r['asset_id']} {r.get('asset_description') or ''}", r["appraised_fen"] or r["amount_fen"])
            f = ent(r["from"], r.get("from_name"))
            t = ent(r["to"], r.get("to_name"))
            edges["c:" + r["id"]] = {"from": f, "to": sn, "kind": "conveyed", "label": r["date"],
                                     "cited": bool(r["patterns"])}
            edges["ct:" + r["id"]] = {"from": sn, "to": t, "kind": "conveyed_to", "label": r["date"],
                                      "cited": bool(r["patterns"])}
        elif r["kind"] == "balance":
            node("a:" + r["to"], "own_account", "本人账户 …" + r["to"][-6:], f"本人账户 {r['to']}", 1 << 59)
    for (src, dst), e in agg.items():
        for acct in (src, dst):
            weight["a:" + acct] = weight.get("a:" + acct, 0) + e["fen"]
        edges[f"t:{src}>{dst}"] = {"from": "a:" + src, "to": "a:" + dst, "kind": "transfer", "count": e["n"],
                                   "amount_fen": e["fen"], "cited": e["cited"],
                                   "label": f"{e['n']}笔 ¥{fen_text(e['fen'])}"}
    # holders weigh as much as their accounts
    for e in edges.values():
        if e["kind"] == "holds" and e["from"]:
            weight[e["from"]] = max(weight.get(e["from"], 0), weight.get(e["to"], 0))
    ranked = sorted(nodes, key=lambda n: (-weight.get(n, 0), n))
    keep = set(ranked[:max_nodes])
    kept_nodes = [dict(nodes[n], weight=weight.get(n, 0)) for n in sorted(keep)]
    kept_edges = []
    for eid in sorted(edges):
        e = edges[eid]
        if e["from"] in keep and e["to"] in keep:
            kept_edges.append(dict(e, id=eid))
    return {"nodes": kept_nodes, "edges": kept_edges, "more": len(nodes) - len(keep), "total": len(nodes)}


def layout(net: dict, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Deterministic positions (spring layout with a fixed seed, rounded)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(n["id"] for n in net["nodes"])
    g.add_edges_from((e["from"], e["to"]) for e in net["edges"])
    if len(g) == 0:
        return {}
    if len(g) <= SPRING_MAX_NODES:
        k = 1.5 / max(1, len(g)) ** 0.5
        pos = nx.spring_layout(g, seed=seed, k=k, iterations=100, method="force")
    else:
        # big views: rings by kind (subject and own accounts inside), heaviest first; no scipy needed
        kinds = {n["id"]: n["kind"] for n in net["nodes"]}
        order = [n["id"] for n in sorted(net["nodes"], key=lambda n: (-n.get("weight", 0), n["id"]))]
        rings = [[n for n in order if kinds[n] in ("subject", "own_account")],
                 [n for n in order if kinds[n] in ("entity", "asset")],
                 [n for n in order if kinds[n] == "account"]]
        pos = nx.shell_layout(g, nlist=[r for r in rings if r])
    return {n: (round(float(x), 4), round(float(y), 4)) for n, (x, y) in pos.items()}


_NODE_STYLE = {
    "subject": {"color": "#c0392b", "shape": "star", "size": 28},
    "own_account": {"color": "#e67e22", "shape": "box", "size": 14},
    "entity": {"color": "#2980b9", "shape": "dot", "size": 16},
    "account": {"color": "#95a5a6", "shape": "box", "size": 10},
    "asset": {"color": "#8e44ad", "shape": "diamond", "size": 16},
}


_LEGEND = ('<span style="color:#c0392b">★ 被调查人</span><span style="color:#e67e22">■ 本人账户</span>'
           '<span style="color:#2980b9">● 人员/企业</span><span style="color:#7f8c8d">■ 其他账户</span>'
           '<span style="color:#8e44ad">◆ 财产</span><span style="color:#c0392b">— 红色粗线：被检测模式引用</span>')


def _script_json(obj: Any) -> str:
    """JSON safe to embed in a <script>: <, >, & and line separators escaped."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def vis_assets() -> tuple[str, str]:
    """vis-network 9.1.2 JS and CSS from the pyvis wheel (inlined: the HTML works offline)."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    # the bundle must not be able to close our script / style element early
    js = js.replace("</script", "<\\/script")
    css = css.replace("</style", "<\\/style")
    return js, css


def network_html(data: dict, package_id: str) -> bytes:
    """The offline interactive network: vis-network inlined, data embedded as escaped JSON."""
    net = evidence_network(data, MAX_HTML_NODES)
    pos = layout(net)
    vnodes = []
    scale = 300 * max(1.0, (len(net["nodes"]) ** 0.5) / 4)  # ~ a readable zoom when the view fits
    for n in net["nodes"]:
        st = _NODE_STYLE[n["kind"]]
        x, y = pos.get(n["id"], (0.0, 0.0))
        vnodes.append({"id": n["id"], "label": n["label"], "title": n["title"], "color": st["color"],
                       "shape": st["shape"], "size": st["size"], "x": round(x * scale), "y": round(-y * scale),
                       "font": {"size": 13}})
    vedges = []
    for e in net["edges"]:
        d = {"id": e["id"], "from": e["from"], "to": e["to"], "arrows": "to" if e["kind"] != "related" else "",
             "label": e.get("label", ""), "title": e.get("label", ""),
             "color": {"color": "#c0392b" if e.get("cited") else "#7f8c8d"},
             "dashes": e["kind"] in ("related", "holds"), "width": 3 if e.get("cited") else 1}
        vedges.append(d)
    js, css = vis_assets()
    name = data["profile"].get("name") or data["subject_id"]
    note = (f"另有 {net['more']} 个节点未显示（按资金量保留前 {MAX_HTML_NODES} 个）。" if net["more"] else "")
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>资金与财产关系网络 {html.escape(name)}（{html.escape(data['subject_id'])}）</title>
<style>{css}</style>
<style>
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 0; }}
header {{ padding: 8px 12px; border-bottom: 1px solid #ccc; font-size: 14px; }}
#net {{ width: 100%; height: calc(100vh - 90px); }}
.legend span {{ margin-right: 14px; }}
</style>
</head>
<body>
<header>
<div><b>资金与财产关系网络</b>：{html.escape(name)}（{html.escape(data['subject_id'])}），
数据截止 {data['as_of'].isoformat()}，证据包 {html.escape(package_id)}</div>
<div class="legend">{_LEGEND} {html.escape(note)}</div>
</header>
<div id="net"></div>
<script>{js}</script>
<script>
var nodes = new vis.DataSet({_script_json(vnodes)});
var edges = new vis.DataSet({_script_json(vedges)});
new vis.Network(document.getElementById("net"), {{nodes: nodes, edges: edges}},
  {{physics: false, interaction: {{hover: true, navigationButtons: false}},
    nodes: {{scaling: {{label: {{drawThreshold: 3}}}}}},
    edges: {{smooth: false, font: {{size: 10, align: "top"}}}}}});
</script>
</body>
</html>
"""
    return page.encode("utf-8")


# --------------------------------------------------------------------------------------------
def _write_zip(zip_path: Path, files: list[tuple[str, Path]]) -> None:
    """A zip whose bytes depend only on the files' contents (fixed dates, order, attributes)."""
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, path.read_bytes(), compresslevel=6)
    tmp.replace(zip_path)


def build_package(graph: Graph, subject_id: str, out_dir: Path, case_no: str | None = None,
                  as_of: dt.date | None = None, investigator: str = "", notes: list[dict] | None = None,
                  params: dict | None = None, audit: AuditFn | None = None) -> PackageResult:
    """Build the evidence package of one subject into `out_dir` and return what was written.

    `params` maps pattern id to overrides (CLI / UI units), as for `investigations.scan`;
    `notes` are the investigator's notes ({"author", "at", "text"}, shown in order); `audit`
    is called once with ("package.generate", details) after the package is complete.
    """
    from .package_pdf import render_pdf  # matplotlib / reportlab only when a package is built

    as_of = as_of or dt.date.today()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = gather(graph, subject_id, case_no, as_of, params)
    notes = [dict(n) for n in (notes or [])]

    csv_b = evidence_csv(data["records"])
    leads_b = leads_json(data)
    ident = hashlib.sha256(_json_bytes({
        "subject": subject_id, "case": case_no, "as_of": as_of.isoformat(), "investigator": investigator,
        "notes": notes, "csv": hashlib.sha256(csv_b).hexdigest(), "leads": hashlib.sha256(leads_b).hexdigest(),
        "format": PACKAGE_FORMAT,
    })).hexdigest()
    package_id = f"EP-{as_of.strftime('%Y%m%d')}-{ident[:12].upper()}"
    html_b = network_html(data, package_id)

    paths = {"evidence.csv": out_dir / "evidence.csv", "leads.json": out_dir / "leads.json",
             "network.html": out_dir / "network.html", "dossier.pdf": out_dir / "dossier.pdf"}
    paths["evidence.csv"].write_bytes(csv_b)
    paths["leads.json"].write_bytes(leads_b)
    paths["network.html"].write_bytes(html_b)
    fig_info = render_pdf(data, paths["dossier.pdf"], package_id=package_id, investigator=investigator,
                          notes=notes)

    files = {name: sha256_file(p) for name, p in sorted(paths.items())}
    counts: dict[str, int] = {}
    for r in data["records"]:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    manifest = {
        "package_format": PACKAGE_FORMAT, "package_id": package_id, "tool_version": TOOL_VERSION,
        "subject_id": subject_id, "subject_kind": data["kind"], "case_no": case_no, "as_of": as_of.isoformat(),
        "investigator": investigator, "notes": len(notes),
        "patterns": data["parameters"], "patterns_hit": sorted({x["pattern"] for x in data["leads"]}),
        "leads": len(data["leads"]), "records": counts, "load_ids": data["load_ids"],
        "figures": fig_info,
        "files": {name: {"sha256": h, "bytes": paths[name].stat().st_size} for name, h in files.items()},
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
    paths["manifest.json"] = out_dir / "manifest.json"
    paths["manifest.json"].write_bytes(_json_bytes(manifest))
    zip_path = out_dir / f"evidence-package-{_safe_name(subject_id)}-{as_of.isoformat()}.zip"
    _write_zip(zip_path, [(n, paths[n]) for n in ("dossier.pdf", "evidence.csv", "network.html", "leads.json",
                                                  "manifest.json")])
    zip_sha = sha256_file(zip_path)
    result = PackageResult(package_id, out_dir, zip_path, paths["dossier.pdf"], manifest, files, zip_sha, paths)
    if audit is not None:
        audit("package.generate", {
            "subject_id": subject_id, "case_no": case_no, "as_of": as_of.isoformat(), "investigator": investigator,
            "package_id": package_id, "zip": zip_path.name, "zip_sha256": zip_sha,
            "manifest_sha256": sha256_file(paths["manifest.json"]), "generated_at": manifest["generated_at"],
        })
    logger.info("package %s for %s: %d records, %d leads -> %s", package_id, subject_id, len(data["records"]),
                len(data["leads"]), zip_path)
    return result


def verify_manifest(directory: Path) -> list[str]:
    """The files whose SHA-256 differs from manifest.json (empty when the package is intact)."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for name, info in sorted(manifest["files"].items()):
        p = directory / name
        if not p.exists() or sha256_file(p) != info["sha256"]:
            bad.append(name)
    return bad


# --------------------------------------------------------------------------------------------
def cli_audit(path: Path = CLI_AUDIT_LOG) -> AuditFn:
    """An audit function appending JSON lines (who, when, what) to `path`."""
    def log(action: str, details: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            user = ""
        entry = {"at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(), "action": action,
                 "os_user": user, "via": "cli", **details}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    return log


def read_notes(path: Path) -> list[dict]:
    """Investigator's notes from a file: a JSON list of {"author","at","text"}, or plain text
    (paragraphs separated by blank lines become one note each)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        notes = json.loads(text)
        if not isinstance(notes, list):
            raise PackageError(f"{path}: expected a JSON list of notes")
        return [n if isinstance(n, dict) else {"text": str(n)} for n in notes]
    return [{"text": p.strip()} for p in re.split(r"\n\s*\n", text) if p.strip()]


def _date_arg(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s}") from exc


def register(subparsers: Any) -> None:
    """Add `package SUBJECT_ID [--case] [--as-of] [--investigator] [--notes-file] --out DIR`."""
    p = subparsers.add_parser("package", help="evidence package of one subject for criminal referral")
    p.add_argument("subject_id")
    p.add_argument("--case", dest="case_no", help="only this case (default: all the subject's cases)")
    p.add_argument("--as-of", type=_date_arg, help="data cut-off date for the patterns (default: today)")
    p.add_argument("--investigator", default="", help="name printed on the cover and recorded in the audit log")
    p.add_argument("--notes-file", type=Path, help="investigator's notes: JSON list or plain text")
    p.add_argument("--param", action="append", default=[], metavar="PATTERN.K=V",
                   help="pattern parameter override (money in yuan)")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """CLI entry: build the package, log it to var/audit-cli.jsonl, print where it went."""
    from graph import GraphError

    params: dict[str, dict] = {}
    for it in getattr(args, "param", None) or []:
        k, sep, v = it.partition("=")
        pid, _, name = k.partition(".")
        if not sep or not name:
            print(f"error: --param wants PATTERN.K=V, got {it!r}", file=sys.stderr)
            return 2
        params.setdefault(pid.strip(), {})[name.strip()] = v.strip()
    try:
        notes = read_notes(args.notes_file) if args.notes_file else []
        with Graph.connect() as g:
            res = build_package(g, args.subject_id, args.out, case_no=args.case_no, as_of=args.as_of,
                                investigator=args.investigator, notes=notes, params=params or None,
                                audit=cli_audit())
    except (PackageError, GraphError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{res.package_id}: {res.zip_path}")
    for name, h in sorted(res.files.items()):
        print(f"  {h}  {name}")
    print(f"  zip sha256 {res.zip_sha256}")
    return 0
