"""The app's own state (not evidence): users, leads of scans, dismissals, investigations, saved queries, audit.

Kept in a relational store through SQLAlchemy so reloading or resetting the graph never
touches it. Evidence is referred to by its stable keys (lead_id, transfer_id, ...), never copied
as the source of truth.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
                        event)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from audittrail import AUDIT_TABLE, seal
from ingest.clock import as_utc, utc_now

from .extensions import db

ROLES = ("investigator", "supervisor", "admin")
STATUSES = ("open", "in_progress", "referred", "dismissed", "recovered")
PIN_KINDS = ("transfer", "conveyance", "lead")


def utcnow() -> dt.datetime:
    """Now, aware UTC (ingest.clock: the one time policy)."""
    return utc_now()


class UTCDateTime(TypeDecorator):
    """A time stored as UTC and read back as aware UTC (SQLite keeps no zone; a naive value is UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else as_utc(value)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="investigator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by a password change, a role change or disabling: every older session of this user ends.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Login throttle: failures in a row, and until when the account refuses logins.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every session opened before now invalid (checked on each request)."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return bool(self.active)

    def has_role(self, *roles: str) -> bool:
        """admin can do everything a supervisor can, a supervisor everything an investigator can."""
        rank = {r: i for i, r in enumerate(ROLES)}
        need = min(rank[r] for r in roles)
        return rank.get(self.role, -1) >= need


class ScanRun(db.Model):
    """One run of `investigations.scan`; its leads are the `LeadRecord`s last seen in it."""
    __tablename__ = "scan_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_count: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    tool_version: Mapped[str | None] = mapped_column(String(80))
    parameters_json: Mapped[str | None] = mapped_column(Text)
    subjects_json: Mapped[str | None] = mapped_column(Text)

    @property
    def subjects(self) -> list[dict]:
        return json.loads(self.subjects_json) if self.subjects_json else []


class LeadRecord(db.Model):
    """A lead by its stable lead_id: first and last scan it was seen in, and its latest content."""
    __tablename__ = "leads"
    lead_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(80), index=True)
    subject_id: Mapped[str] = mapped_column(String(128), index=True)
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_name: Mapped[str | None] = mapped_column(String(255))
    case_no: Mapped[str | None] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(db.Float, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    prison: Mapped[str | None] = mapped_column(String(255))
    court: Mapped[str | None] = mapped_column(String(255))
    first_scan_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"))
    last_scan_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"), index=True)
    data_json: Mapped[str] = mapped_column(Text)

    @property
    def data(self) -> dict:
        return json.loads(self.data_json)


class LeadDismissal(db.Model):
    """A dismissed lead stays dismissed after the next scan (keyed by lead_id)."""
    __tablename__ = "lead_dismissals"
    lead_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User] = relationship()


class Investigation(db.Model):
    """A case folder: one subject, a status, an assignee, notes and pinned evidence."""
    __tablename__ = "investigations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), index=True)
    subject_name: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    recovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    unpaid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    creator: Mapped[User] = relationship(foreign_keys=[created_by])
    notes: Mapped[list["Note"]] = relationship(back_populates="investigation", order_by="Note.created_at",
                                               cascade="all, delete-orphan")
    pins: Mapped[list["PinnedEvidence"]] = relationship(back_populates="investigation",
                                                        order_by="PinnedEvidence.pinned_at",
                                                        cascade="all, delete-orphan")


class Note(db.Model):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship()
    investigation: Mapped[Investigation] = relationship(back_populates="notes")


class PinnedEvidence(db.Model):
    __tablename__ = "pinned_evidence"
    __table_args__ = (UniqueConstraint("investigation_id", "kind", "ref_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[str] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    pinned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pinned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User] = relationship()
    investigation: Mapped[Investigation] = relationship(back_populates="pins")


class SavedQuery(db.Model):
    """A user-saved Cypher read query; every edit is a new `SavedQueryVersion`."""
    __tablename__ = "saved_queries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    versions: Mapped[list["SavedQueryVersion"]] = relationship(
        back_populates="query", order_by="SavedQueryVersion.version", cascade="all, delete-orphan")

    @property
    def latest(self) -> "SavedQueryVersion":
        return self.versions[-1]


class SavedQueryVersion(db.Model):
    __tablename__ = "saved_query_versions"
    __table_args__ = (UniqueConstraint("query_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("saved_queries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    cypher: Mapped[str] = mapped_column(Text)
    params_json: Mapped[str] = mapped_column(Text, default="[]")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[User] = relationship()
    query: Mapped[SavedQuery] = relationship(back_populates="versions")

    @property
    def params(self) -> list[dict]:
        return json.loads(self.params_json or "[]")


class AuditLog(db.Model):
    """Who saw, searched, ran, revealed, exported, changed what: the chained table of `audittrail`
    (shared with the CLIs; columns id, at, user_id, username, action, target, detail_json, hash)."""
    __table__ = AUDIT_TABLE

    @property
    def detail(self) -> Any:
        return json.loads(self.detail_json) if self.detail_json else None


def audit(user: User | None, action: str, target: str | None = None, **detail: Any) -> AuditLog:
    """Add an audit row to the session (committed with the request's change, or by the caller)."""
    row = AuditLog(at=utcnow(), user_id=getattr(user, "id", None), username=getattr(user, "username", None),
                   action=action[:40], target=(target[:255] if target else target),
                   detail_json=json.dumps(detail, ensure_ascii=False, default=str) if detail else None)
    db.session.add(row)
    db.session.info["audit_pending"] = True
    return row


@event.listens_for(Session, "before_commit")
def _seal_audit(session: Session) -> None:
    """Chain the audit rows of this transaction (hash of the previous entry + this one) before commit."""
    if session.info.pop("audit_pending", False):
        session.flush()
        seal(session.connection())


# --- recovery records (issue 15): what an investigation got frozen, deducted (扣划) or paid ------------
RECOVERY_KINDS = ("frozen", "deducted", "paid")
RECOVERY_TARGET_KINDS = ("account", "asset", "case")
RECOVERY_ACTIONS = ("record", "correction", "void")


class RecoveryRecord(db.Model):
    """One measure's result recorded by an investigation: frozen, deducted or paid, per account or
    asset, with date, amount (fen) and the document number. Deducted and paid money is recovered
    (the dashboard's 已追回) and lowers the case's unpaid amount; frozen money is secured, not yet
    recovered. Court and prison are copied from the graph when recorded, for the supervisors' chart."""
    __tablename__ = "recovery_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigations.id"), index=True)
    subject_id: Mapped[str] = mapped_column(String(128), index=True)
    case_no: Mapped[str | None] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target_kind: Mapped[str] = mapped_column(String(20), default="account")
    target: Mapped[str | None] = mapped_column(String(255))
    on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    document_no: Mapped[str] = mapped_column(String(255))
    court: Mapped[str | None] = mapped_column(String(255))
    prison: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User] = relationship()
    # corrections and voids are new entries (history kept): `action` is record / correction / void and
    # `replaces_id` the entry it corrects or voids; an entry something replaces no longer counts
    action: Mapped[str] = mapped_column(String(20), default="record", server_default="record")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("recovery_records.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)


# --- login throttle per client address (shared by every process that uses this store) -------------
class LoginFailure(db.Model):
    """One failed login from a client address; the throttle counts them over `LOGIN_LOCK_MINUTES`.
    In the store, not in memory, so several waitress processes see the same count."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
