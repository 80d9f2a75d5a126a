"""Cell parsers for the contract's value formats.

Each parser takes the raw cell text and returns the parsed value, or raises
`ValueError` with a short reason that goes into the rejects file. Money becomes
integer fen through `Decimal`, never through a float.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_DATE_RE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?)?\s*$"
)
_MONEY_STRIP = re.compile(r"[\s,，¥￥]|元$|^RMB|^CNY")
_MONEY_RE = re.compile(r"^\d+(?:\.\d+)?$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
CURRENCY_NAMES = {"人民币": "CNY", "RMB": "CNY", "美元": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR",
                  "日元": "JPY", "英镑": "GBP"}


def parse_datetime(text: str) -> tuple[dt.datetime, bool]:
    """`2024-03-01`, `2024/3/1`, `2024年3月1日`, optionally ` HH:MM[:SS]`.

    Returns the timestamp (midnight when only a date was given) and whether a time was given.
    """
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    try:
        return _stamp(*m.groups())
    except ValueError as exc:
        raise ValueError(f"not a valid date: {text!r} ({exc})") from None


def _stamp(y: str, mo: str, d: str, hh: str | None, mm: str | None, ss: str | None) -> tuple[dt.datetime, bool]:
    """The timestamp of a date's matched parts (midnight without a time) and whether a time was given."""
    if hh is None:
        return dt.datetime(int(y), int(mo), int(d)), False
    return dt.datetime(int(y), int(mo), int(d), int(hh), int(mm or 0), int(ss or 0)), True


def parse_date(text: str) -> dt.date:
    """A date; a timestamp at midnight (as spreadsheets export dates) is accepted too."""
    value, has_time = parse_datetime(text)
    if has_time and value.time() != dt.time(0, 0):
        raise ValueError(f"expected a date, got a time of day: {text!r}")
    return value.date()


def parse_money_fen(text: str) -> int:
    """Yuan (`1234.5`, `1,234.50`, `¥1,234.50`, `1234.50元`) to integer fen; negative refused."""
    raw = text.strip()
    negative = raw.startswith("-") or raw.startswith("−")
    cleaned = _MONEY_STRIP.sub("", raw.lstrip("-−"))
    cleaned = _MONEY_STRIP.sub("", cleaned)
    if not _MONEY_RE.match(cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        yuan = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"more precise than a fen: {text!r}")
    if negative and fen != 0:
        raise ValueError(f"negative amount: {text!r}")
    return int(fen)


def format_fen(fen: int, symbol: str = "", grouped: bool = True) -> str:
    """Integer fen as yuan text with two decimals, exactly (integer arithmetic, never a float):
    `format_fen(123456789, "¥")` -> `¥1,234,567.89`; `grouped=False` -> `1234567.89`.

    The inverse of `parse_money_fen`; every amount the tool shows or writes goes through it.
    """
    sign = "-" if fen < 0 else ""
    y, f = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{y:,}.{f:02d}" if grouped else f"{sign}{symbol}{y}.{f:02d}"


def parse_pct(text: str) -> float:
    """A share percentage 0-100 (`35`, `35.5`, `35%`)."""
    cleaned = text.strip().rstrip("%％").strip()
    try:
        value = float(Decimal(cleaned))
    except InvalidOperation:
        raise ValueError(f"not a percentage: {text!r}") from None
    if not 0 <= value <= 100:
        raise ValueError(f"percentage outside 0-100: {text!r}")
    return value


def parse_currency(text: str) -> str:
    """`CNY`, `usd`, `人民币`, ... to an upper-case ISO code; blank is CNY."""
    t = text.strip()
    if not t:
        return "CNY"
    if t in CURRENCY_NAMES:
        return CURRENCY_NAMES[t]
    if re.fullmatch(r"[A-Za-z]{3}", t):
        return t.upper()
    raise ValueError(f"unknown currency: {text!r}")


def id_number_valid(text: str) -> bool:
    """GB 11643 check of an 18-character resident ID number."""
    t = text.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", t):
        return False
    total = sum(int(ch) * w for ch, w in zip(t[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == t[17]


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits (used by the generator)."""
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


# -- whole columns (the loader's chunk path, ingest.validate.validate_rows) ------------------------
# The forms almost every file uses are parsed with one strict regex and integer arithmetic; any other
# text goes through the scalar parser above, so a column gives exactly the values and the reasons the
# scalar one gives cell by cell (tests/test_parse_columns.py). ASCII digits only on the plain path: the
# scalar parsers also take other Unicode digits (full-width `１２３`), and they still do, through it.
_PLAIN_MONEY = re.compile(r"([0-9]{1,16})(?:\.([0-9]{1,2}))?")
_PLAIN_DATETIME = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?")


def parse_money_fen_column(texts: list[str]) -> tuple[list[int | None], list[str | None]]:
    """`parse_money_fen` of every text of a column: (fen or None, reason or None) per text, in order.

    Why: the loader parses a chunk of 20,000 amounts at once; the scalar parser's Decimal and two
    regex substitutions per cell were a large part of its CPU. Same results, same reasons."""
    fens: list[int | None] = []
    reasons: list[str | None] = []
    plain = _PLAIN_MONEY.fullmatch
    for text in texts:
        m = plain(text)
        if m is not None:
            frac = m.group(2)
            fens.append(int(m.group(1)) * 100 + (int(frac) * (10 if len(frac) == 1 else 1) if frac else 0))
            reasons.append(None)
            continue
        try:
            fens.append(parse_money_fen(text))
            reasons.append(None)
        except ValueError as exc:
            fens.append(None)
            reasons.append(str(exc))
    return fens, reasons


def parse_datetime_column(texts: list[str]) -> tuple[list[tuple[dt.datetime, bool] | None], list[str | None]]:
    """`parse_datetime` of every text of a column: ((timestamp, has time) or None, reason or None) per text.

    Each distinct text is parsed once (a day's rows share their date); plain `YYYY-MM-DD[ HH:MM[:SS]]`
    (`/` too) by one regex and `datetime()`, any other text, or one `datetime()` refuses, by the
    scalar parser, which gives the reason."""
    seen: dict[str, tuple[tuple[dt.datetime, bool] | None, str | None]] = {}
    values: list[tuple[dt.datetime, bool] | None] = []
    reasons: list[str | None] = []
    plain = _PLAIN_DATETIME.fullmatch
    for text in texts:
        hit = seen.get(text)
        if hit is None:
            hit = None
            m = plain(text)
            if m is not None:
                try:
                    hit = _stamp(*m.groups()), None
                except ValueError:
                    hit = None
            if hit is None:
                try:
                    hit = parse_datetime(text), None
                except ValueError as exc:
                    hit = None, str(exc)
            seen[text] = hit
        values.append(hit[0])
        reasons.append(hit[1])
    return values, reasons
