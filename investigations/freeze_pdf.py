"""The freeze list as a one-page Chinese PDF (A4 landscape), CJK font embedded, reproducible bytes.

Same font as the evidence package's dossier (WenQuanYi Micro Hei, Debian `fonts-wqy-microhei`;
ReportLab embeds TrueType subsets only). Written in ReportLab's invariant mode and without a
generation time, so the same list (same data, case and as_of) gives the same bytes. At most
MAX_LINES lines fit the page; the rest are counted on it and are in the CSV.
"""
from __future__ import annotations

import io
import logging
import datetime as dt
from pathlib import Path

from graph import Graph
from ingest.parse import format_fen

from .flow import RULE_ZH
from .freeze import ASSET_KIND_ZH, BASIS_ZH, KIND_ZH, FreezeListError, freeze_list, status_zh, to_csv_bytes

logger = logging.getLogger(__name__)

FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
FONT_NAME = "WQYMicroHei"
MAX_LINES = 16
ORDER_ZH = ("排序：被执行人本人账户在先，其后按资金层级（1 = 被执行人直接转入），再按与被执行人关系的亲疏、"
            "追踪金额由大到小。建议金额以追踪金额为限，已知余额日期不早于最后流入日的以余额为限，"
            "已冻结/查封的不再建议，依次分配至未履行金额用尽为止。")


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = next((p for p in FONT_PATHS if p.exists()), None)
    if path is None:
        raise FreezeListError("CJK TrueType font not found: install it with `apt-get install fonts-wqy-microhei`")
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME


def pdf_bytes(fl: dict) -> bytes:
    """The one-page PDF of a freeze list (`investigations.freeze.freeze_list`): as many lines as fit
    one page (at most MAX_LINES), the rest counted on the page."""
    n = MAX_LINES
    while True:
        data, pages = _build(fl, n)
        if pages <= 1 or n <= 1:
            return data
        n -= 2 if n > 4 else 1


def _build(fl: dict, max_lines: int) -> tuple[bytes, int]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    base = ParagraphStyle("b", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK")
    small = ParagraphStyle("s", parent=base, fontSize=6.8, leading=8.4)
    title = ParagraphStyle("t", parent=base, fontSize=15, leading=20, alignment=TA_CENTER)
    head = ParagraphStyle("h", parent=base, fontSize=8.5, leading=12)

    def P(text: str, st: ParagraphStyle = base) -> Paragraph:
        from html import escape
        return Paragraph(escape(text), st)

    def y(fen: int | None) -> str:
        return "—" if fen is None else format_fen(fen, "¥")

    cases = fl["case_no"] or "、".join(fl["cases"]) or "—"
    story = [P("冻结/保全建议清单", title), Spacer(1, 2 * mm),
             P(f"被执行人：{fl['subject_name'] or ''}（{fl['subject_id']}）　案号：{cases}　"
               f"数据截止日：{fl['as_of']}　追踪起始日：{fl['since']}　清单编号：{fl['list_id']}", head),
             P(f"未履行金额：{y(fl['graph_unpaid_fen'])}；本案已登记扣划/履行：{y(fl['recorded_settled_fen'])}；"
               f"已登记冻结：{y(fl['recorded_frozen_fen'])}；尚需保全：{y(fl['unpaid_fen'])}；"
               f"本清单建议冻结合计：{y(fl['proposed_fen'])}。", head), Spacer(1, 2 * mm)]
    header = ["序号", "类别", "账号/财产编号", "开户机构/类型", "户名/所有人", "与被执行人关系", "列入依据", "层级",
              "追踪金额", "最新余额（日期）", "冻结/查封", "建议冻结金额", "依据线索"]
    rows = [[P(h, small) for h in header]]
    lines = fl["lines"]
    for ln in lines[:max_lines]:
        bal = "—" if ln["balance_fen"] is None else f"{y(ln['balance_fen'])}（{ln['balance_on']}）"
        rows.append([P(str(ln["no"]), small), P(KIND_ZH[ln["kind"]], small), P(ln["target"], small),
                     P((ASSET_KIND_ZH.get(ln["institution"] or "", ln["institution"]) if ln["kind"] == "asset"
                       else ln["institution"]) or "", small), P(ln["holder_name"] or "", small),
                     P(ln["relation_zh"] or "", small), P(BASIS_ZH[ln["basis"]], small), P(str(ln["hops"]), small),
                     P(y(ln["traced_fen"]), small), P(bal, small), P(status_zh(ln) or "未知", small),
                     P(y(ln["proposed_fen"]), small), P(" ".join(x[:10] for x in ln["lead_ids"][:3])
                                                        + (" …" if len(ln["lead_ids"]) > 3 else ""), small)])
    if not lines:
        rows.append([P("—", small)] + [P("未发现可建议冻结的账户或财产", small)] + [""] * (len(header) - 2))
    widths = [8, 10, 32, 26, 28, 30, 16, 8, 23, 31, 14, 23, 0]
    widths[-1] = 277 - sum(widths[:-1])
    t = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    story.append(t)
    story.append(Spacer(1, 2 * mm))
    if len(lines) > max_lines:
        rest = lines[max_lines:]
        story.append(P(f"另有 {len(rest)} 项（建议金额合计 {y(sum(x['proposed_fen'] for x in rest))}）未列于本页，"
                       "见同一清单编号的 CSV 文件。", small))
    lo = fl["left_out"]
    notes = [f"归集规则：{RULE_ZH}", ORDER_ZH,
             f"追踪范围：最多 {lo['max_hops']} 层、{lo['max_edges']} 笔交易"
             + ("（已达上限，部分资金未追踪）" if lo["truncated"] else "")
             + (f"；{len(lo['not_followed'])} 个交易频繁账户未继续追踪" if lo["not_followed"] else "") + "。",
             "余额来源为“文件:行号”；冻结/查封状态依据已导入的限制措施记录，无记录即“未知”。本清单为调查建议，"
             "不替代法院的冻结、查封裁定。"]
    for n in notes:
        story.append(P(n, small))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=9 * mm, bottomMargin=9 * mm, invariant=1,
                            title=f"冻结/保全建议清单 {fl['subject_id']} {fl['as_of']}", author="", creator="")
    doc.build(story)
    return buf.getvalue(), doc.page


def write_pdf(fl: dict, path: Path) -> Path:
    path = Path(path)
    path.write_bytes(pdf_bytes(fl))
    return path


def package_files(graph: Graph, subject_id: str, case_no: str | None, as_of: dt.date,
                  leads: list[dict] | None = None, recoveries: list[dict] | None = None) -> dict[str, bytes]:
    """The freeze list as the evidence package includes it: {file name: bytes} for the CSV (BOM) and
    the one-page PDF, named with the list id; same inputs, same bytes."""
    fl = freeze_list(graph, subject_id, case_no, as_of, leads=leads, recoveries=recoveries)
    return {f"冻结保全建议清单_{fl['list_id']}.csv": to_csv_bytes(fl),
            f"冻结保全建议清单_{fl['list_id']}.pdf": pdf_bytes(fl)}
