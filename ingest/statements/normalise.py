"""One return row -> one normalised record: a transaction side, an account, a person; or a skip/reject.

Why: every layout says the same things differently (进/出, 借/贷, signed amounts, income and
expense columns, yuan or 分, `20240301093015` or a date and a clock column). After this
step the loader sees only `Side`, `AccountInfo` and `PersonInfo`, whatever the layout.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from dataclasses import dataclass

from .. import parse
from .profiles import Profile

#: Words in 摘要 / 交易类型 / 状态 that make a row something other than a transfer.
REVERSAL_WORDS = ("冲正", "冲账", "撤销")
CASH_OUT_WORDS = ("取现", "取款", "ATM取", "现金支取")
CASH_IN_WORDS = ("存现", "存款", "现金存入", "ATM存")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2}):?(\d{2}):?(\d{2})?)?$")
_CLOCK = re.compile(r"^(\d{1,2}):?(\d{2}):?(\d{2})?$")
_ACCOUNT_IN_TEXT = re.compile(r"[0-9A-Za-z@._\-]*\d[0-9A-Za-z@._\-]{5,}")


class Skip(Exception):
    """Not a transfer (failed, reversed, a footer, not counted): counted with its reason."""


class Reject(Exception):
    """A row that breaks the layout: to the rejects file with column and reason."""


@dataclass(slots=True)
class Side:
    """One account's record of one money movement."""

    own: str  # the account whose return this is (canonical id after alias resolution)
    out: bool  # money left `own`
    amount: int  # fen, > 0
    currency: str
    at: dt.datetime
    has_time: bool
    cp: str | None  # counterparty account as the return names it (None for cash)
    cp_name: str | None
    cp_id: str | None
    kind: str  # transfer | cash_withdrawal | cash_deposit
    serial: str | None
    order_id: str | None
    memo: str | None
    channel: str | None
    merchant: str | None
    file: str
    row: int
    key: str = ""
    balance: int | None = None
    own_card: str | None = None
    own_name: str | None = None
    own_id: str | None = None


@dataclass(slots=True)
class AccountInfo:
    account: str | None
    card: str | None
    holder_name: str | None
    holder_id: str | None
    holder_phone: str | None
    institution: str | None
    opened_on: dt.date | None
    closed_on: dt.date | None
    file: str
    row: int


@dataclass(slots=True)
class PersonInfo:
    name: str
    id_number: str
    phone: str | None
    address: str | None
    file: str
    row: int


def get(cells: list[str], cols: dict[str, list[int]], name: str) -> str:
    """The first non-empty cell among the columns mapped to a field."""
    for i in cols.get(name, ()):
        if i < len(cells):
            v = cells[i].strip()
            if v and v not in ("-", "--", "/", "null", "NULL", "\\N"):
                return v
    return ""


def parse_time(text: str, clock: str = "") -> tuple[dt.datetime, bool]:
    """`2024-03-01 09:30:15`, `2024/3/1`, `20240301093015`, `20240301` + `093015`, ..."""
    t = text.strip()
    m = _COMPACT.match(t)
    if m:
        y, mo, d, hh, mm, ss = m.groups()
        try:
            if hh is not None:
                return dt.datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0)), True
            base = dt.datetime(int(y), int(mo), int(d))
        except ValueError as exc:
            raise ValueError(f"not a valid time: {text!r} ({exc})") from None
        has = False
    else:
        base, has = parse.parse_datetime(t)
    if clock and not has:
        c = _CLOCK.match(clock.strip())
        if not c:
            raise ValueError(f"not a time of day: {clock!r}")
        base = base.replace(hour=int(c.group(1)), minute=int(c.group(2)), second=int(c.group(3) or 0))
        has = True
    return base, has


def parse_amount(text: str, unit: str) -> int:
    """Signed amount in fen (yuan through `ingest.parse`, or whole 分)."""
    t = text.strip().replace("\t", "")
    neg = t.startswith(("-", "−"))
    t = t.lstrip("+-−").strip()
    if unit == "fen":
        t = t.replace(",", "")
        if not t.isdigit():
            raise ValueError(f"not an amount in 分: {text!r}")
        fen = int(t)
    else:
        fen = parse.parse_money_fen(t)
    return -fen if neg else fen


def split_party(text: str) -> tuple[str | None, str | None]:
    """`张三 6222020200001234` or `张三(6222...)` -> (name, account); either may be missing."""
    t = text.strip()
    if not t:
        return None, None
    m = None
    for m in _ACCOUNT_IN_TEXT.finditer(t):
        pass
    if m is None:
        return t, None
    name = (t[:m.start()] + t[m.end():]).strip(" ()（）/|,;:-")
    return name or None, m.group(0)


def side_key(s: Side, nth: int) -> str:
    """Deterministic identity of one side: the same row in a reload or an overlapping return."""
    basis = "|".join((s.own, "O" if s.out else "I", str(s.amount), s.currency, s.at.isoformat(),
                      s.serial or "", s.order_id or "", s.cp or "", str(nth)))
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:24]


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


def transaction(p: Profile, cols: dict[str, list[int]], cells: list[str], file: str, row: int,
                own_default: str | None) -> Side:
    """One transaction row -> Side, or raise Skip / Reject."""
    g = lambda n: get(cells, cols, n)  # noqa: E731
    first = next((c for c in cells if c), "")
    if _has(first, p.skip.get("footer", ())) or first.startswith("#"):
        raise Skip("footer or total")
    success = g("success")
    if success and success in p.skip.get("failed", ()):
        raise Skip("failed")
    status = g("status")
    if status and status in p.skip.get("status", ()):
        raise Skip(f"status {status}")
    words = " ".join((g("memo"), g("tx_type"), status))
    if _has(words, REVERSAL_WORDS):
        raise Skip("reversal")
    # amount and direction
    try:
        if p.sign == "split":
            a_in = parse_amount(g("amount_in"), p.amount_unit) if g("amount_in") else 0
            a_out = parse_amount(g("amount_out"), p.amount_unit) if g("amount_out") else 0
            if a_in and a_out:
                raise Reject("amount: both income and expense on one row")
            out, amount = (True, a_out) if a_out else (False, a_in)
        else:
            raw = g("amount")
            if not raw:
                raise Reject("amount: required value missing")
            amount = parse_amount(raw, p.amount_unit)
            if p.sign == "signed":
                out = amount < 0
            else:
                d = g("direction")
                if d in p.skip.get("neutral", ()):
                    raise Skip(f"not counted ({d})")
                if d in p.direction_out:
                    out = True
                elif d in p.direction_in:
                    out = False
                else:
                    raise Reject(f"direction: unknown value {d!r} (expected "
                                 f"{'/'.join(p.direction_out + p.direction_in)})")
    except ValueError as exc:
        raise Reject(f"amount: {exc}") from None
    amount = abs(amount)
    if amount == 0:
        raise Skip("zero amount")
    t = g("time") or g("date")
    if not t:
        raise Reject("time: required value missing")
    try:
        at, has_time = parse_time(t, g("clock"))
    except ValueError as exc:
        raise Reject(f"time: {exc}") from None
    try:
        currency = parse.parse_currency(g("currency"))
    except ValueError as exc:
        raise Reject(f"currency: {exc}") from None
    own_account, own_card = g("own_account"), g("own_card")
    if "own_info" in cols:
        _, own_account = split_party(g("own_info"))
    own = own_account or own_card or own_default
    if not own:
        raise Reject("own account: not in the row and not known for the file")
    cp_name, cp = g("cp_name") or None, g("cp_account") or None
    if "cp_info" in cols and g("cp_info"):
        n2, a2 = split_party(g("cp_info"))
        cp_name, cp = cp_name or n2, cp or a2
    kind = "transfer"
    cash_flag = g("cash_flag")
    if (cash_flag and cash_flag in p.skip.get("cash_flag", ())) or \
            _has(g("memo") + g("tx_type"), CASH_OUT_WORDS + CASH_IN_WORDS) and not cp:
        kind = "cash_withdrawal" if out else "cash_deposit"
        cp = None
    balance = None
    if g("balance"):
        try:
            balance = parse_amount(g("balance"), p.amount_unit)
        except ValueError:
            balance = None  # a balance we cannot read is not a reason to lose the transfer
    # account numbers, names and memos repeat across a return: one string object each (a million
    # sides held for pairing would otherwise keep millions of copies)
    return Side(own=_i(own), out=out, amount=amount, currency=_i(currency), at=at, has_time=has_time, cp=_i(cp),
                cp_name=_i(cp_name), cp_id=_i(g("cp_id_number") or None), kind=kind, serial=g("serial") or None,
                order_id=g("order_id") or None, memo=_i(g("memo") or g("tx_type") or None),
                channel=_i(g("channel") or None), merchant=_i(g("merchant") or None), file=file, row=row,
                balance=balance, own_card=_i(own_card or None), own_name=_i(g("own_name") or None),
                own_id=_i(g("own_id_number") or None))


def _i(text: str | None) -> str | None:
    return sys.intern(text) if text else None


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return parse_time(text)[0].date()
    except ValueError:
        raise Reject(f"date: not a date: {text!r}") from None


def account(p: Profile, cols: dict[str, list[int]], cells: list[str], file: str, row: int) -> AccountInfo:
    g = lambda n: get(cells, cols, n)  # noqa: E731
    acc, card = g("own_account") or None, g("own_card") or None
    if not acc and not card:
        raise Reject("account: neither account nor card number")
    return AccountInfo(account=acc, card=card, holder_name=g("holder_name") or None,
                       holder_id=(g("holder_id_number").upper() or None), holder_phone=g("holder_phone") or None,
                       institution=g("institution") or p.institution, opened_on=_date(g("opened_on")),
                       closed_on=_date(g("closed_on")), file=file, row=row)


def person(p: Profile, cols: dict[str, list[int]], cells: list[str], file: str, row: int) -> PersonInfo:
    g = lambda n: get(cells, cols, n)  # noqa: E731
    name, idn = g("name"), g("id_number").upper()
    if not name or not idn:
        raise Reject("name / id_number: required value missing")
    return PersonInfo(name=name, id_number=idn, phone=g("phone") or None, address=g("address") or None,
                      file=file, row=row)
