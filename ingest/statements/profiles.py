"""Declarative layouts of bank and payment returns (ingest/profiles/*.toml) and header matching.

Why: real returns come in more layouts than any list; a new layout must be a new profile
file, not code. A profile names the header spellings of each field, how direction,
sign and unit are given, where the own account comes from and which rows are skipped.
docs/statements.md describes every key.
"""
from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
KINDS = ("transactions", "accounts", "persons")
#: Every field a profile may map (docs/statements.md says what each means).
FIELDS = frozenset({
    "own_account", "own_card", "own_name", "own_id_number", "own_info", "institution", "time", "date", "clock",
    "amount", "amount_in", "amount_out", "balance", "direction", "currency", "cp_account", "cp_name",
    "cp_id_number", "cp_bank", "cp_info", "memo", "channel", "serial", "order_id", "merchant", "tx_type",
    "cash_flag", "success", "status", "holder_name", "holder_id_number", "holder_phone", "opened_on",
    "closed_on", "name", "id_type", "id_number", "phone", "address",
})
_SPACE = re.compile(r"\s+")
_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "／": "/"})


class ProfileError(ValueError):
    """A profile file that does not describe a layout (a configuration mistake)."""


def norm_header(text: object) -> str:
    """A header cell as compared with profile aliases: trimmed, spaces removed, half-width brackets."""
    return _SPACE.sub("", str(text or "").replace("\ufeff", "")).translate(_FULLWIDTH)


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    kind: str
    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]  # field names; "a|b" = either
    signature: tuple[str, ...]  # header spellings that identify the layout
    account_kind: str = "bank"
    institution: str | None = None
    amount_unit: str = "yuan"  # yuan | fen
    sign: str = "direction"  # direction | signed | split (derived)
    direction_out: tuple[str, ...] = ()
    direction_in: tuple[str, ...] = ()
    skip: dict[str, tuple[str, ...]] = field(default_factory=dict)
    own_account_from: tuple[str, ...] = ("column",)
    preamble_patterns: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()  # the full header row as issued (optional; duplicates kept)
    path: str = ""

    def required_headers(self) -> list[str]:
        """The signature plus one spelling of every required field (for "missing" messages)."""
        out = list(self.signature)
        for req in self.required:
            names = req.split("|")
            if not any(set(self.fields.get(n, ())) & set(out) for n in names):
                out.append(" / ".join(self.fields.get(names[0], (names[0],))))
        return out

    def match(self, headers: list[str]) -> tuple[dict[str, list[int]], list[str]]:
        """Column indexes per field for a header row, and what is missing (empty = the profile fits)."""
        normed = [norm_header(h) for h in headers]
        cols: dict[str, list[int]] = {}
        for fname, aliases in self.fields.items():
            idx = [i for a in aliases for i, h in enumerate(normed) if h == norm_header(a)]
            seen: list[int] = []
            for i in idx:  # first spelling first; a duplicated header name maps its first column
                if i not in seen and not any(normed[j] == normed[i] for j in seen):
                    seen.append(i)
            if seen:
                cols[fname] = seen
        present = set(normed)
        missing = [s for s in self.signature if norm_header(s) not in present]
        for req in self.required:
            if not any(n in cols for n in req.split("|")):
                missing.append(" / ".join(self.fields.get(req.split("|")[0], (req,))))
        return cols, missing

    def score(self, headers: list[str]) -> int:
        """How many of the profile's header spellings the row holds (to rank near misses)."""
        normed = {norm_header(h) for h in headers}
        names = {norm_header(a) for aliases in self.fields.values() for a in aliases} | \
                {norm_header(s) for s in self.signature}
        return len(names & normed)


def _tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where}: expected a string or a list of strings")
    return tuple(value)


def load_profile(path: Path) -> Profile:
    """Read and check one profile file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path.name}: not valid TOML ({exc})") from exc
    where = path.name
    kind = data.get("kind")
    if kind not in KINDS:
        raise ProfileError(f"{where}: kind must be one of {', '.join(KINDS)}")
    fields = {k: _tuple(v, f"{where} [fields].{k}") for k, v in data.get("fields", {}).items()}
    unknown = set(fields) - FIELDS
    if unknown:
        raise ProfileError(f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(FIELDS)}")
    required = _tuple(data.get("required", []), f"{where} required")
    for req in required:
        if not any(n in fields for n in req.split("|")):
            raise ProfileError(f"{where}: required field {req!r} has no header spelling in [fields]")
    direction = data.get("direction", {})
    sign = data.get("sign") or ("split" if "amount_in" in fields else "direction")
    if sign not in ("direction", "signed", "split"):
        raise ProfileError(f"{where}: sign must be direction, signed or split")
    if kind == "transactions" and sign == "direction" and not direction.get("out"):
        raise ProfileError(f"{where}: [direction] out/in values are needed when the sign comes from a column")
    unit = data.get("amount_unit", "yuan")
    if unit not in ("yuan", "fen"):
        raise ProfileError(f"{where}: amount_unit must be yuan or fen")
    patterns = _tuple(data.get("preamble_patterns", []), f"{where} preamble_patterns")
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ProfileError(f"{where}: bad preamble pattern {p!r} ({exc})") from exc
    headers = _tuple(data.get("headers", []), f"{where} headers")
    missing = [h for h in data.get("signature", []) if headers and h not in headers]
    if missing:
        raise ProfileError(f"{where}: signature header(s) {missing} are not in headers")
    return Profile(
        name=path.stem, title=data.get("title", path.stem), kind=kind, fields=fields, required=required,
        signature=_tuple(data.get("signature", []), f"{where} signature"),
        account_kind=data.get("account_kind", "bank"), institution=data.get("institution"),
        amount_unit=unit, sign=sign, direction_out=_tuple(direction.get("out", []), where),
        direction_in=_tuple(direction.get("in", []), where),
        skip={k: _tuple(v, f"{where} [skip].{k}") for k, v in data.get("skip", {}).items()},
        own_account_from=_tuple(data.get("own_account_from", ["column"]), where),
        preamble_patterns=patterns, headers=headers, path=str(path))


_CACHE: dict[str, tuple[float, list[Profile]]] = {}


def all_profiles(folder: Path | None = None) -> list[Profile]:
    """Every profile of the folder, by name (re-read when a file changes)."""
    folder = Path(folder or PROFILE_DIR)
    files = sorted(folder.glob("*.toml"))
    stamp = max((f.stat().st_mtime for f in files), default=0.0) + len(files)
    cached = _CACHE.get(str(folder))
    if cached and cached[0] == stamp:
        return cached[1]
    profiles = [load_profile(f) for f in files]
    _CACHE[str(folder)] = (stamp, profiles)
    return profiles


def header_row(name: str) -> list[str]:
    """The full header row of the layout `name` (its profile's `headers`): the one home of the headers
    that synth/returns.py and the test fixtures write, so they cannot drift from what is recognised."""
    for p in all_profiles():
        if p.name == name:
            if not p.headers:
                raise ProfileError(f"{name}.toml has no headers list")
            return list(p.headers)
    raise ProfileError(f"no profile {name!r}")
