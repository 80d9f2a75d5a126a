"""Locale choice, label dictionaries and display helpers (money, masking) used by every template.

Source strings are English; Simplified Chinese (zh) is the default locale and every
user-facing string has a zh translation in translations/zh (tests/test_web_i18n.py checks).
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from flask import session
from flask_babel import get_locale as babel_locale
from flask_babel import lazy_gettext as _l

from ingest import clock
from ingest.parse import format_fen, parse_money_fen

logger = logging.getLogger(__name__)

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LOCALE = "zh"


def select_locale() -> str:
    """The session's choice (set by the language switch), else Chinese."""
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    return DEFAULT_LOCALE


def current_lang() -> str:
    return str(babel_locale() or DEFAULT_LOCALE)[:2]


def compile_translations(root: Path) -> None:
    """Compile translations/*/LC_MESSAGES/messages.po to .mo when missing or older (no network needed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)
        except OSError as exc:  # read-only install: use the committed .mo
            logger.warning("cannot compile %s: %s", po, exc)


# --- labels for enumerations (lazy, so they follow the request's locale) -----------------------
NODE_KINDS = {"person": _l("Person"), "inmate": _l("Inmate"), "company": _l("Company"),
              "account": _l("Account"), "unknown_account": _l("Unknown-holder account"),
              "asset": _l("Asset")}
EDGE_KINDS = {"holds": _l("holds"), "transfer": _l("transfer"), "related": _l("related"),
              "role": _l("role"), "owns": _l("owns"), "conveyed": _l("conveyed"),
              "conveyed_to": _l("conveyed to")}
RELATIONS = {"spouse": _l("spouse"), "former_spouse": _l("former spouse"), "parent": _l("parent"),
             "child": _l("child"), "sibling": _l("sibling"), "relative": _l("relative"),
             "associate": _l("associate"), "self": _l("own account"), "related_role": _l("company of a relative"),
             "role:legal_rep": _l("company (legal representative)"),
             "role:shareholder": _l("company (shareholder)"), "role:officer": _l("company (officer)"),
             "role:supervisor": _l("company (supervisor)")}
ROLES_COMPANY = {"legal_rep": _l("legal representative"), "shareholder": _l("shareholder"),
                 "officer": _l("officer"), "supervisor": _l("supervisor")}
CASE_KINDS = {"criminal_fine": _l("criminal fine"), "confiscation": _l("confiscation"),
              "restitution": _l("restitution"), "civil_enforcement": _l("civil enforcement")}
STAGES = {"before_judgment": _l("before judgment"), "after_judgment": _l("after judgment"),
          "in_enforcement": _l("in enforcement"), "before_litigation": _l("before litigation")}
STATUSES = {"open": _l("open"), "in_progress": _l("in progress"), "referred": _l("referred"),
            "dismissed": _l("dismissed"), "recovered": _l("recovered")}
USER_ROLES = {"investigator": _l("investigator"), "supervisor": _l("supervisor"), "admin": _l("administrator")}
ACCOUNT_KINDS = {"bank": _l("bank"), "prison": _l("prison account"), "payment": _l("payment platform"),
                 "securities": _l("securities")}
ASSET_KINDS = {"real_estate": _l("real estate"), "vehicle": _l("vehicle"), "equity": _l("equity"),
               "other": _l("other")}
DIRECTIONS = {"in": _l("in"), "out": _l("out"), "internal": _l("between own accounts")}
TREATMENT = {"lenient": _l("lenient"), "ordinary": _l("ordinary"), "probation": _l("probation"),
             "strict": _l("strict")}
MILESTONES = {"filed_on": _l("filed"), "served_on": _l("served"), "judged_on": _l("judged"),
              "effective_on": _l("judgment effective"), "enforcement_filed_on": _l("enforcement")}
PIN_KINDS = {"transfer": _l("transfer"), "conveyance": _l("conveyance"), "lead": _l("lead")}
GENDERS = {"M": _l("male"), "F": _l("female")}
MEASURES = {"consumption_ban": _l("consumption ban"), "dishonest_list": _l("dishonest-debtor list"),
            "account_freeze": _l("account freeze"), "asset_seizure": _l("asset seizure"),
            "mortgage": _l("mortgage"), "pledge": _l("pledge"),
            "cash_withdrawal": _l("cash withdrawal"), "cash_deposit": _l("cash deposit")}
# the freeze list's words (investigations.labels "freeze_kind" / "freeze_status")
FREEZE_KINDS = {"account": _l("account"), "asset": _l("asset")}
FREEZE_STATUS = {"account_freeze": _l("already frozen"), "asset_seizure": _l("already seized"),
                 "recorded_frozen": _l("frozen (recorded for this case)"), "mortgage": _l("mortgaged"),
                 "pledge": _l("pledged")}

TABLES = {"node_kind": NODE_KINDS, "edge_kind": EDGE_KINDS, "relation": RELATIONS, "company_role": ROLES_COMPANY,
          "case_kind": CASE_KINDS, "stage": STAGES, "status": STATUSES, "user_role": USER_ROLES,
          "account_kind": ACCOUNT_KINDS, "asset_kind": ASSET_KINDS, "direction": DIRECTIONS,
          "treatment": TREATMENT, "milestone": MILESTONES, "pin_kind": PIN_KINDS, "gender": GENDERS,
          "measure": MEASURES, "freeze_kind": FREEZE_KINDS, "freeze_status": FREEZE_STATUS}


def label(table: str, value: object) -> str:
    """A translated label for an enumeration value; unknown values shown as they are."""
    if value is None or value == "":
        return "—"
    got = TABLES.get(table, {}).get(str(value))
    return str(got) if got is not None else str(value)


def relation_text(row: dict) -> str:
    """A transfer's or conveyance's relation to the subject in the page's language, as the leads word it
    (investigations.related.relation_fields); blank when no relation is known."""
    if row.get("relation") != "self" and not row.get("tie_kind"):
        return ""
    return (row.get("relation_zh") if current_lang() == "zh" else row.get("relation_en")) or ""


# --- display helpers ---------------------------------------------------------------------------
def yuan(fen: int | None, symbol: bool = True) -> str:
    """Integer fen as yuan with thousands separators, exact (no float)."""
    return "—" if fen is None else format_fen(fen, "¥" if symbol else "")


def money(minor: int | None, currency: str | None = "CNY") -> str:
    """An amount in its own currency: CNY as yuan (¥), any other as `USD 1,234.56` (its 1/100 units),
    never as yuan."""
    if minor is None:
        return "—"
    cur = currency or "CNY"
    return yuan(minor) if cur == "CNY" else f"{cur} {format_fen(minor, '')}"


def money_totals(totals: dict[str, Any]) -> str:
    """Per-currency totals (`{"USD": 123}` or `{"USD": {"amount_minor": 123, ...}}`), CNY first, never summed."""
    parts = []
    for cur in sorted(totals, key=lambda c: (c != "CNY", c)):
        v = totals[cur]
        parts.append(money(v["amount_minor"] if isinstance(v, dict) else v, cur))
    return " · ".join(parts) or "—"


def yuan_short(fen: int | None) -> str:
    """Compact amount for chart and edge labels: ¥12.3万 / ¥1,234."""
    if fen is None:
        return ""
    y = int(fen) // 100
    if current_lang() == "zh" and abs(y) >= 10000:
        return f"¥{y / 10000:.1f}万".replace(".0万", "万")
    return f"¥{y:,}"


def parse_yuan(text: str | None) -> int | None:
    """'1,234.5' / '¥1234.50' / '1234元' -> fen, by the one money rule (ingest.parse.parse_money_fen):
    None for blank; ValueError naming the problem for malformed, negative or sub-fen input."""
    if text is None or not str(text).strip():
        return None
    return parse_money_fen(str(text))


def parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return dt.date.fromisoformat(str(text).strip())


def mask_id_number(value: str | None) -> str:
    """110101********1234: region code and the last four visible."""
    if not value:
        return "—"
    v = str(value)
    if len(v) <= 10:
        return v[:2] + "*" * max(0, len(v) - 2)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    """138****5678."""
    if not value:
        return "—"
    v = str(value)
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def fmt_date(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # an app-store / load time: Beijing time, zone named
            return clock.display(value, current_lang())
        return value.strftime("%Y-%m-%d %H:%M")  # a statement's own clock
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if len(text) >= 16 and text[4:5] == "-" and text[10:11] == "T":  # ISO timestamp from JSON
        return text[:10] if text[11:19] == "00:00:00" else text[:16].replace("T", " ")
    return text


def baseline_lines(details: dict | None) -> list[str]:
    """The baseline a lead was judged against, in the UI language (investigations.baseline.describe)."""
    from investigations.baseline import describe
    return describe(details, current_lang())


def template_helpers() -> dict:
    return {"baseline_lines": baseline_lines, "yuan": yuan, "money": money, "money_totals": money_totals, "yuan_short": yuan_short, "label": label, "mask_id_number": mask_id_number,
            "mask_phone": mask_phone, "fmt_date": fmt_date, "current_lang": current_lang,
            "LANGUAGES": LANGUAGES}
