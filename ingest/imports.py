"""Imports from the browser: stage uploaded files and zips safely, inspect them, load in the background.

Why here and not in web/: staging, inspection and the load are domain work the import page
only calls (no `request` here). A zip is refused when it holds too many members, expands
past `MAX_UNPACKED` bytes or more than `MAX_RATIO` times its packed size (a zip bomb), or
names a member with an absolute path or `..` (path traversal); members are written under
their base name only. A load runs in a thread with its progress in `JOBS`.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from graph import Graph

from .loader import load_dir, new_load_id
from .readers import InputError, _table_for_name
from .statements import is_return_file, sniff
from .statements.normalise import Reject, Skip, account, person, transaction
from .statements.reading import iter_rows, own_account_from_context

logger = logging.getLogger(__name__)

MAX_FILES = 200
MAX_UNPACKED = 1024 * 1024 * 1024  # 1 GiB in all
MAX_RATIO = 100
PREVIEW_ROWS = 5
SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")


class ImportRefused(ValueError):
    """An upload that is refused as a whole (unsafe archive, too large, nothing usable)."""


def new_batch(root: Path) -> tuple[str, Path]:
    bid = dt.datetime.now().strftime("I%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    path = Path(root) / bid
    (path / "files").mkdir(parents=True)
    return bid, path


def batch_dir(root: Path, bid: str) -> Path:
    """The staging folder of a batch id (ids are checked: no path can be smuggled in)."""
    if not bid or not all(c.isalnum() or c == "-" for c in bid):
        raise ImportRefused("bad import id")
    path = Path(root) / bid
    if not (path / "files").is_dir():
        raise ImportRefused(f"no import {bid}")
    return path


def _safe_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base or base.startswith((".", "~$")):
        raise ImportRefused(f"unusable file name {name!r}")
    return base


def _unzip(stream: IO[bytes], dest: Path, budget: list[int]) -> list[str]:
    try:
        zf = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise ImportRefused(f"not a readable zip ({exc})") from exc
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > MAX_FILES:
        raise ImportRefused(f"the archive holds {len(infos)} files (at most {MAX_FILES})")
    for i in infos:
        raw = i.filename.replace("\\", "/")
        if raw.startswith("/") or ".." in PurePosixPath(raw).parts or ":" in raw.split("/")[0]:
            raise ImportRefused(f"the archive names a path outside itself: {i.filename!r}")
        if i.file_size > MAX_RATIO * max(i.compress_size, 1) and i.file_size > 1024 * 1024:
            raise ImportRefused(f"{i.filename!r} expands {i.file_size // max(i.compress_size, 1)}x: "
                                "refused as a zip bomb")
        budget[0] -= i.file_size
        if budget[0] < 0:
            raise ImportRefused(f"the archive expands past {MAX_UNPACKED // 2**20} MiB")
    names = []
    for i in infos:
        name = i.filename
        try:
            name = i.filename.encode("cp437").decode("gbk") if not i.flag_bits & 0x800 else i.filename
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        base = _safe_name(name)
        if not base.lower().endswith(SUFFIXES):
            continue
        written = 0
        with zf.open(i) as src, open(dest / base, "wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > i.file_size:  # the header lied about the size
                    raise ImportRefused(f"{i.filename!r} is larger than its archive entry says")
                out.write(chunk)
        names.append(base)
    return names


def stage(root: Path, uploads: list[tuple[str, IO[bytes]]]) -> tuple[str, list[str]]:
    """Save uploaded files (zips unpacked) into a new batch folder; returns (batch id, file names)."""
    bid, path = new_batch(root)
    dest = path / "files"
    budget = [MAX_UNPACKED]
    names: list[str] = []
    for filename, stream in uploads:
        base = _safe_name(filename)
        if base.lower().endswith(".zip"):
            names += _unzip(stream, dest, budget)
        elif base.lower().endswith(SUFFIXES):
            with open(dest / base, "wb") as out:
                while chunk := stream.read(1 << 20):
                    budget[0] -= len(chunk)
                    if budget[0] < 0:
                        raise ImportRefused(f"the upload is larger than {MAX_UNPACKED // 2**20} MiB")
                    out.write(chunk)
            names.append(base)
        else:
            raise ImportRefused(f"{base}: only .csv, .txt, .xlsx, .xls and .zip files are accepted")
    if len(names) > MAX_FILES:
        raise ImportRefused(f"{len(names)} files (at most {MAX_FILES})")
    if not names:
        raise ImportRefused("no .csv, .txt, .xlsx or .xls file in the upload")
    return bid, sorted(set(names))


@dataclass
class FileReport:
    name: str
    kind: str  # table | return | unknown
    profile: str | None = None
    title: str | None = None
    why_not: str | None = None
    own_account: str | None = None
    header_row: int | None = None
    columns: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)


def _preview(s, own: str | None) -> tuple[list[str], list[list[str]]]:
    p = s.profile
    out: list[list[str]] = []
    for i, cells in enumerate(iter_rows(s.path, s.encoding, s.delimiter)):
        if i <= s.header_index or not any(cells):
            continue
        if len(out) >= PREVIEW_ROWS:
            break
        row = i + 1
        try:
            if p.kind == "transactions":
                t = transaction(p, s.columns, cells, s.name, row, own)
                out.append([str(row), t.at.isoformat(sep=" "), "out" if t.out else "in", t.own, t.cp or "",
                            t.cp_name or "", str(t.amount), t.currency, t.kind, t.serial or ""])
            elif p.kind == "accounts":
                a = account(p, s.columns, cells, s.name, row)
                out.append([str(row), a.account or "", a.card or "", a.holder_name or "", a.holder_id or "",
                            a.institution or ""])
            else:
                q = person(p, s.columns, cells, s.name, row)
                out.append([str(row), q.name, q.id_number, q.phone or ""])
        except (Skip, Reject) as exc:
            out.append([str(row), f"{type(exc).__name__.lower()}: {exc}"])
    cols = {"transactions": ["row", "time", "direction", "account", "counterparty", "counterparty name",
                             "amount (fen)", "currency", "kind", "serial"],
            "accounts": ["row", "account", "card", "holder", "ID number", "institution"],
            "persons": ["row", "name", "ID number", "phone"]}[p.kind]
    return cols, out


def inspect(folder: Path, accounts: dict[str, str] | None = None) -> list[FileReport]:
    """Per file: the contract table or return profile it is, or why not, with normalised preview rows."""
    accounts = accounts or {}
    reports = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file():
            continue
        table = _table_for_name(path.stem)
        if table and path.suffix.lower() in (".csv", ".xlsx"):
            reports.append(FileReport(path.name, "table", profile=table))
            continue
        if not is_return_file(path):
            continue
        try:
            s = sniff(path)
        except InputError as exc:
            reports.append(FileReport(path.name, "unknown", why_not=str(exc)))
            continue
        if s.profile is None:
            reports.append(FileReport(path.name, "unknown", why_not=s.why_not()))
            continue
        rep = FileReport(path.name, "return", profile=s.profile.name, title=s.profile.title,
                         header_row=s.header_index + 1)
        own = None
        if s.profile.kind == "transactions" and "column" not in s.profile.own_account_from:
            own, source = own_account_from_context(s, accounts.get(path.name) or accounts.get(""))
            if own:
                rep.own_account = f"{own} ({source})"
            else:
                rep.why_not = "own account unknown: give it below"
        rep.columns, rep.preview = _preview(s, own)
        reports.append(rep)
    return reports


# -- background loads ---------------------------------------------------------------
JOBS: dict[str, dict[str, Any]] = {}
_LOCK = threading.Lock()


def job(bid: str) -> dict[str, Any] | None:
    with _LOCK:
        j = JOBS.get(bid)
        return dict(j) if j else None


def start_load(g: Graph, batch: Path, accounts: dict[str, str] | None = None) -> dict[str, Any]:
    """Load a staged batch in a thread; progress and the summary land in `JOBS[batch id]`."""
    bid = batch.name
    with _LOCK:
        if bid in JOBS and JOBS[bid]["status"] in ("running", "done"):
            return dict(JOBS[bid])
        files = sorted(p.name for p in (batch / "files").iterdir())
        total = sum(_lines(batch / "files" / f) for f in files) or 1
        load_id = new_load_id()
        JOBS[bid] = {"status": "running", "load_id": load_id, "done_rows": 0, "total_rows": total,
                     "stage": "", "summary": None, "error": None}

    read: dict[str, int] = {}

    def progress(stage: str, n: int) -> None:
        with _LOCK:
            read[stage] = n
            JOBS[bid]["done_rows"] = min(sum(read.values()), total)
            JOBS[bid]["stage"] = stage

    def table_done(name: str, counts: dict[str, int]) -> None:
        if name != "statements":
            progress(name, counts.get("read", 0))

    def run() -> None:
        try:
            res = load_dir(g, batch / "files", batch / "rejects", load_id=load_id, on_table=table_done,
                           accounts=accounts, on_progress=progress)
            with _LOCK:
                JOBS[bid].update(status="done", done_rows=total, summary=res.summary())
        except Exception as exc:  # reported on the page; the load's own records say what was written
            logger.exception("import %s failed", bid)
            with _LOCK:
                JOBS[bid].update(status="failed", error=str(exc))

    threading.Thread(target=run, name=f"import-{bid}", daemon=True).start()
    return job(bid)  # type: ignore[return-value]


def _lines(path: Path) -> int:
    if path.suffix.lower() in (".xlsx", ".xls"):
        return 1
    with open(path, "rb") as f:
        return sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b""))


def rejects_file(batch: Path, name: str) -> Path | None:
    """A rejects CSV of the batch by its plain name (never a path)."""
    if "/" in name or "\\" in name or not name.endswith(".csv"):
        return None
    p = batch / "rejects" / name
    return p if p.is_file() else None
