"""The one PDF home (investigations.pdfdoc) and the timeline model (investigations.timeline).

Rendering uses the real WeasyPrint and the real font; the fetcher is checked against a real local
HTTP server that counts requests (it must see none). The freeze list is rendered from a list built
here (its figures come from investigations.freeze, tested against Neo4j in test_freeze_generated and
test_recovery_web).
"""
from __future__ import annotations

import datetime as dt
import http.server
import re
import subprocess
import threading
from pathlib import Path

import pytest

from investigations import freeze_pdf, pdfdoc, timeline


def _freeze_list(n: int) -> dict:
    lines = [{"no": i, "kind": "account", "target": f"6222{i:012d}", "institution": "工商银行",
              "holder_name": "李娜", "relation_zh": "配偶", "basis": "related", "hops": 1, "traced_fen": 20000000 + i,
              "balance_fen": 1234550 if i == 1 else None, "balance_on": "2025-10-30" if i == 1 else None,
              "proposed_fen": 100000 * i, "lead_ids": ["a" * 40, "b" * 40, "c" * 40, "d" * 40], "restrictions": []}
             for i in range(1, n + 1)]
    return {"subject_name": "张伟<b>", "subject_id": "P001", "case_no": "(2024)京0105民初123号", "cases": [],
            "as_of": "2025-10-31", "since": "2024-03-20", "list_id": "0123456789abcdef",
            "graph_unpaid_fen": 80000000, "recorded_settled_fen": 0, "recorded_frozen_fen": 0,
            "unpaid_fen": 80000000, "proposed_fen": sum(x["proposed_fen"] for x in lines), "lines": lines,
            "left_out": {"max_hops": 4, "max_edges": 5000, "truncated": False, "not_followed": []}}


def _text(pdf: bytes, tmp_path: Path) -> str:
    p = tmp_path / "x.pdf"
    p.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(p), "-"], check=True, capture_output=True, text=True).stdout


def test_freeze_list_pdf_is_one_reproducible_page_with_the_font_embedded(tmp_path, artifacts_dir):
    fl = _freeze_list(30)
    a = freeze_pdf.pdf_bytes(fl)
    assert a == freeze_pdf.pdf_bytes(fl)  # same list, same bytes
    assert b"/CreationDate" not in a and b"/ModDate" not in a
    p = tmp_path / "f.pdf"
    p.write_bytes(a)
    info = subprocess.run(["pdfinfo", str(p)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "landscape" not in info and "841.89 x 595.276" in info
    fonts = subprocess.run(["pdffonts", str(p)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all("WenQuanYi" in ln and re.search(r"\syes\s+yes\s", ln) for ln in fonts)
    flat = "".join(_text(a, tmp_path).split())
    for fact in ("冻结/保全建议清单", "张伟<b>（P001）", "清单编号：0123456789abcdef", "¥800,000.00", "¥200,000.01",
                 "¥12,345.50", "2025-10-30", "归集规则", "不替代法院的冻结、查封裁定"):
        assert fact in flat, fact
    shown = len(re.findall(r"6222\d{12}", flat))
    assert 1 <= shown <= freeze_pdf.MAX_LINES
    rest = fl["lines"][shown:]
    assert f"另有{len(rest)}项（建议金额合计¥{sum(x['proposed_fen'] for x in rest) // 100:,}.00）" in flat
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(p), str(artifacts_dir / "freeze-list-test")], check=True)


def test_a_different_list_gives_different_bytes():
    a, b = _freeze_list(3), _freeze_list(3)
    b["as_of"] = "2025-11-01"
    assert freeze_pdf.pdf_bytes(a) != freeze_pdf.pdf_bytes(b)


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"p { color: red }")

    def log_message(self, *a: object) -> None:
        pass


def test_rendering_never_fetches_from_the_network(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    outside = tmp_path / "outside.css"
    outside.write_text("p { color: blue }")
    (tmp_path / "t.html").write_text(
        '{% extends "base.html" %}{% block body %}'
        f'<link rel="stylesheet" href="{url}/a.css"><img src="{url}/b.png">'
        f'<img src="{outside.as_uri()}"><p style="background: url({url}/c.png)">正文</p>'
        '{% endblock %}')
    try:
        pdf, pages = pdfdoc.render("t.html", {"title": "t", "author": "", "subject": "", "generator": ""}, [tmp_path])
    finally:
        server.shutdown()
    assert pages == 1 and pdf.startswith(b"%PDF-")
    assert _Counter.hits == []
    fetcher = pdfdoc.local_fetcher()
    for bad in (f"{url}/x.css", "https://example.org/x.png", outside.as_uri(), "ftp://h/x"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(bad)
    assert _Counter.hits == []
    assert fetcher.fetch(pdfdoc.font_path().as_uri()).read()[:4] == b"ttcf"  # the font itself is local
    assert fetcher.fetch("data:text/plain;base64,5Lit").read() == "中".encode()


def test_missing_font_names_the_package(monkeypatch):
    monkeypatch.setattr(pdfdoc, "FONT_PATHS", (Path("/nonexistent/wqy.ttc"),))
    with pytest.raises(pdfdoc.PdfError, match="fonts-wqy-microhei"):
        pdfdoc.font_path()
    with pytest.raises(freeze_pdf.FreezeListError, match="fonts-wqy-microhei"):
        freeze_pdf.pdf_bytes(_freeze_list(1))


def test_cells_are_escaped_and_keep_their_line_breaks():
    env = pdfdoc.environment()
    html = env.from_string('{% from "table.html" import grid %}{{ grid(["a"], rows, [100]) }}').render(
        rows=[["<script>x</script>\n第二行"]])
    assert "&lt;script&gt;x&lt;/script&gt;<br>第二行" in html and "<script>" not in html
    empty = env.from_string('{% from "table.html" import grid %}{{ grid(["a", "b"], [], [50, 50]) }}').render()
    assert "（无）" in empty


D = dt.date(2024, 5, 1)


def _ev(i: str, kind: str = "transfer", direction: str = "out", **kw: object) -> dict:
    return {"kind": kind, "id": i, "on": D, "amount_fen": 100, "direction": direction, "currency": "CNY", **kw}


def test_one_classification_of_timeline_events():
    cash = {"C1": "cash_withdrawal", "C2": "cash_deposit"}
    cases = {"C1": (_ev("C1", direction="internal"), "cash_withdrawal", True),
             "C2": (_ev("C2", direction="internal"), "cash_deposit", False),
             "T1": (_ev("T1", tie_kind="spouse"), "out_related", True),
             "T2": (_ev("T2"), "out_other", True),
             "T3": (_ev("T3", direction="in"), "in", False),
             "T4": (_ev("T4", direction="chain"), "chain", False),
             "T5": (_ev("T5", currency="USD"), "non_cny", True),
             "T6": (_ev("T6", direction="in", currency="USD"), "non_cny", False),
             "T7": (_ev("T7", direction="internal"), "internal", True),
             "A1": (_ev("A1", kind="conveyance"), "conveyance_out", True),
             "A2": (_ev("A2", kind="conveyance", direction="in"), "conveyance_in", False),
             "A3": (_ev("A3", kind="conveyance", direction="other"), "conveyance_out", True)}
    for key, (e, cls, out) in cases.items():
        assert timeline.event_class(e, cash) == cls, key
        assert cls in timeline.CLASSES
        assert timeline.is_outflow(e, cash) is out, key


def test_static_events_keep_cited_records_then_the_largest():
    events = [dict(_ev(f"T{i}"), amount_fen=i) for i in range(10)]
    events.append(_ev("T99", direction="internal"))  # own accounts, not cash: not drawn
    events.append(dict(_ev("T98", direction="internal"), amount_fen=5))
    tl = {"events": events, "cited": [("transfer", "T0")], "cash": {"T98": "cash_deposit"}}
    drawn, total = timeline.static_events(tl, 4)
    assert total == 11 and [e["id"] for e in drawn] == ["T0", "T9", "T8", "T7"]
    drawn, total = timeline.static_events(tl, 100)
    assert len(drawn) == total == 11


def test_web_svg_draws_the_classes_of_the_model():
    from flask import Flask  # the SVG's labels are translated: it needs a request context
    from flask_babel import Babel

    from web.charts import timeline_svg

    app = Flask(__name__)
    Babel(app)
    tl = {"cases": [], "markers": [{"on": D, "type": "restriction_lifted", "label_zh": "解除"}],
          "cash": {"C1": "cash_withdrawal"},
          "events": [_ev("C1", direction="internal"), _ev("A1", kind="conveyance", direction="in")]}
    with app.test_request_context():
        svg = str(timeline_svg(tl))
    colour, filled = timeline.marker_style("restriction_lifted")
    assert not filled and f'fill="#fff" stroke="{colour}"' in svg
    assert svg.count('class="cash"') == 1 and svg.count("<rect") == 1
