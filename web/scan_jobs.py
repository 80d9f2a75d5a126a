"""A rescan runs in a background thread, one at a time per app, never inside a request.

The request that asks for it only starts the thread and returns; the dashboard shows whether a
scan is running and how the last one ended. A second request while one runs is told so.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any, Callable

from flask import Flask

logger = logging.getLogger(__name__)


def _job(app: Flask) -> dict:
    return app.extensions.setdefault("scan_job", {"lock": threading.Lock(), "thread": None, "running": False,
                                                  "started_at": None, "by": None, "error": None,
                                                  "finished_at": None})


def status(app: Flask) -> dict[str, Any]:
    """running, started_at, by (user name), finished_at and error of the last background scan."""
    job = _job(app)
    return {k: job[k] for k in ("running", "started_at", "by", "finished_at", "error")}


def start(app: Flask, run: Callable[[Any, dt.date | None], Any], user_id: int | None, username: str | None,
          as_of: dt.date | None) -> bool:
    """Start `run(user, as_of)` in a thread with an app context; False if a scan is already running."""
    job = _job(app)
    with job["lock"]:
        if job["running"]:
            return False
        job.update(running=True, started_at=dt.datetime.now(), by=username, error=None, finished_at=None)

    def work() -> None:
        from .extensions import db
        from .models import User
        try:
            with app.app_context():
                user = db.session.get(User, user_id) if user_id is not None else None
                run(user, as_of)
        except Exception as exc:  # noqa: BLE001 - reported on the dashboard, logged in full
            logger.exception("background scan failed")
            job["error"] = str(exc)[:500]
        finally:
            job.update(running=False, finished_at=dt.datetime.now())

    t = threading.Thread(target=work, name="rescan", daemon=True)
    job["thread"] = t
    t.start()
    return True


def wait(app: Flask, timeout: float = 600.0) -> bool:
    """Block until the running scan (if any) ends; True if none is running afterwards (tests, CLI)."""
    t = _job(app).get("thread")
    deadline = time.monotonic() + timeout
    if t is not None:
        t.join(max(0.0, deadline - time.monotonic()))
    return not _job(app)["running"]
