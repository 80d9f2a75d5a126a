"""What the web layer needs from the detection engine, looked up once: the pattern library and scan."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

logger = logging.getLogger(__name__)


def investigations_api() -> Any | None:
    """The `investigations` package when its scan is available (the app imports without it)."""
    try:
        import investigations  # noqa: F401
        if not hasattr(investigations, "scan"):
            return None
        return investigations
    except ImportError:
        return None


def load_patterns() -> dict:
    """Built-in patterns, or {} when the investigations package is not there yet."""
    try:
        from investigations.patterns import load_patterns as load_all
    except ImportError:
        logger.warning("investigations.patterns not available")
        return {}
    return load_all()


def today() -> dt.date:
    return dt.date.today()
