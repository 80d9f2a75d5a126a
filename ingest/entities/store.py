"""Judgements and candidates in the app's SQLAlchemy store (never in the graph).

Two tables in their own MetaData, like `audittrail`, so the CLI writes them without the web layer
and the web app reads the same rows. Judgements are append-only: the latest row of a pair is its
judgement, the earlier ones its history (who changed their mind, when). Candidates are what the
last `resolve` found, replaced on every resolve.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Engine

metadata = MetaData()
DECISIONS = ("confirm", "reject", "unsure")


def _pair_columns() -> list[Column]:
    """What a judgement and a candidate both are about: one pair of records of a kind, as `pair` orders it."""
    return [Column("id", Integer, primary_key=True), Column("kind", String(20)),
            Column("left_id", String(128), index=True), Column("right_id", String(128), index=True)]


JUDGEMENTS = Table(
    "entity_judgements", metadata, *_pair_columns(),
    Column("decision", String(10)),
    Column("username", String(80)),
    Column("at", DateTime, index=True),
    Column("note", Text),
)
CANDIDATES = Table(
    "entity_candidates", metadata, *_pair_columns(),
    Column("score", Float),
    Column("reasons_json", Text),
    Column("details_json", Text),
    Column("computed_at", DateTime),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def pair(a: str, b: str) -> tuple[str, str]:
    """A pair as stored: the smaller id first."""
    return (a, b) if a <= b else (b, a)


def ensure_tables(engine: Engine) -> None:
    """Create the two tables when the store lacks them (cheap when they exist)."""
    metadata.create_all(engine, checkfirst=True)


@dataclass(frozen=True)
class Judgement:
    kind: str
    left: str
    right: str
    decision: str
    username: str
    at: dt.datetime
    note: str | None


def add_judgement(engine: Engine, kind: str, left: str, right: str, decision: str, username: str,
                  note: str | None = None) -> Judgement:
    """Record a person's judgement of a pair (it replaces their earlier one as the pair's judgement)."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    left, right = pair(left, right)
    if left == right:
        raise ValueError("a record cannot be judged against itself")
    at = utcnow()
    ensure_tables(engine)
    with engine.begin() as conn:
        conn.execute(JUDGEMENTS.insert().values(kind=kind, left_id=left, right_id=right, decision=decision,
                                                username=username[:80], at=at, note=note))
    return Judgement(kind, left, right, decision, username, at, note)


def latest_judgements(engine: Engine) -> dict[tuple[str, str], Judgement]:
    """Every judged pair's current judgement (its latest row)."""
    ensure_tables(engine)
    out: dict[tuple[str, str], Judgement] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(JUDGEMENTS).order_by(JUDGEMENTS.c.at, JUDGEMENTS.c.id)):
            out[(r.left_id, r.right_id)] = Judgement(r.kind, r.left_id, r.right_id, r.decision, r.username, r.at, r.note)
    return out


def judgement_history(engine: Engine, left: str, right: str) -> list[Judgement]:
    """Every judgement of one pair, oldest first."""
    left, right = pair(left, right)
    ensure_tables(engine)
    t = JUDGEMENTS
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(t.c.left_id == left, t.c.right_id == right).order_by(t.c.at, t.c.id))
        return [Judgement(r.kind, r.left_id, r.right_id, r.decision, r.username, r.at, r.note) for r in rows]


def replace_candidates(engine: Engine, rows: list[dict]) -> None:
    """Store what this resolve found, instead of what the last one found."""
    ensure_tables(engine)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(CANDIDATES.delete())
        if rows:
            conn.execute(CANDIDATES.insert(), [
                {"kind": r["kind"], "left_id": r["left"], "right_id": r["right"], "score": r["score"],
                 "reasons_json": json.dumps(r["reasons"], ensure_ascii=False),
                 "details_json": json.dumps(r.get("details") or {}, ensure_ascii=False), "computed_at": now}
                for r in rows])


def stored_candidates(engine: Engine) -> list[dict]:
    """The candidates of the last resolve, best score first."""
    ensure_tables(engine)
    t = CANDIDATES
    with engine.connect() as conn:
        rows = conn.execute(select(t).order_by(t.c.score.desc(), t.c.left_id, t.c.right_id)).all()
    return [{"kind": r.kind, "left": r.left_id, "right": r.right_id, "score": r.score,
             "reasons": json.loads(r.reasons_json or "[]"), "details": json.loads(r.details_json or "{}"),
             "computed_at": r.computed_at} for r in rows]
