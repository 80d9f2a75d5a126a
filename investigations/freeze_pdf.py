"""The freeze list as a one-page Chinese PDF (A4 landscape), CJK font embedded, reproducible bytes.

Rendered from the Jinja template templates/freeze/freeze_list.html through investigations.pdfdoc,
the one PDF home (font, base stylesheet, WeasyPrint without network), as the evidence dossier is.
No generation time in it, so the same list (same data, case and as_of) gives the same bytes. At
most MAX_LINES lines fit the page; the rest are counted on it and are in the CSV.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from graph import Graph
from ingest.parse import format_fen

from . import pdfdoc
from .flow import RULE_ZH
from .freeze import (ASSET_KIND_ZH, BASIS_ZH, KIND_ZH, FreezeListError, encumbrance_zh, freeze_list, status_zh,
                     to_csv_bytes)

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates" / "freeze"
MAX_LINES = 16
ORDER_ZH = ("排序：被执行人本人账户在先，其次为被执行人名下仍持有的财产（房产、车辆、股权等，建议金额为估值减去"
            "在先抵押/质押担保金额，已查封的不再建议），其后按资金层级（1 = 被执行人直接转入），再按与被执行人关系的亲疏、"
            "追踪金额由大到小。建议金额以追踪金额为限，已知余额日期不早于最后流入日的以余额为限，"
            "已冻结/查封的不再建议，依次分配至未履行金额用尽为止。")
HEADER = ["序号", "类别", "账号/财产编号", "开户机构/类型", "户名/所有人", "与被执行人关系", "列入依据", "层级",
          "追踪金额", "最新余额（日期）", "冻结/查封", "建议冻结金额", "依据线索"]
#: Column widths in mm; the last takes what is left of the 277 mm landscape frame.
WIDTHS = [8, 10, 32, 26, 28, 30, 16, 8, 23, 31, 14, 23]


def pdf_bytes(fl: dict) -> bytes:
    """The one-page PDF of a freeze list (`investigations.freeze.freeze_list`): as many lines as fit
    one page (at most MAX_LINES), the rest counted on the page."""
    n = MAX_LINES
    while True:
        data, pages = _build(fl, n)
        if pages <= 1 or n <= 1:
            return data
        n -= 2 if n > 4 else 1


def _y(fen: int | None) -> str:
    return "—" if fen is None else format_fen(fen, "¥")


def _row(ln: dict) -> list[str]:
    bal = "—" if ln["balance_fen"] is None else f"{_y(ln['balance_fen'])}（{ln['balance_on']}）"
    inst = (ASSET_KIND_ZH.get(ln["institution"] or "", ln["institution"]) if ln["kind"] == "asset"
            else ln["institution"]) or ""
    leads = " ".join(x[:10] for x in ln["lead_ids"][:3]) + (" …" if len(ln["lead_ids"]) > 3 else "")
    return [str(ln["no"]), KIND_ZH[ln["kind"]], ln["target"], inst, ln["holder_name"] or "", ln["relation_zh"] or "",
            BASIS_ZH[ln["basis"]], str(ln["hops"]), _y(ln["traced_fen"]), bal, status_zh(ln) or "未知",
            _y(ln["proposed_fen"]), leads]


def _build(fl: dict, max_lines: int) -> tuple[bytes, int]:
    lines = fl["lines"]
    rest = lines[max_lines:]
    lo = fl["left_out"]
    notes = [f"归集规则：{RULE_ZH}", ORDER_ZH,
             f"追踪范围：最多 {lo['max_hops']} 层、{lo['max_edges']} 笔交易"
             + ("（已达上限，部分资金未追踪）" if lo["truncated"] else "")
             + (f"；{len(lo['not_followed'])} 个交易频繁账户未继续追踪" if lo["not_followed"] else "") + "。",
             "余额来源为“文件:行号”；冻结/查封状态依据已导入的限制措施记录，无记录即“未知”。本清单为调查建议，"
             "不替代法院的冻结、查封裁定。"]
    context = {
        "title": f"冻结/保全建议清单 {fl['subject_id']} {fl['as_of']}", "author": "", "subject": "冻结/保全建议清单",
        "generator": "investigations.freeze_pdf",
        "subject_name": fl["subject_name"] or "", "subject_id": fl["subject_id"],
        "cases": fl["case_no"] or "、".join(fl["cases"]) or "—", "as_of": fl["as_of"], "since": fl["since"],
        "list_id": fl["list_id"], "graph_unpaid": _y(fl["graph_unpaid_fen"]),
        "settled": _y(fl["recorded_settled_fen"]), "frozen": _y(fl["recorded_frozen_fen"]),
        "unpaid": _y(fl["unpaid_fen"]), "proposed": _y(fl["proposed_fen"]),
        "header": HEADER, "widths": WIDTHS + [277 - sum(WIDTHS)], "rows": [_row(ln) for ln in lines[:max_lines]],
        "rest": len(rest), "rest_proposed": _y(sum(x["proposed_fen"] for x in rest)), "notes": notes,
        "encumbrances": [(ln["no"], encumbrance_zh(ln)) for ln in lines[:max_lines] if ln.get("encumbrances")],
    }
    try:
        return pdfdoc.render("freeze_list.html", context, [TEMPLATES])
    except pdfdoc.PdfError as e:
        raise FreezeListError(str(e)) from e


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
