"""The web network page's side of the one network model (investigations.netmodel): the page's words
(its translation catalogue, so the page follows the language switch) handed to the model.

Positions are computed on the server (investigations.netmodel.layout); the browser runs physics
only up to netmodel.PHYSICS_MAX_NODES, and then only to settle an already laid-out picture.
Labels are plain text (vis-network renders string titles as text; the template passes data
through |tojson), so names cannot inject HTML.
"""
from __future__ import annotations

from typing import Any

from investigations import netmodel

from .i18n import fmt_date, label, yuan, yuan_short

WORDS = netmodel.Words(label=label, yuan=yuan, yuan_short=yuan_short, date=fmt_date)


def to_vis(nb: dict, evidence: set[str] | None = None, positions: dict | None = None) -> dict[str, Any]:
    """vis-network nodes/edges (+ meta) for the template / JSON API; `evidence` ids are highlighted."""
    return netmodel.to_vis(nb, WORDS, evidence, positions)


def legend() -> list[dict]:
    """The model's legend in the page's language."""
    return netmodel.legend(WORDS)
