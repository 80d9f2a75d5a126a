"""Step 3 of the package: the files a prosecutor opens besides the PDF.

evidence.csv (UTF-8 with BOM, CRLF), leads.json (canonical JSON) and network.html (offline:
vis-network from static/vendor inlined, the page rendered from evidence/templates/network.html).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from investigations import netmodel
from investigations.scan import TOOL_VERSION

from .common import MAX_HTML_NODES, PACKAGE_FORMAT, json_bytes
from .network import evidence_network, legend, vis_data

ROOT = Path(__file__).resolve().parent.parent
VENDOR_VIS = ROOT / "static" / "vendor" / "vis-network"
_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                         autoescape=select_autoescape(["html"]), keep_trailing_newline=True)

#: evidence.csv columns: (header, record key). Headers are Chinese; docs/evidence-package.md
#: gives the English meaning of each.
CSV_COLUMNS = (
    ("记录类型", "kind_zh"), ("编号", "id"), ("日期", "date"), ("时间", "time"), ("方向", "direction_zh"),
    ("转出方", "from"), ("转入方", "to"), ("对方编号", "counterparty_id"), ("对方名称", "counterparty_name"),
    ("与被调查人关系", "relation_zh"), ("财产编号", "asset_id"), ("金额", "amount"), ("金额（分）", "amount_fen"),
    ("币种", "currency"), ("评估价值", "appraised"), ("诉讼开始后", "after_start_zh"),
    ("引用模式", "patterns_text"), ("来源文件", "src_file"), ("来源行", "src_row"),
    ("付款方流水文件", "out_file"), ("付款方流水行", "out_row"), ("付款方流水号", "out_serial"),
    ("收款方流水文件", "in_file"), ("收款方流水行", "in_row"), ("收款方流水号", "in_serial"), ("导入批次", "load_id"),
)


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
    return json_bytes({
        "package_format": PACKAGE_FORMAT, "tool_version": TOOL_VERSION,
        "subject_id": data["subject_id"], "subject_name": data["profile"].get("name"),
        "case_no": data["case_no"], "as_of": data["as_of"].isoformat(), "parameters": data["parameters"],
        "subject": summary, "leads": data["leads"],
    })


def _script_json(obj: Any) -> str:
    """JSON safe to embed in a <script>: <, >, & and line separators escaped."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def vis_assets() -> tuple[str, str]:
    """vis-network 9.1.2 JS and CSS from static/vendor (inlined: the HTML works offline)."""
    js = (VENDOR_VIS / "vis-network.min.js").read_text(encoding="utf-8")
    css = (VENDOR_VIS / "vis-network.css").read_text(encoding="utf-8")
    # the bundle must not be able to close our script / style element early
    js = js.replace("</script", "<\\/script")
    css = css.replace("</style", "<\\/style")
    return js, css


def network_html(data: dict, package_id: str) -> bytes:
    """The offline interactive network: vis-network inlined, the model's data embedded as escaped JSON."""
    net = evidence_network(data, MAX_HTML_NODES)
    vis = vis_data(net)
    js, css = vis_assets()
    page = _TEMPLATES.get_template("network.html").render(
        name=data["profile"].get("name") or data["subject_id"], subject_id=data["subject_id"],
        as_of=data["as_of"].isoformat(), package_id=package_id, legend=legend(),
        notice=netmodel.cap_notice(len(net["nodes"]), net["more"], MAX_HTML_NODES),
        css=css, js=js, nodes_json=_script_json(vis["nodes"]), edges_json=_script_json(vis["edges"]))
    return page.encode("utf-8")
