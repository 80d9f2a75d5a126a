"""The subject timeline as inline SVG drawn on the server (no JS chart library, nothing to download).

Transfers out are drawn above the axis, transfers in below, sized by amount; conveyances
are squares; cash withdrawals / deposits are diamonds (above / below); court measures and
encumbrances (tl["markers"], investigations.measures.timeline_overlay) are triangles on a band
under the milestones; case milestones (served, judged, effective, enforcement) are vertical lines.
The model and the classes of its events come from investigations.timeline, as for the evidence
dossier's figure; this module only draws them. Every text goes through markupsafe.escape.
"""
from __future__ import annotations

import datetime as dt
import math

from markupsafe import Markup, escape

from flask_babel import gettext as _

from investigations import timeline

from .i18n import current_lang, fmt_date, label, relation_text, yuan

W, H = 960, 300
PAD_L, PAD_R, AXIS_Y = 40, 20, 160
CASE_COLOURS = ("#c0392b", "#2c3e50", "#8e44ad", "#16a085", "#d35400")
CASH_COLOUR = timeline.CASH_COLOUR
MARKER_Y = 52


def timeline_svg(tl: dict, lead_ids: set[str] | None = None) -> Markup:
    """SVG markup for `investigations.timeline.subject_timeline(...)`; evidence ids in `lead_ids` are outlined."""
    lead_ids = lead_ids or set()
    days = [e["on"] for e in tl.get("events", []) if e.get("on")]
    days += [m["on"] for m in tl.get("markers", []) if m.get("on")]
    days += [d for c in tl.get("cases", []) if c.get("open") for d in c["milestones"].values()]
    if not days:
        days = [d for c in tl.get("cases", []) for d in c["milestones"].values()]
    if not days:
        return Markup("")
    start = min(days) - dt.timedelta(days=15)
    end = max(days) + dt.timedelta(days=15)
    span = max(1, (end - start).days)

    def x(d: dt.date) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * (d - start).days / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" class="timeline" role="img" '
           f'aria-label="{escape(_("Timeline"))}">']
    out.append(f'<line x1="{PAD_L}" y1="{AXIS_Y}" x2="{W - PAD_R}" y2="{AXIS_Y}" stroke="#555"/>')
    # year / month ticks
    months = max(1, span // 30)
    step = 1 if months <= 18 else (3 if months <= 48 else 12)
    d = dt.date(start.year, start.month, 1)
    while d <= end:
        if d >= start and (d.month - 1) % step == 0:
            xx = x(d)
            out.append(f'<line x1="{xx:.1f}" y1="{AXIS_Y - 4}" x2="{xx:.1f}" y2="{AXIS_Y + 4}" stroke="#555"/>')
            out.append(f'<text x="{xx:.1f}" y="{H - 6}" font-size="10" text-anchor="middle" fill="#555">'
                       f'{d.year}-{d.month:02d}</text>')
        d = dt.date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    # case milestones
    for i, c in enumerate(tl.get("cases", [])):
        colour = CASE_COLOURS[i % len(CASE_COLOURS)]
        for j, (name, day) in enumerate(sorted(c["milestones"].items(), key=lambda kv: kv[1])):
            if (name == "filed_on" and "served_on" in c["milestones"]) or not (start <= day <= end):
                continue
            xx = x(day)
            out.append(f'<line x1="{xx:.1f}" y1="18" x2="{xx:.1f}" y2="{H - 22}" stroke="{colour}" '
                       f'stroke-dasharray="4 3" opacity="0.8"><title>{escape(c["case_no"])} '
                       f'{escape(label("milestone", name))} {escape(fmt_date(day))}</title></line>')
            out.append(f'<text x="{xx + 2:.1f}" y="{12 + 11 * (j % 3)}" font-size="10" fill="{colour}">'
                       f'{escape(label("milestone", name))}</text>')
    # events: out above the axis, in below; stacked in lanes so same-day events stay visible
    amounts = [e.get("amount_fen") or 0 for e in tl.get("events", [])]
    top = max(amounts) if amounts else 1
    lanes: dict[bool, list[float]] = {True: [], False: []}
    for e in tl.get("events", []):
        if e.get("on") is None or not (start <= e["on"] <= end):
            continue
        xx = x(e["on"])
        r = 3 + 9 * math.sqrt((e.get("amount_fen") or 0) / top) if top else 3
        cls = timeline.event_class(e, tl.get("cash", {}))
        cash = cls if cls in ("cash_withdrawal", "cash_deposit") else None
        up = timeline.is_outflow(e, tl.get("cash", {}))
        row = lanes[up]
        lane = next((i for i, last in enumerate(row) if xx - r > last + 1), None)
        if lane is None:
            lane = len(row)
            row.append(-1e9)
        row[lane] = xx + r
        lane = min(lane, 5)
        offset = 18 + 12 + lane * 22
        yy = AXIS_Y - offset if up else AXIS_Y + offset
        colour = "#c0392b" if up else "#27ae60"
        stroke = ' stroke="#000" stroke-width="2"' if e["id"] in lead_ids else ""
        tip = (f'{fmt_date(e["on"])} {label("pin_kind", e["kind"])} {label("direction", e.get("direction"))} '
               f'{yuan(e.get("amount_fen")) if e.get("currency", "CNY") == "CNY" else e.get("currency")} '
               f'{e.get("counterparty_name") or ""} {relation_text(e)}')
        if cash:
            tip = f'{fmt_date(e["on"])} {label("measure", cash)} {yuan(e.get("amount_fen"))}'
            out.append(f'<polygon class="cash" points="{xx:.1f},{yy - r - 1:.1f} {xx + r + 1:.1f},{yy:.1f} '
                       f'{xx:.1f},{yy + r + 1:.1f} {xx - r - 1:.1f},{yy:.1f}" fill="{CASH_COLOUR}" opacity="0.85"'
                       f'{stroke}><title>{escape(tip)}</title></polygon>')
        elif cls in ("conveyance_out", "conveyance_in"):
            out.append(f'<rect x="{xx - r:.1f}" y="{yy - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
                       f'fill="#d68910" opacity="0.8"{stroke}><title>{escape(tip)}</title></rect>')
        else:
            out.append(f'<circle cx="{xx:.1f}" cy="{yy:.1f}" r="{r:.1f}" fill="{colour}" opacity="0.75"{stroke}>'
                       f'<title>{escape(tip)}</title></circle>')
    # court measures and encumbrances: triangles on their own band, a tooltip naming them
    lang = current_lang()
    for i, m in enumerate(tl.get("markers", [])):
        if not (start <= m["on"] <= end):
            continue
        xx = x(m["on"])
        colour, filled = timeline.marker_style(m["type"])
        fill = colour if filled else "#fff"
        yy = MARKER_Y + 9 * (i % 2)
        tip = f'{fmt_date(m["on"])} {m.get("label_" + lang) or m.get("label_zh")}'
        out.append(f'<polygon class="measure {escape(m["type"])}" points="{xx - 5:.1f},{yy - 5:.1f} '
                   f'{xx + 5:.1f},{yy - 5:.1f} {xx:.1f},{yy + 4:.1f}" fill="{fill}" stroke="{colour}" '
                   f'stroke-width="1.5"><title>{escape(tip)}</title></polygon>')
    out.append("</svg>")
    return Markup("".join(out))
