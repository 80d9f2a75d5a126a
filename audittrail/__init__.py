"""The audit trail: one append-only table in the app's store, each entry chained to the one before
by SHA-256, written by the web app and by the command-line tools alike.

Why a package of its own: the CLIs (`python -m ingest load`, `python -m graph reset`, ...) must record
what they did, with the OS user, without importing the web layer. `web.models.AuditLog` maps the
same table. An entry's hash covers its id, time, user, action, target, details and the previous
entry's hash, so editing, deleting or inserting any entry breaks every later link; `verify` names
the first broken one (`flask --app app audit verify`).
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, inspect, select,
                        text, update)
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
GENESIS = "0" * 64

metadata = MetaData()
AUDIT_TABLE = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, index=True),
    Column("user_id", Integer),
    Column("username", String(80), index=True),
    Column("action", String(40), index=True),
    Column("target", String(255), index=True),
    Column("detail_json", Text),
    Column("hash", String(64)),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def default_url() -> str:
    """The app's store: APP_DATABASE_URL, else var/app.db beside the code (what the app uses too)."""
    return os.environ.get("APP_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'app.db'}"


def ensure_table(bind: Engine | Connection) -> None:
    """Create the table, or add the `hash` column to a table made before the chain existed."""
    AUDIT_TABLE.create(bind, checkfirst=True)
    cols = {c["name"] for c in inspect(bind).get_columns("audit_log")}
    with (bind.begin() if isinstance(bind, Engine) else _nullctx(bind)) as conn:
        if "hash" not in cols:
            conn.execute(text("ALTER TABLE audit_log ADD COLUMN hash VARCHAR(64)"))
        # `seal` looks for the unsealed entries on every commit: keep that a lookup, not a scan
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_audit_log_hash ON audit_log (hash)"))


class _nullctx:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        return None


def _canonical(row: Any) -> str:
    at = row.at.isoformat(sep=" ", timespec="microseconds") if isinstance(row.at, dt.datetime) else str(row.at)
    return json.dumps([row.id, at, row.user_id, row.username, row.action, row.target, row.detail_json],
                      ensure_ascii=False, separators=(",", ":"))


def entry_hash(prev: str, row: Any) -> str:
    """SHA-256 of the previous entry's hash and this entry's fields."""
    return hashlib.sha256((prev + "|" + _canonical(row)).encode("utf-8")).hexdigest()


def seal(conn: Connection) -> int:
    """Give every unsealed entry its chained hash, in id order; run inside the writing transaction
    (after the insert, so the store's write lock keeps concurrent writers in line). Returns how many."""
    t = AUDIT_TABLE
    pending = conn.execute(select(t).where(t.c.hash.is_(None)).order_by(t.c.id)).all()
    if not pending:
        return 0
    prev_row = conn.execute(select(t.c.hash).where(t.c.id < pending[0].id).order_by(t.c.id.desc()).limit(1)).first()
    prev = prev_row.hash if prev_row is not None and prev_row.hash else GENESIS
    for row in pending:
        h = entry_hash(prev, row)
        conn.execute(update(t).where(t.c.id == row.id).values(hash=h))
        prev = h
    return len(pending)


@dataclass
class Verdict:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def verify(conn: Connection) -> Verdict:
    """Recompute the chain from the first entry; the first entry whose hash does not match."""
    t = AUDIT_TABLE
    prev = GENESIS
    n = 0
    for row in conn.execute(select(t).order_by(t.c.id)):
        n += 1
        if not row.hash:
            return Verdict(False, n, row.id, "entry has no hash (written outside the audit trail, or erased)")
        if entry_hash(prev, row) != row.hash:
            return Verdict(False, n, row.id, "hash does not match: this entry, or the one before it, was "
                                             "changed, deleted or inserted afterwards")
        prev = row.hash
    return Verdict(True, n)


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return str(os.getuid())


def record_cli(action: str, target: str | None = None, url: str | None = None, **detail: Any) -> None:
    """Record a command-line action with the OS user (`cli:<user>`); never stops the command itself,
    but says loudly when the trail could not be written."""
    user = os_user()
    detail = {"os_user": user, **detail}
    try:
        engine = create_engine(url or default_url())
        if engine.url.get_backend_name() == "sqlite" and engine.url.database:
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        ensure_table(engine)
        with engine.begin() as conn:
            conn.execute(AUDIT_TABLE.insert().values(
                at=utcnow(), user_id=None, username=f"cli:{user}"[:80], action=action[:40],
                target=(target or "")[:255] or None,
                detail_json=json.dumps(detail, ensure_ascii=False, default=str)))
            seal(conn)
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        logger.error("could not write the audit trail (%s): %s", action, exc)
        print(f"warning: this action was NOT recorded in the audit trail: {exc}")


def rows(conn: Connection, user: str | None = None, action: str | None = None, subject: str | None = None,
         since: dt.date | None = None, until: dt.date | None = None, limit: int | None = 500) -> Iterator[Any]:
    """Entries newest first, filtered by user name, action, subject (target) and date range (inclusive)."""
    t = AUDIT_TABLE
    q = select(t).order_by(t.c.id.desc())
    if user:
        q = q.where(t.c.username == user)
    if action:
        q = q.where(t.c.action == action)
    if subject:
        q = q.where(t.c.target == subject)
    if since:
        q = q.where(t.c.at >= dt.datetime.combine(since, dt.time()))
    if until:
        q = q.where(t.c.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    if limit:
        q = q.limit(limit)
    return iter(conn.execute(q).all())


__all__ = ["AUDIT_TABLE", "Verdict", "default_url", "ensure_table", "entry_hash", "os_user", "record_cli",
           "rows", "seal", "verify"]
