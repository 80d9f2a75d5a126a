"""What every step of the evidence pipeline shares: the package's error, its result, its format
constants and the exact text forms of money, dates and JSON.

Why: each step (gather, figures, files, manifest) must write numbers and dates the same way,
or a rebuilt package would not be byte-identical.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ingest.parse import format_fen
from investigations.netmodel import FIGURE_MAX_NODES, PACKAGE_PAGE_MAX_NODES

PACKAGE_FORMAT = "evidence-package/1"
#: Fixed timestamp of every zip entry (the zip format's epoch), so the zip is reproducible.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: Nodes in the interactive network (positions precomputed, physics off) and in the PDF figure.
MAX_HTML_NODES = PACKAGE_PAGE_MAX_NODES
MAX_FIGURE_NODES = FIGURE_MAX_NODES

#: An audit sink: called once with ("package.generate", details) when a package is complete.
AuditFn = Callable[[str, dict], None]


class PackageError(RuntimeError):
    """A package that cannot be built (unknown subject or case, missing font); the message says why."""


@dataclass
class PackageResult:
    """What build_package wrote: the zip, the PDF, the manifest and every file's SHA-256."""

    package_id: str
    out_dir: Path
    zip_path: Path
    pdf_path: Path
    manifest: dict
    files: dict[str, str]
    zip_sha256: str
    paths: dict[str, Path] = field(default_factory=dict)


def fen_text(fen: int | None, symbol: str = "") -> str:
    """Integer fen as yuan text with two decimals and thousands separators (integer arithmetic)."""
    return "" if fen is None else format_fen(fen, symbol)


def fen_plain(fen: int | None) -> str:
    """Integer fen as a plain decimal (1234.50) for the CSV: exact, no separators."""
    return "" if fen is None else format_fen(fen, grouped=False)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def iso_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def json_bytes(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, UTF-8, fixed indentation, trailing newline."""
    return (json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1, default=iso_text) + "\n").encode("utf-8")


def safe_name(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", s)[:80] or "subject"
