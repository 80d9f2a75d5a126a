"""The evidence package's PDF dossier (Chinese, CJK font embedded) and its figures.

ReportLab embeds only TrueType outlines, so the font is WenQuanYi Micro Hei's TrueType
collection (Debian `fonts-wqy-microhei`); matplotlib draws the figures with the same font.
The PDF is written in ReportLab's invariant mode (no creation date, fixed document id) and
holds no generation time, so the same data and parameters give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from html import escape
from pathlib import Path
from typing import Any

from ingest import clock
from investigations import labels
from investigations.baseline import describe as describe_baseline
from investigations.patterns import get_pattern

from .common import PackageError, fen_text
from .network import network_figure

logger = logging.getLogger(__name__)

FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
FONT_NAME = "WQYMicroHei"
#: Points drawn in the timeline at most (cited records always, then the largest amounts).
MAX_TIMELINE_POINTS = 3000
#: Rows per table flowable: long tables are cut into chunks (each repeats its header) so
#: ReportLab never splits one huge table, which is slow.
TABLE_CHUNK = 400

MILESTONE_STYLE = {"filed_on": ("#7f8c8d", ":"), "served_on": ("#c0392b", "--"), "judged_on": ("#2471a3", "-."),
                   "effective_on": ("#1e8449", "-"), "enforcement_filed_on": ("#000000", "-")}


def font_path() -> Path:
    for p in FONT_PATHS:
        if p.exists():
            return p
    raise PackageError("CJK TrueType font not found (" + ", ".join(str(p) for p in FONT_PATHS)
                       + "): install it with `apt-get install fonts-wqy-microhei`")


def register_fonts() -> str:
    """Register the CJK font with ReportLab (embedded subset) and matplotlib; return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = font_path()
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    from matplotlib import font_manager

    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return FONT_NAME


def _mpl_family() -> str:
    from matplotlib import font_manager

    return font_manager.FontProperties(fname=str(font_path())).get_name()


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

    tl = data["timeline"]  # the one timeline model (investigations.subject.timeline), as the web SVG
    cited = {tuple(c) for c in tl["cited"]}
    cash = tl.get("cash", {})  # cash rows are self-loops ('internal'); drawn by their kind
    events = [e for e in tl["events"] if e["on"] is not None and (e["direction"] != "internal" or e["id"] in cash)]
    total = len(events)
    if total > MAX_TIMELINE_POINTS:
        top = [e for e in events if (e["kind"], e["id"]) in cited]
        rest = sorted((e for e in events if (e["kind"], e["id"]) not in cited),
                      key=lambda e: (-(e["amount_fen"] or 0), e["id"]))
        events = top + rest[:max(0, MAX_TIMELINE_POINTS - len(top))]
    groups = {
        "转出至关系方": ([], "#c0392b", "o"), "转出至其他": ([], "#e67e22", "o"), "转入": ([], "#2471a3", "v"),
        "链路下游转账": ([], "#7d3c98", "x"), "财产转出（评估价值）": ([], "#6c3483", "s"), "财产转入（评估价值）": ([], "#117a65", "D"),
        "非人民币（原币金额）": ([], "#7f8c8d", "P"),
        "取现": ([], "#b7950b", "D"), "存现": ([], "#1e8449", "d"),
    }
    cited_pts = []
    for e in events:
        day = e["on"]
        if e["id"] in cash:
            g = labels.zh("measure", cash[e["id"]])
        elif e["kind"] == "transfer":
            if e["currency"] != "CNY":
                g = "非人民币（原币金额）"
            elif e["direction"] == "chain":
                g = "链路下游转账"
            elif e["direction"] == "out":
                g = "转出至关系方" if e.get("tie_kind") else "转出至其他"
            else:
                g = "转入"
        else:
            g = "财产转出（评估价值）" if e["direction"] != "in" else "财产转入（评估价值）"
        y = max(e["amount_fen"] or 0, 100) / 100.0  # plotting only; every figure in the text is integer fen
        groups[g][0].append((day, y))
        if (e["kind"], e["id"]) in cited:
            cited_pts.append((day, y))
    with matplotlib.rc_context(_plot_rc()):
        fig, ax = plt.subplots(figsize=(7.6, 3.9))
        for label, (pts, color, marker) in groups.items():
            if pts:
                ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, c=color, marker=marker, label=label,
                           alpha=0.85, linewidths=0.8, zorder=3)
        if cited_pts:
            ax.scatter([p[0] for p in cited_pts], [p[1] for p in cited_pts], s=70, facecolors="none",
                       edgecolors="black", linewidths=0.9, label="被检测模式引用", zorder=4)
        ax.set_yscale("log")
        ax.set_ylabel("金额（元，对数刻度）")
        days = [p[0] for pts, _, _ in groups.values() for p in pts]
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
        marker_style = {"restriction_ordered": ("#7b241c", True, "强制措施决定"),
                         "restriction_lifted": ("#7b241c", False, "强制措施解除"),
                         "encumbrance_registered": ("#6c3483", True, "抵押/质押登记"),
                         "encumbrance_released": ("#6c3483", False, "抵押/质押注销")}
        seen_mk: set[str] = set()
        for m in tl.get("markers", []):
            colour, filled, name = marker_style.get(m["type"], ("#555555", True, m["type"]))
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
def _styles(font: str) -> dict:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=6),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=16, alignment=TA_CENTER,
                                   textColor=colors.HexColor("#444444"), spaceAfter=14),
        "h1": ParagraphStyle("h1", parent=base, fontSize=14, leading=20, spaceBefore=10, spaceAfter=6,
                             textColor=colors.HexColor("#1b2631")),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4,
                             textColor=colors.HexColor("#7b241c")),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=6.8, leading=8.6),
        "cellh": ParagraphStyle("cellh", parent=base, fontSize=7, leading=9, textColor=colors.white),
        "cellb": ParagraphStyle("cellb", parent=base, fontSize=8.5, leading=11.5),
        "cellbh": ParagraphStyle("cellbh", parent=base, fontSize=8.5, leading=11.5, textColor=colors.white),
        "kv": ParagraphStyle("kv", parent=base, fontSize=9.5, leading=13),
    }


def _p(text: Any, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def _table(header: list[str], rows: list[list[Any]], widths: list[float], st: dict, font: str,
           big: bool = False) -> list:
    """A complete table, cut into chunks that each repeat the header row."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, TableStyle

    out = []
    cell, cellh = (st["cellb"], st["cellbh"]) if big else (st["cell"], st["cellh"])
    hdr = [_p(h, cellh) for h in header]
    if not rows:
        rows = [["（无）"] + [""] * (len(header) - 1)]
    for i in range(0, len(rows), TABLE_CHUNK):
        chunk = [[c if not isinstance(c, (str, int)) else _p(c, cell) for c in r]
                 for r in rows[i:i + TABLE_CHUNK]]
        t = LongTable([hdr] + chunk, colWidths=widths, repeatRows=1)
        cmds = [("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#34495e")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#aab7b8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f6f6")])]
        t.setStyle(TableStyle(cmds))
        out.append(t)
    return out


def _kv_table(pairs: list[tuple[str, Any]], st: dict, font: str, width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    rows = [[_p(k, st["kv"]), _p(v, st["kv"])] for k, v in pairs]
    t = Table(rows, colWidths=[width * 0.26, width * 0.74])
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font),
                           ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#aab7b8")),
                           ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#ecf0f1")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


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


def _make_canvas(package_id: str, font: str) -> Any:
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        """Footer on every page: package id and 'page x of y' (needs all pages first)."""

        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self._saved: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab API
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            n = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                w, _ = self._pagesize
                self.setFont(font, 7.5)
                self.setFillGray(0.35)
                self.drawString(40, 22, f"证据包编号 {package_id}")
                self.drawRightString(w - 40, 22, f"第 {self._pageNumber} 页 / 共 {n} 页")
                self.drawCentredString(w / 2, 22, "拒不执行判决、裁定案件证据材料")
                super().showPage()
            super().save()

    return NumberedCanvas


def render_pdf(data: dict, path: Path, package_id: str, investigator: str = "",
               notes: list[dict] | None = None) -> dict:
    """Write the dossier to `path`; return what the figures drew (for the manifest)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer

    font = register_fonts()
    st = _styles(font)
    prof = data["profile"]
    props = prof["props"]
    name = prof.get("name") or data["subject_id"]
    W = A4[0] - 30 * mm  # frame width
    story: list[Any] = []
    add = story.append

    # ---- cover -------------------------------------------------------------------------------
    add(Spacer(1, 8 * mm))
    add(_p("拒不执行判决、裁定案件证据材料", st["title"]))
    add(_p("移送审查起诉参考 · 《中华人民共和国刑法》第三百一十三条", st["subtitle"]))
    pairs: list[tuple[str, Any]] = [("证据包编号", package_id), ("数据截止日期", data["as_of"].isoformat()),
                                    ("调查人员", investigator or "（未填写）")]
    if data["case_no"]:
        pairs.append(("限定案件", data["case_no"]))
    add(_kv_table(pairs, st, font, W))
    add(Spacer(1, 5 * mm))
    add(_p("一、被调查人", st["h1"]))
    if prof["kind"] == "person":
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
    else:
        sp = [("企业名称", name), ("统一社会信用代码", data["subject_id"]), ("成立日期", _d(props.get("registered_on")))]
    add(_kv_table(sp, st, font, W))

    add(_p("二、案件与履行情况（截至数据截止日期）", st["h1"]))
    rows = []
    for c in data["cases"]:
        rows.append([c["case_no"], c.get("court") or "—", labels.zh("case_kind", c.get("kind"), "—"),
                     _yuan(c.get("amount_due_fen")), _yuan(c.get("amount_paid_fen") or 0), _yuan(c["unpaid_fen"]),
                     labels.zh("stage", c["stage_as_of"]) if c["open"] else "已履行完毕",
                     c.get("creditor") or "—"])
    story += _table(["案号", "法院", "类型", "应执行金额", "已执行金额", "未履行金额", "阶段", "申请执行人"], rows,
                    [W * x for x in (0.2, 0.15, 0.08, 0.12, 0.12, 0.12, 0.09, 0.12)], st, font)
    add(Spacer(1, 3 * mm))
    rows = [[c["case_no"], _d(c.get("filed_on")), _d(c.get("served_on")), _d(c.get("litigation_start")),
             _d(c.get("judged_on")), _d(c.get("effective_on")), _d(c.get("enforcement_filed_on"))]
            for c in data["cases"]]
    story += _table(["案号", "立案日期", "应诉通知送达", "诉讼开始日", "判决日期", "生效日期", "执行立案日期"], rows,
                    [W * x for x in (0.22, 0.13, 0.13, 0.13, 0.13, 0.13, 0.13)], st, font)
    if len(data["all_cases"]) > len(data["cases"]):
        others = [c["case_no"] for c in data["all_cases"] if c not in data["cases"]]
        add(_p("本材料限定于上述案件；被调查人的其他案件：" + "、".join(others), st["small"]))
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
    add(Spacer(1, 3 * mm))
    add(_p(summary, st["base"]))
    add(_p("本材料含被调查人完整身份信息，仅供检察机关审查使用；其生成已记入审计日志。生成时间记载于同一证据包的 manifest.json，"
           "各文件的 SHA-256 校验值亦载于该文件。", st["small"]))
    add(PageBreak())

    # ---- findings ----------------------------------------------------------------------------
    add(_p("三、检测发现与法律依据", st["h1"]))
    if not leads:
        add(_p("按下列参数运行全部检测模式，未发现涉及被调查人的线索。", st["base"]))
    by_pat: dict[str, list[dict]] = {}
    for x in leads:
        by_pat.setdefault(x["pattern"], []).append(x)
    for i, (pid, ls) in enumerate(by_pat.items(), 1):
        pat = get_pattern(pid)
        add(_p(f"{i}. {pat.title_zh}（{pid}）", st["h2"]))
        add(_kv_table([("法律依据", pat.legal_basis_zh), ("认定标准", pat.description_zh),
                       ("参数", _params_text(pat, data["parameters"].get(pid, {})))], st, font, W))
        add(Spacer(1, 2 * mm))
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
            story += _table(rows[0], rows[1:], [W * 0.14, W * 0.86], st, font, big=True)
            add(Spacer(1, 2.5 * mm))

    # ---- figures -----------------------------------------------------------------------------
    add(PageBreak())
    add(_p("四、时间线", st["h1"]))
    add(_p("横轴为日期，纵轴为金额（对数刻度）；竖线为各案件的立案、应诉通知送达、判决、生效、执行立案日期。"
           "圆圈标出被检测模式引用的记录。", st["small"]))
    tl_png, tl_info = timeline_png(data)
    add(_image(tl_png, W))
    if tl_info["timeline_points"] < tl_info["timeline_records"]:
        add(_p(f"图中绘出 {tl_info['timeline_points']} 条记录（全部被引用记录及金额最大的记录），"
               f"共 {tl_info['timeline_records']} 条；完整记录见第六部分明细表。", st["small"]))
    if len(data["cases"]) > 1:
        add(_p("；".join(f"案{i + 1}：{c['case_no']}" for i, c in enumerate(data["cases"])), st["small"]))
    add(Spacer(1, 4 * mm))
    add(_p("五、资金与财产关系网络", st["h1"]))
    nw_png, nw_info = network_png(data)
    add(_image(nw_png, W, max_h=150 * mm))
    if nw_info["network_nodes_not_drawn"]:
        add(_p(f"图中绘出资金量最大的 {nw_info['network_nodes_drawn']} 个节点，另有 "
               f"{nw_info['network_nodes_not_drawn']} 个节点未绘出；完整记录见第七部分明细表。", st["small"]))
    add(_p("可交互版本见证据包内 network.html（离线可用）。", st["small"]))

    # ---- money moved vs unpaid ---------------------------------------------------------------
    add(PageBreak())
    add(_p("六、诉讼开始后转出资金与未履行金额", st["h1"]))
    add(_p("统计被调查人账户在诉讼开始日（应诉通知送达日，未送达则为立案日）及以后、数据截止日及以前，向本人以外账户转出的"
           "人民币资金，每笔转账只计一次；财产交易价差指转出财产的评估价值减对价、或高价受让财产的对价减评估价值（无评估的不计）。", st["small"]))
    mrows = []
    for m in data["moved"]["cases"] + ([moved] if moved and len(data["moved"]["cases"]) > 1 else []):
        share = "—" if m["share_permille"] is None else f"{m['share_permille'] // 10}.{m['share_permille'] % 10}%"
        mrows.append([m["case_no"], m["start"].isoformat(), _yuan(m["unpaid_fen"]), str(m["transfers"]),
                      _yuan(m["out_fen"]), _yuan(m["related_fen"]), _yuan(m["cited_fen"]),
                      f"{m['conveyances']} 项 {_yuan(m['conveyed_loss_fen'])}", share])
    story += _table(["案号", "诉讼开始日", "未履行金额", "转出笔数", "转出合计", "其中转给关系方", "其中被模式引用",
                     "财产交易价差", "转出/未履行"], mrows,
                    [W * x for x in (0.18, 0.09, 0.11, 0.06, 0.11, 0.11, 0.11, 0.15, 0.08)], st, font)

    # ---- detail tables -----------------------------------------------------------------------
    non_cny = [r for r in data["records"] if r["kind"] == "transfer" and r["currency"] != "CNY"]
    if non_cny:  # per currency, each in its own units, never added to yuan or to each other
        per: dict[str, list[int]] = {}
        for r in non_cny:
            c = per.setdefault(r["currency"], [0, 0, 0])
            c[0] += 1
            c[1 if r["direction"] in ("out", "internal") else 2] += r["amount_fen"] or 0
        parts = [f"{cur} {n} 笔，转出 {cur} {fen_text(o)}，转入 {cur} {fen_text(i)}" for cur, (n, o, i) in sorted(per.items())]
        add(_p(f"另有非人民币交易 {len(non_cny)} 笔（" + "；".join(parts) + "），未计入上表，见明细表。", st["small"]))
    add(_p("七、资金往来与财产转移明细（全部记录）", st["h1"]))
    trs = [r for r in data["records"] if r["kind"] == "transfer"]
    add(_p(f"资金往来 {len(trs)} 笔（截至数据截止日，按时间排序）。“诉后”指诉讼开始日"
           f"（{_d(data['litigation_start'])}）及以后。", st["small"]))
    rows = []
    for r in trs:
        cp = " ".join(x for x in (r["counterparty_id"], r["counterparty_name"]) if x) or "（户名不详）"
        amount = _yuan(r["amount_fen"]) if r["currency"] == "CNY" else f"{r['currency']} {fen_text(r['amount_fen'])}"
        rows.append([r["id"], (r["date"] + (" " + r["time"] if r["time"] else "")), r["direction_zh"],
                     r["from"], r["to"], cp, r["relation_zh"], amount, r["after_start_zh"],
                     _pat_names(r["patterns"])])
    story += _table(["流水号", "日期", "方向", "付款账号", "收款账号", "对方（编号 名称）", "关系", "金额", "诉后",
                     "引用模式"], rows,
                    [W * x for x in (0.11, 0.085, 0.04, 0.15, 0.15, 0.12, 0.08, 0.085, 0.035, 0.145)], st, font)
    add(Spacer(1, 4 * mm))
    convs = [r for r in data["records"] if r["kind"] == "asset_transfer"]
    add(_p(f"财产转移 {len(convs)} 项。", st["small"]))
    rows = []
    for r in convs:
        asset = f"{r['asset_id']} {labels.zh('asset_kind', r.get('asset_kind'), '')} {r.get('asset_description') or ''}"
        rows.append([r["id"], r["date"], r["direction_zh"], asset.strip(),
                     f"{r.get('from_name') or ''}（{r['from']}）", f"{r.get('to_name') or ''}（{r['to']}）",
                     r["relation_zh"], _yuan(r["amount_fen"]) if r["amount_fen"] else "无偿（¥0.00）",
                     _yuan(r["appraised_fen"]) if r["appraised_fen"] is not None else "未评估",
                     r["after_start_zh"], _pat_names(r["patterns"])])
    story += _table(["登记编号", "日期", "方向", "财产", "转出方", "受让方", "关系", "对价", "评估价值", "诉后",
                     "引用模式"], rows,
                    [W * x for x in (0.115, 0.085, 0.04, 0.135, 0.1, 0.1, 0.065, 0.09, 0.095, 0.035, 0.14)], st, font)
    bals = [r for r in data["records"] if r["kind"] == "balance"]
    if bals:
        add(Spacer(1, 4 * mm))
        add(_p("账户余额（被检测模式引用）", st["small"]))
        story += _table(["账号", "日期", "余额", "引用模式"],
                        [[r["to"], r["date"], _yuan(r["amount_fen"]), _pat_names(r["patterns"])] for r in bals],
                        [W * 0.35, W * 0.2, W * 0.2, W * 0.25], st, font)

    # ---- sources -----------------------------------------------------------------------------
    add(_p("八、记录来源", st["h1"]))
    add(_p("每条记录的原始数据文件、行号（表头为第 1 行）与导入批次，可据此回溯至调取的原始表格。", st["small"]))
    add(_p("由银行、支付机构返回的流水生成的转账，另列付款方与收款方两侧流水的文件、行号与流水号。", st["small"]))
    rows = [["被调查人", data["subject_id"], props.get("src_file") or "", str(props.get("src_row") or ""), "",
             props.get("load_id") or ""]]
    for r in data["records"]:
        rows.append([r["kind_zh"], r["id"], r["src_file"], str(r["src_row"]), _sides_text(r), r["load_id"]])
    story += _table(["类型", "编号", "来源文件", "行号", "两侧流水（文件:行 流水号）", "导入批次"], rows,
                    [W * 0.08, W * 0.16, W * 0.15, W * 0.05, W * 0.36, W * 0.2], st, font)

    # ---- notes and method --------------------------------------------------------------------
    add(_p("九、调查人员意见", st["h1"]))
    if notes:
        for n in notes:
            head = " ".join(x for x in (str(n.get("author") or ""), _d(n.get("at")) if n.get("at") else "") if x)
            if head:
                add(_p(head, st["small"]))
            add(_p(n.get("text") or "", st["base"]))
            add(Spacer(1, 2 * mm))
    else:
        add(_p("（无）", st["base"]))
    add(_p("十、方法说明", st["h1"]))
    add(_p("金额以“分”为单位整数存储和计算，显示时换算为元，不经浮点运算；非人民币交易单列币种，不与人民币相加。"
           "诉讼开始日依据法释〔2024〕13号第六条，取应诉通知送达日，未送达的取立案日。检测模式及参数（含数据截止日）见各项发现"
           "及 manifest.json；相同数据、相同参数重新生成，evidence.csv、leads.json、network.html 与本文件逐字节相同。", st["base"]))
    if data["load_ids"]:
        add(_p("数据导入批次：" + "、".join(data["load_ids"]), st["small"]))

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=16 * mm, invariant=1, title=f"证据材料 {name} {package_id}",
                            author=investigator or "", subject="拒不执行判决、裁定案件证据材料",
                            creator="evidence.package", producer="ReportLab", lang="zh-CN",
                            initialFontName=font, initialFontSize=9)
    doc.build(story, canvasmaker=_make_canvas(package_id, font))
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


#: A table cell cannot span pages: lists in one cell (evidence ids, counterparties) are cut here.
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


def _image(png: bytes, width: float, max_h: float | None = None) -> Any:
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    iw, ih = ImageReader(io.BytesIO(png)).getSize()
    w = width
    h = width * ih / iw
    if max_h and h > max_h:
        h = max_h
        w = h * iw / ih
    return Image(io.BytesIO(png), width=w, height=h)
