"""Constraints, indexes and the allow-lists of names that may be interpolated into Cypher.

Labels, relationship types and property names cannot be query parameters, so the
only ones ever formatted into a query string are the ones listed here
(docs/graph-model.md explains each).
"""
from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

LABELS = frozenset({
    "Person", "Inmate", "Company", "Account", "Balance", "Asset", "AssetTransfer", "Case", "Load",
    "Restriction", "Encumbrance",
})
REL_TYPES = frozenset({
    "RELATED", "ROLE", "HOLDS", "HAS_BALANCE", "TRANSFER", "OWNS", "CONVEYED", "CONVEYED_TO",
    "OF_ASSET", "DEBTOR_IN", "RESTRICTED_BY", "IN_CASE", "TARGETS", "ENCUMBERS", "HELD_BY",
})
#: Key property of each keyed label (Balance has a composite key).
NODE_KEYS: dict[str, tuple[str, ...]] = {
    "Person": ("person_id",),
    "Inmate": ("inmate_no",),
    "Company": ("company_id",),
    "Account": ("account_id",),
    "Balance": ("account_id", "as_of"),
    "Asset": ("asset_id",),
    "AssetTransfer": ("transfer_id",),
    "Case": ("case_no",),
    "Load": ("load_id",),
    "Restriction": ("restriction_id",),
    "Encumbrance": ("encumbrance_id",),
}

CONSTRAINTS: tuple[str, ...] = tuple(
    f"CREATE CONSTRAINT {label.lower()}_key IF NOT EXISTS FOR (n:{label}) "
    f"REQUIRE ({', '.join('n.' + p for p in props)}) IS UNIQUE"
    for label, props in NODE_KEYS.items()
) + (
    "CREATE CONSTRAINT transfer_key IF NOT EXISTS FOR ()-[t:TRANSFER]-() "
    "REQUIRE t.transfer_id IS UNIQUE",
)

#: What the patterns filter by: dates, amounts, kinds, provenance (for unload).
INDEXES: tuple[str, ...] = (
    "CREATE INDEX transfer_on IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.on)",
    "CREATE INDEX transfer_amount IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.amount_fen)",
    "CREATE INDEX transfer_load IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.load_id)",
    "CREATE INDEX transfer_kind IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.kind)",
    # the few non-CNY transfers the money patterns report apart (investigations.runner.excluded_non_cny)
    "CREATE INDEX transfer_currency IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.currency)",
    "CREATE INDEX restriction_subject IF NOT EXISTS FOR (n:Restriction) ON (n.subject_id)",
    "CREATE INDEX restriction_kind IF NOT EXISTS FOR (n:Restriction) ON (n.kind)",
    "CREATE INDEX encumbrance_asset IF NOT EXISTS FOR (n:Encumbrance) ON (n.asset_id)",
    "CREATE INDEX encumbrance_registered IF NOT EXISTS FOR (n:Encumbrance) ON (n.registered_on)",
    # the two sides a statement transfer was built from (ingest/statements)
    "CREATE INDEX transfer_out_side IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.out_side)",
    "CREATE INDEX transfer_in_side IF NOT EXISTS FOR ()-[t:TRANSFER]-() ON (t.in_side)",
    "CREATE INDEX account_kind IF NOT EXISTS FOR (n:Account) ON (n.kind)",
    "CREATE INDEX account_holder IF NOT EXISTS FOR (n:Account) ON (n.holder_id)",
    "CREATE INDEX case_debtor IF NOT EXISTS FOR (n:Case) ON (n.debtor_id)",
    "CREATE INDEX case_kind IF NOT EXISTS FOR (n:Case) ON (n.kind)",
    "CREATE INDEX case_start IF NOT EXISTS FOR (n:Case) ON (n.litigation_start)",
    "CREATE INDEX case_unpaid IF NOT EXISTS FOR (n:Case) ON (n.unpaid_fen)",
    "CREATE INDEX asset_transfer_on IF NOT EXISTS FOR (n:AssetTransfer) ON (n.on)",
    "CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name)",
    "CREATE INDEX person_idnum IF NOT EXISTS FOR (n:Person) ON (n.id_number)",
    "CREATE INDEX company_name IF NOT EXISTS FOR (n:Company) ON (n.name)",
    "CREATE INDEX balance_as_of IF NOT EXISTS FOR (n:Balance) ON (n.as_of)",
    "CREATE TEXT INDEX person_name_text IF NOT EXISTS FOR (n:Person) ON (n.name)",
    "CREATE TEXT INDEX company_name_text IF NOT EXISTS FOR (n:Company) ON (n.name)",
) + tuple(
    f"CREATE INDEX {label.lower()}_load IF NOT EXISTS FOR (n:{label}) ON (n.load_id)"
    for label in sorted(LABELS - {"Load"})
) + tuple(
    f"CREATE INDEX {rel.lower()}_load IF NOT EXISTS FOR ()-[r:{rel}]-() ON (r.load_id)"
    for rel in sorted(REL_TYPES - {"TRANSFER"})
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_XPROP = re.compile(r"^x_[^`\x00-\x1f]{1,64}$")


def label(name: str) -> str:
    """Return `name` if it is an allowed node label, else raise ValueError."""
    if name not in LABELS:
        raise ValueError(f"label not allowed: {name!r}")
    return name


def rel_type(name: str) -> str:
    """Return `name` if it is an allowed relationship type, else raise ValueError."""
    if name not in REL_TYPES:
        raise ValueError(f"relationship type not allowed: {name!r}")
    return name


def prop(name: str) -> str:
    """Return a property name quoted for Cypher, if it is safe to interpolate.

    Model properties are plain identifiers; kept unknown columns (`x_...`) may hold
    Chinese characters and are backtick-quoted. Anything else is refused.
    """
    if _IDENT.match(name):
        return name
    if _XPROP.match(name):
        return "`" + name + "`"
    raise ValueError(f"property name not allowed: {name!r}")
