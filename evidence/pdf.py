"""The evidence package's PDF dossier (Chinese, CJK font embedded) and its figures.

The dossier is the Jinja template templates/dossier.html rendered by WeasyPrint through
investigations.pdfdoc, the one PDF home shared with the freeze list (font, base stylesheet, a
fetcher that never leaves the machine). This module only turns the gathered data into the
template's rows and texts, and draws the two figures with matplotlib in the same font.
The PDF holds no generation time, no creation date and an identifier derived from its content,
so the same data and parameters give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

from ingest import clock
from investigations import labels, pdfdoc, timeline
from investigations.baseline import describe as describe_baseline
from investigations.patterns import get_pattern

from .common import PackageError, fen_text
from .network import network_figure

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Points drawn in the timeline at most (cited records always, then the largest amounts).
MAX_TIMELINE_POINTS = 3000
#: Width of the page's frame (A4 less 15 mm margins) in mm: figures are sized to it.
FRAME_MM = 180.0

#: event class (investigations.timeline.event_class) -> (legend, colour, matplotlib marker), legend order;
#: transfers between own accounts (that are not cash rows) are not drawn.
TIMELINE_GROUPS = {
    "out_related": ("转出至关系方", "#c0392b", "o"), "out_other": ("转出至其他", "#e67e22", "o"),
    "in": ("转入", "#2471a3", "v"), "chain": ("链路下游转账", "#7d3c98", "x"),
    "conveyance_out": ("财产转出（评估价值）", "#6c3483", "s"), "conveyance_in": ("财产转入（评估价值）", "#117a65", "D"),
    "non_cny": ("非人民币（原币金额）", "#7f8c8d", "P"),
    "cash_withdrawal": ("取现", "#b7950b", "D"), "cash_deposit": ("存现", "#1e8449", "d"),
}
MILESTONE_STYLE = {"filed_on": ("#7f8c8d", ":"), "served_on": ("#c0392b", "--"), "judged_on": ("#2471a3", "-."),
                   "effective_on": ("#1e8449", "-"), "enforcement_filed_on": ("#000000", "-")}


def _mpl_family() -> str:
    try:
        return pdfdoc.matplotlib_family()
    except pdfdoc.PdfError as e:
        raise PackageError(str(e)) from e


# ----------------------------------------------------------------------------------------------
def _plot_rc() -> dict:
    return {"font.family": [_mpl_family()], "axes.unicode_minus": False, "svg.hashsalt": "evidence",
            "path.simplify": True}


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight")
    return buf.getvalue()


def timeline_png(data: dict) -> tuple[bytes, dict]:
    """Transfers and conveyances over time (log amount) against each case's milestones."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    tl = data["timeline"]  # the one timeline model (investigations.timeline), as the web SVG
    cited = {tuple(c) for c in tl["cited"]}
    cash = tl.get("cash", {})
    events, total = timeline.static_events(tl, MAX_TIMELINE_POINTS)
    groups = {cls: ([], *TIMELINE_GROUPS[cls]) for cls in timeline.CLASSES if cls in TIMELINE_GROUPS}
    cited_pts = []
    for e in events:
        y = max(e["amount_fen"] or 0, 100) / 100.0  # plotting only; every figure in the text is integer fen
        groups[timeline.event_class(e, cash)][0].append((e["on"], y))
        if (e["kind"], e["id"]) in cited:
            cited_pts.append((e["on"], y))
    with matplotlib.rc_context(_plot_rc()):
        fig, ax = plt.subplots(figsize=(7.6, 3.9))
        for pts, label, color, marker in groups.values():
            if pts:
                ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, c=color, marker=marker, label=label,
                           alpha=0.85, linewidths=0.8, zorder=3)
        if cited_pts:
            ax.scatter([p[0] for p in cited_pts], [p[1] for p in cited_pts], s=70, facecolors="none",
                       edgecolors="black", linewidths=0.9, label="被检测模式引用", zorder=4)
        ax.set_yscale("log")
        ax.set_ylabel("金额（元，对数刻度）")
        days = [p[0] for pts, *_ in groups.values() for p in pts]
        seen_ms: set[str] = set()
        for i, c in enumerate(tl["cases"]):
            for m, (color, ls) in MILESTONE_STYLE.items():
                d = c["milestones"].get(m)
                if d is None:
                    continue
                days.append(d)
                lab = labels.zh("milestone", m) if m not in seen_ms else None
                seen_ms.add(m)
                ax.axvline(d, color=color, linestyle=ls, linewidth=1.2, label=lab, zorder=2)
                if len(tl["cases"]) > 1:
                    ax.annotate(f"案{i + 1}", (d, 1), xycoords=("data", "axes fraction"), fontsize=6,
                                rotation=90, va="top", ha="right", color=color)
        seen_mk: set[str] = set()
        for m in tl.get("markers", []):
            colour, filled = timeline.marker_style(m["type"])
            name = timeline.MARKER_STYLE.get(m["type"], (None, None, m["type"]))[2]
            days.append(m["on"])
            ax.scatter([m["on"]], [0.97], s=40, marker="v", transform=ax.get_xaxis_transform(),
                       facecolors=colour if filled else "white", edgecolors=colour, linewidths=1.0, zorder=5,
                       label=name if m["type"] not in seen_mk else None, clip_on=False)
            seen_mk.add(m["type"])
        if days:
            lo, hi = min(days), max(days)
            pad = dt.timedelta(days=max(15, (hi - lo).days // 25))
            ax.set_xlim(lo - pad, hi + pad)
        loc = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.grid(True, which="major", axis="y", alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        png = _png(fig)
        plt.close(fig)
    return png, {"timeline_points": len(events), "timeline_records": total}


def network_png(data: dict) -> tuple[bytes, dict]:
    """The evidence network figure, drawn by the one network model (evidence.network.network_figure)."""
    return network_figure(data, rc=_plot_rc())


# ----------------------------------------------------------------------------------------------
def _yuan(fen: int | None) -> str:
    return "" if fen is None else fen_text(fen, "¥")


def _d(v: Any) -> str:
    """A date or timestamp as text: ISO date, a space before the time."""
    if v is None:
        return "—"
    if isinstance(v, dt.datetime) and v.tzinfo is not None:  # a note's time: Beijing time, zone named
        return clock.display(v, "zh")
    text = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)
    if len(text) >= 19 and text[10] == "T":
        text = text[:10] + " " + text[11:]
        if text.endswith(" 00:00:00"):
            text = text[:10]
    return text


def _pct(*fractions: float) -> list[float]:
    """Column widths as percentages of the frame, given as fractions of it."""
    return [round(f * 100, 2) for f in fractions]


def _figure(png: bytes, max_h_mm: float | None = None) -> dict:
    """A figure for the template: data URI and its size in mm (frame width, capped height)."""
    iw, ih = pdfdoc.png_size(png)
    w, h = FRAME_MM, FRAME_MM * ih / iw
    if max_h_mm and h > max_h_mm:
        w, h = max_h_mm * iw / ih, max_h_mm
    return {"src": pdfdoc.image_data_uri(png), "width_mm": round(w, 2), "height_mm": round(h, 2)}


def _subject_pairs(data: dict) -> list[tuple[str, Any]]:
    prof = data["profile"]
    props = prof["props"]
    name = prof.get("name") or data["subject_id"]
    if prof["kind"] != "person":
        return [("企业名称", name), ("统一社会信用代码", data["subject_id"]), ("成立日期", _d(props.get("registered_on")))]
    sp = [("姓名", name), ("人员编号", data["subject_id"]), ("公民身份号码", props.get("id_number") or "（无）"),
          ("性别", {"M": "男", "F": "女"}.get(props.get("gender"), props.get("gender") or "—")),
          ("出生日期", _d(props.get("birth_date"))), ("住址", props.get("address") or "—"),
          ("电话", props.get("phone") or "—")]
    if props.get("id_number") and props.get("id_number_valid") is False:
        sp[2] = ("公民身份号码", f"{props['id_number']}（校验位不符，请核对原始证件）")
    inm = prof.get("inmate")
    if inm:
        sp += [("罪犯编号", inm.get("inmate_no")), ("服刑监狱", inm.get("prison")),
               ("入监日期", _d(inm.get("admitted_on"))), ("刑满日期", _d(inm.get("release_on"))),
               ("处遇级别", labels.zh("treatment", inm.get("treatment_level"), "—"))]
    return sp


def _summary(data: dict) -> str:
    leads = data["leads"]
    moved = data["moved"]["total"]
    pats = sorted({x["pattern"] for x in leads})
    summary = (f"检测结果：命中 {len(pats)} 类模式，线索 {len(leads)} 条。" if leads else "检测结果：未命中任何检测模式。")
    if moved:
        summary += (f"诉讼开始（{moved['start'].isoformat()}）后至数据截止日，被调查人账户向他人转出人民币 "
                    f"{moved['transfers']} 笔，合计 {_yuan(moved['out_fen'])}（每笔只计一次），"
                    f"未履行金额合计 {_yuan(moved['unpaid_fen'])}。")
        if moved["conveyed_loss_fen"]:
            summary += (f"同期财产交易 {moved['conveyances']} 项，价差合计 {_yuan(moved['conveyed_loss_fen'])}"
                        "（评估价值与对价之差）。")
    return summary


def _findings(data: dict) -> list[dict]:
    """Per pattern hit: its title, legal basis, parameters and one table per lead."""
    by_pat: dict[str, list[dict]] = {}
    for x in data["leads"]:
        by_pat.setdefault(x["pattern"], []).append(x)
    out = []
    for i, (pid, ls) in enumerate(by_pat.items(), 1):
        pat = get_pattern(pid)
        tables = []
        for j, x in enumerate(ls, 1):
            ev = x["evidence"]
            ids = ev["transfer_ids"] + ev["asset_transfer_ids"] + ev["balance_rows"]
            names = list(x.get("counterparty_names") or [])
            names += [None] * (len(x["counterparties"]) - len(names))
            cps = [f"{n or ''}（{c}）" for c, n in zip(x["counterparties"], names)]
            rows = [[f"线索 {i}.{j}", x["lead_id"]], ["案号", x["case_no"] or "—"],
                    ["阶段", labels.zh("stage", x["stage"])], ["涉及金额", _yuan(x["amount_fen"])],
                    ["对方", _capped(cps, len(x["counterparties"]), "个对方", "") or "—"],
                    ["时间", f"{_d(x['first_at'])} 至 {_d(x['last_at'])}"],
                    ["评分", str(x["score"])], ["说明", x["explanation_zh"]],
                    ["证据记录", _capped(ids, len(ids), "条证据记录", "其余见第七部分明细表“引用模式”列及 evidence.csv")
                     or "—"]]
            base = describe_baseline(x.get("details"), "zh")
            if base:
                rows.insert(-1, ["基线", "\n".join(base)])
            tables.append({"header": rows[0], "rows": rows[1:]})
        out.append({"heading": f"{i}. {pat.title_zh}（{pid}）",
                    "pairs": [("法律依据", pat.legal_basis_zh), ("认定标准", pat.description_zh),
                              ("参数", _params_text(pat, data["parameters"].get(pid, {})))],
                    "leads": tables})
    return out


def _moved_rows(data: dict) -> list[list[str]]:
    moved = data["moved"]["total"]
    rows = []
    for m in data["moved"]["cases"] + ([moved] if moved and len(data["moved"]["cases"]) > 1 else []):
        share = "—" if m["share_permille"] is None else f"{m['share_permille'] // 10}.{m['share_permille'] % 10}%"
        rows.append([m["case_no"], m["start"].isoformat(), _yuan(m["unpaid_fen"]), str(m["transfers"]),
                     _yuan(m["out_fen"]), _yuan(m["related_fen"]), _yuan(m["cited_fen"]),
                     f"{m['conveyances']} 项 {_yuan(m['conveyed_loss_fen'])}", share])
    return rows


def _non_cny_note(records: list[dict]) -> str:
    """Non-CNY transfers per currency, each in its own units, never added to yuan or to each other."""
    non_cny = [r for r in records if r["kind"] == "transfer" and r["currency"] != "CNY"]
    if not non_cny:
        return ""
    per: dict[str, list[int]] = {}
    for r in non_cny:
        c = per.setdefault(r["currency"], [0, 0, 0])
        c[0] += 1
        c[1 if r["direction"] in ("out", "internal") else 2] += r["amount_fen"] or 0
    parts = [f"{cur} {n} 笔，转出 {cur} {fen_text(o)}，转入 {cur} {fen_text(i)}" for cur, (n, o, i) in sorted(per.items())]
    return f"另有非人民币交易 {len(non_cny)} 笔（" + "；".join(parts) + "），未计入上表，见明细表。"


def _transfer_rows(trs: list[dict]) -> list[list[str]]:
    rows = []
    for r in trs:
        cp = " ".join(x for x in (r["counterparty_id"], r["counterparty_name"]) if x) or "（户名不详）"
        amount = _yuan(r["amount_fen"]) if r["currency"] == "CNY" else f"{r['currency']} {fen_text(r['amount_fen'])}"
        rows.append([r["id"], (r["date"] + (" " + r["time"] if r["time"] else "")), r["direction_zh"],
                     r["from"], r["to"], cp, r["relation_zh"], amount, r["after_start_zh"],
                     _pat_names(r["patterns"])])
    return rows


def _conveyance_rows(convs: list[dict]) -> list[list[str]]:
    rows = []
    for r in convs:
        asset = f"{r['asset_id']} {labels.zh('asset_kind', r.get('asset_kind'), '')} {r.get('asset_description') or ''}"
        rows.append([r["id"], r["date"], r["direction_zh"], asset.strip(),
                     f"{r.get('from_name') or ''}（{r['from']}）", f"{r.get('to_name') or ''}（{r['to']}）",
                     r["relation_zh"], _yuan(r["amount_fen"]) if r["amount_fen"] else "无偿（¥0.00）",
                     _yuan(r["appraised_fen"]) if r["appraised_fen"] is not None else "未评估",
                     r["after_start_zh"], _pat_names(r["patterns"])])
    return rows


def _notes(notes: list[dict] | None) -> list[dict]:
    out = []
    for n in notes or []:
        head = " ".join(x for x in (str(n.get("author") or ""), _d(n.get("at")) if n.get("at") else "") if x)
        out.append({"head": head, "text": n.get("text") or ""})
    return out


def render_pdf(data: dict, path: Path, package_id: str, investigator: str = "",
               notes: list[dict] | None = None) -> dict:
    """Write the dossier to `path`; return what the figures drew (for the manifest)."""
    prof = data["profile"]
    props = prof["props"]
    name = prof.get("name") or data["subject_id"]
    cover: list[tuple[str, Any]] = [("证据包编号", package_id), ("数据截止日期", data["as_of"].isoformat()),
                                    ("调查人员", investigator or "（未填写）")]
    if data["case_no"]:
        cover.append(("限定案件", data["case_no"]))
    cases = data["cases"]
    case_rows = [[c["case_no"], c.get("court") or "—", labels.zh("case_kind", c.get("kind"), "—"),
                  _yuan(c.get("amount_due_fen")), _yuan(c.get("amount_paid_fen") or 0), _yuan(c["unpaid_fen"]),
                  labels.zh("stage", c["stage_as_of"]) if c["open"] else "已履行完毕", c.get("creditor") or "—"]
                 for c in cases]
    date_rows = [[c["case_no"], _d(c.get("filed_on")), _d(c.get("served_on")), _d(c.get("litigation_start")),
                  _d(c.get("judged_on")), _d(c.get("effective_on")), _d(c.get("enforcement_filed_on"))]
                 for c in cases]
    others = [c["case_no"] for c in data["all_cases"] if c not in cases]
    tl_png, tl_info = timeline_png(data)
    nw_png, nw_info = network_png(data)  # the one call drawing the package's network figure
    records = data["records"]
    trs = [r for r in records if r["kind"] == "transfer"]
    convs = [r for r in records if r["kind"] == "asset_transfer"]
    bals = [r for r in records if r["kind"] == "balance"]
    sources = [["被调查人", data["subject_id"], props.get("src_file") or "", str(props.get("src_row") or ""), "",
                props.get("load_id") or ""]]
    sources += [[r["kind_zh"], r["id"], r["src_file"], str(r["src_row"]), _sides_text(r), r["load_id"]]
                for r in records]
    context = {
        "title": f"证据材料 {name} {package_id}", "author": investigator or "",
        "subject": "拒不执行判决、裁定案件证据材料", "generator": "evidence.package",
        "package_id": package_id, "cover": cover, "subject_pairs": _subject_pairs(data),
        "case_rows": case_rows, "date_rows": date_rows, "other_cases": "、".join(others),
        "summary": _summary(data), "has_leads": bool(data["leads"]), "findings": _findings(data),
        "timeline": _figure(tl_png), "timeline_info": tl_info,
        "case_keys": "；".join(f"案{i + 1}：{c['case_no']}" for i, c in enumerate(cases)) if len(cases) > 1 else "",
        "network": _figure(nw_png, max_h_mm=150), "network_info": nw_info,
        "moved_rows": _moved_rows(data), "non_cny": _non_cny_note(records),
        "litigation_start": _d(data["litigation_start"]), "transfer_rows": _transfer_rows(trs),
        "conveyance_rows": _conveyance_rows(convs),
        "balance_rows": [[r["to"], r["date"], _yuan(r["amount_fen"]), _pat_names(r["patterns"])] for r in bals],
        "source_rows": sources, "notes": _notes(notes), "load_ids": "、".join(data["load_ids"]),
        "w": {"cases": _pct(0.2, 0.15, 0.08, 0.12, 0.12, 0.12, 0.09, 0.12),
              "dates": _pct(0.22, 0.13, 0.13, 0.13, 0.13, 0.13, 0.13),
              "lead": _pct(0.14, 0.86),
              "moved": _pct(0.18, 0.09, 0.11, 0.06, 0.11, 0.11, 0.11, 0.15, 0.08),
              "transfers": _pct(0.11, 0.085, 0.04, 0.15, 0.15, 0.12, 0.08, 0.085, 0.035, 0.145),
              "conveyances": _pct(0.115, 0.085, 0.04, 0.135, 0.1, 0.1, 0.065, 0.09, 0.095, 0.035, 0.14),
              "balances": _pct(0.35, 0.2, 0.2, 0.25), "sources": _pct(0.08, 0.16, 0.15, 0.05, 0.36, 0.2)},
    }
    try:
        pdf, _pages = pdfdoc.render("dossier.html", context, [TEMPLATES])
    except pdfdoc.PdfError as e:
        raise PackageError(str(e)) from e
    Path(path).write_bytes(pdf)
    return {**tl_info, **nw_info}


def _sides_text(r: dict) -> str:
    """Both sides' provenance of a statement-built transfer ('' for any other record)."""
    out = []
    for side, word in (("out", "付款方"), ("in", "收款方")):
        if r.get(f"{side}_file"):
            serial = f" 流水号 {r[f'{side}_serial']}" if r.get(f"{side}_serial") else ""
            out.append(f"{word}：{r[f'{side}_file']}:{r.get(f'{side}_row') or ''}{serial}")
    return "\n".join(out)


def _pat_names(ids: list[str]) -> str:
    """Pattern ids as their Chinese titles (one per line) for the tables; the CSV keeps the ids."""
    out = []
    for pid in ids:
        try:
            out.append(get_pattern(pid).title_zh)
        except Exception:  # noqa: BLE001 - an unknown id is shown as is
            out.append(pid)
    return "\n".join(out)


#: Lists in one table cell (evidence ids, counterparties) are cut here, so one cell never fills pages.
CELL_LIST_MAX = 120


def _capped(items: list[str], n: int, what: str, where: str) -> str:
    """Items joined with 、, cut at CELL_LIST_MAX with a note of how many there are and where the rest are."""
    if n <= CELL_LIST_MAX:
        return "、".join(items)
    return "、".join(items[:CELL_LIST_MAX]) + f" ……（共 {n} {what}，此处列出前 {CELL_LIST_MAX} 项{'；' + where if where else ''}）"


def _params_text(pattern: Any, p: dict) -> str:
    """Effective parameters with their Chinese descriptions (as_of first)."""
    desc = {prm.name: prm.description_zh for prm in pattern.params}
    desc["as_of"] = "数据截止日期"
    keys = (["as_of"] if "as_of" in p else []) + sorted(k for k in p if k != "as_of")
    return "；".join(f"{k} = {p[k]}" + (f"（{desc[k]}）" if desc.get(k) else "") for k in keys)
