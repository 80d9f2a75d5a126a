"""The saved pattern queries: one `.cypher` file per pattern, with its metadata in a header.

Each file starts with a block of `//` comment lines between two `// ---` lines that
holds JSON: id, titles, descriptions, legal basis, parameters (name, type, default,
min, max, unit, descriptions; every non-date parameter must have bounds) and, when the pattern needs one, the Python post-processor
(`"post": "function_name"` in `investigations.postprocessors`). The rest of the file is the
Cypher. Values reach the query only as `$params`; every query is run read-only with
a timeout by `investigations.runner`.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.parse import parse_money_fen

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent

#: The thirteen pattern ids of the detection spec (v2), in the order scans run them.
PATTERN_IDS: tuple[str, ...] = (
    "post_filing_transfer_to_related", "layered_chain", "round_trip", "fan_out_dispersal",
    "below_value_conveyance", "above_value_purchase", "sham_divorce", "shell_company_transfer",
    "small_fine_capacity",
    "cash_withdrawal_after_litigation", "income_redirection", "restricted_consumption", "sham_encumbrance",
)

#: Parameter types: how a value given on the CLI / UI is read.
#: money = yuan (converted to integer fen inside, as `<name>_fen`); ratio = fraction;
#: int / days = whole numbers; pct = 0-100; date = ISO date.
PARAM_TYPES = ("money", "ratio", "int", "days", "pct", "date")


class PatternError(ValueError):
    """A pattern file or a parameter value that cannot be used."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    unit: str = ""
    description_zh: str = ""
    description_en: str = ""
    min: float | None = None   # bounds from the metadata: a value outside is refused, so no request
    max: float | None = None   # can make a pattern search without end

    def _bounded(self, v: Any) -> Any:
        if self.min is not None and v < self.min:
            raise PatternError(f"{self.name}: {v} is below the minimum {self.min:g}")
        if self.max is not None and v > self.max:
            raise PatternError(f"{self.name}: {v} is above the maximum {self.max:g}")
        return v

    def parse(self, value: Any) -> Any:
        """A CLI / UI value of this parameter as a Python value (money stays in yuan, as Decimal).

        NaN, ±Infinity, negatives and values outside the metadata's min/max are refused with a
        PatternError naming the parameter."""
        if value is None:
            return None
        try:
            if self.type == "money":
                if isinstance(value, Decimal):
                    value = str(value)
                if str(value).strip().lower().lstrip("+-") in ("nan", "inf", "infinity", "snan"):
                    raise PatternError(f"{self.name}: {value!r} is not a finite amount")
                try:  # the one money rule: exact, sub-fen and negative amounts refused
                    return self._bounded(Decimal(parse_money_fen(str(value))) / 100)
                except ValueError as exc:
                    raise PatternError(f"{self.name}: {exc}") from None
            if self.type in ("ratio", "pct"):
                f = float(value)
                if not math.isfinite(f):
                    raise PatternError(f"{self.name}: {value!r} is not a finite number")
                if f < 0:
                    raise PatternError(f"{self.name}: must not be negative")
                return self._bounded(f)
            if self.type in ("int", "days"):
                i = int(str(value))
                if i < 0:
                    raise PatternError(f"{self.name}: must not be negative")
                return self._bounded(i)
            if self.type == "date":
                return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except (InvalidOperation, ValueError) as exc:
            if isinstance(exc, PatternError):
                raise
            raise PatternError(f"{self.name}: {value!r} is not a valid {self.type}") from exc
        raise PatternError(f"{self.name}: unknown parameter type {self.type}")

    def to_query(self, value: Any) -> dict[str, Any]:
        """The query parameter(s) for a parsed value: money becomes `<name>_fen` (int)."""
        if self.type == "money":
            return {self.name + "_fen": int(value * 100)}  # exact: parse() admits whole fen only
        return {self.name: value}


@dataclass(frozen=True)
class Pattern:
    id: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    legal_basis_zh: str
    legal_basis_en: str
    params: list[Param]
    cypher: str
    post: str | None = None
    #: A pre-step (postprocessors.PRE) that adds query parameters before the read runs.
    pre: str | None = None
    kind: str = "money"          # money | asset | capacity: what the hit's amount is
    timeout: float = 120.0
    path: Path = field(default=HERE)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise PatternError(f"pattern {self.id} has no parameter {name!r}; "
                           f"it has: {', '.join(p.name for p in self.params) or 'none'}")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.parse(p.default) for p in self.params}


def parse_file(path: Path) -> Pattern:
    """Read one `.cypher` file: the JSON header between `// ---` lines, then the query."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "// ---":
        raise PatternError(f"{path.name}: must start with a '// ---' metadata header")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "// ---")
    except StopIteration as exc:
        raise PatternError(f"{path.name}: metadata header is not closed by '// ---'") from exc
    header = "\n".join(ln.strip()[2:] for ln in lines[1:end])
    try:
        meta = json.loads(header)
    except json.JSONDecodeError as exc:
        raise PatternError(f"{path.name}: metadata is not valid JSON: {exc}") from exc
    params = [Param(p["name"], p["type"], p.get("default"), p.get("unit", ""),
                    p.get("description_zh", ""), p.get("description_en", ""), p.get("min"), p.get("max"))
              for p in meta.get("params", [])]
    for p in params:
        if p.type not in PARAM_TYPES:
            raise PatternError(f"{path.name}: parameter {p.name} has unknown type {p.type}")
        if p.type != "date" and (p.min is None or p.max is None or p.min > p.max):
            raise PatternError(f"{path.name}: parameter {p.name} needs bounds: \"min\" and \"max\" (min <= max)")
    cypher = "\n".join(lines[end + 1:]).strip()
    if meta.get("id") != path.stem:
        raise PatternError(f"{path.name}: metadata id {meta.get('id')!r} differs from the file name")
    return Pattern(id=meta["id"], title_zh=meta["title_zh"], title_en=meta["title_en"],
                   description_zh=meta["description_zh"], description_en=meta["description_en"],
                   legal_basis_zh=meta["legal_basis_zh"], legal_basis_en=meta["legal_basis_en"],
                   params=params, cypher=cypher, post=meta.get("post"), pre=meta.get("pre"), kind=meta.get("kind", "money"),
                   timeout=float(meta.get("timeout", 120)), path=path)


@lru_cache(maxsize=1)
def _load_all() -> dict[str, Pattern]:
    out: dict[str, Pattern] = {}
    for path in sorted(HERE.glob("*.cypher")):
        pat = parse_file(path)
        out[pat.id] = pat
    missing = [pid for pid in PATTERN_IDS if pid not in out]
    if missing:
        raise PatternError(f"pattern files missing: {', '.join(missing)}")
    return {pid: out[pid] for pid in PATTERN_IDS} | {k: v for k, v in out.items() if k not in PATTERN_IDS}


def load_patterns() -> dict[str, Pattern]:
    """Every saved pattern by id (the thirteen of the spec first, in scan order)."""
    return dict(_load_all())


def get_pattern(pattern_id: str) -> Pattern:
    """One pattern by id, or a PatternError naming the known ids."""
    pats = _load_all()
    if pattern_id not in pats:
        raise PatternError(f"unknown pattern {pattern_id!r}; known: {', '.join(pats)}")
    return pats[pattern_id]


__all__ = ["PATTERN_IDS", "Param", "Pattern", "PatternError", "get_pattern", "load_patterns", "parse_file"]
