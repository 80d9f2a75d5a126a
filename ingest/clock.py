"""The one time policy of the tool.

- The app store and the graph's own records (load start and end) hold UTC with its zone.
- People see Asia/Shanghai (Beijing time) with the zone named, on pages and in PDFs.
- Times from the data (a transfer's `at`) are the statement's local clock, kept as given
  (no zone), with `at_has_time` saying whether a time was given at all.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")
#: How the displayed zone is named (China has one offset all year).
ZONE_LABEL = {"zh": "北京时间", "en": "Beijing time, UTC+8"}


def utc_now() -> dt.datetime:
    """Now in UTC, with its zone, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def as_utc(value: dt.datetime) -> dt.datetime:
    """An app-store time as aware UTC (a naive one is UTC by this policy)."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def display(value: dt.datetime, lang: str = "zh", seconds: bool = False) -> str:
    """An app-store / load time in Beijing time with the zone named: `2026-11-30 10:05 北京时间`."""
    local = as_utc(value).astimezone(DISPLAY_TZ)
    return f"{local.strftime('%Y-%m-%d %H:%M:%S' if seconds else '%Y-%m-%d %H:%M')} {ZONE_LABEL.get(lang, ZONE_LABEL['en'])}"


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The last second of `day` in Beijing time, as aware UTC ("known by that day")."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=DISPLAY_TZ).astimezone(dt.timezone.utc)


def utc_stamp(value: dt.datetime) -> str:
    """`2026-11-30T02:23:00Z`: sortable UTC text (for history entries)."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def today_in_display_tz() -> dt.date:
    """Today's date in Beijing time (the day an investigator means by 'today')."""
    return dt.datetime.now(DISPLAY_TZ).date()
