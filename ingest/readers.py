"""Find and read the contract's tables from a folder of CSV and XLSX files.

Files are matched to tables by name (`transfers.csv`, `transfers_icbc.csv`, a workbook
sheet named `transfers`). CSVs are decoded as UTF-8 (BOM or not) first, then GB18030;
because GB18030 decodes almost any bytes, the header row is the check: headers that
match no column of the table are an error naming the file and the encodings tried.
Every cell is read as text; the validator parses it.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from .contract import TABLES, Table

logger = logging.getLogger(__name__)

ENCODINGS = ("utf-8-sig", "gb18030")
#: Rows per chunk read, validated and written together. 40,000 against 20,000 at 1M transfers: 66.6-92.1 s
#: (median 70.2) against 82.1-84.8 s, with less CPU on both sides and peak RSS ~700 MB against ~500 MB
#: (alternated in two runs, session 23, docs/benchmarks.md); 60,000 was not faster and took 885 MB.
CHUNK_ROWS = 40000


class InputError(RuntimeError):
    """A file that cannot be read as its table: the load does not run."""


@dataclass
class Source:
    """One file (or workbook sheet) feeding one table."""

    table: str
    path: Path
    sheet: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # original header -> column name or x_ name
    headers: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.path.name}#{self.sheet}" if self.sheet else self.path.name


def _table_for_name(stem: str) -> str | None:
    stem = stem.strip()
    # Longest table name first, so "asset_transfers_x" is not taken as "assets".
    for name in sorted(TABLES, key=len, reverse=True):
        if stem == name or stem.startswith(name + "_"):
            return name
    return None


def discover(folder: Path) -> list[Source]:
    """Every file and sheet in `folder` that feeds a table, in a stable order."""
    return discover_all(folder)[0]


def discover_all(folder: Path) -> tuple[list[Source], list[tuple[str, str]]]:
    """Every file and sheet that feeds a table, and every one that does not with the reason.

    A workbook's sheets: one named after a table feeds that table; in a workbook named
    after a table, every other sheet feeds the workbook's table (a month-per-sheet export
    loses nothing); any other sheet is refused with its reason, never skipped in silence.
    An empty sheet (no header row) is refused as empty.
    """
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    sources: list[Source] = []
    refused: list[tuple[str, str]] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")) or not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix == ".csv":
            table = _table_for_name(path.stem)
            if table:
                sources.append(Source(table, path))
            else:
                logger.debug("%s: its name matches no table; read as a bank or payment return", path.name)
        elif suffix == ".xlsx":
            table = _table_for_name(path.stem)
            try:
                book = pd.ExcelFile(path, engine="openpyxl")
                sheets = book.sheet_names
            except Exception as exc:  # openpyxl raises many kinds for a broken workbook
                raise InputError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
            if table is None and not any(_table_for_name(sh) == sh.strip() for sh in sheets):
                logger.debug("%s: neither its name nor its sheets name a table; read as a return", path.name)
                continue
            for sheet in sheets:
                where = f"{path.name}#{sheet}"
                own = _table_for_name(sheet)
                if own != sheet.strip():
                    own = None
                if own is None and table is None:
                    refused.append((where, "neither the workbook's name nor the sheet's names a table of the "
                                           "contract"))
                    logger.warning("refused %s: no table named", where)
                    continue
                try:
                    empty = pd.read_excel(book, sheet_name=sheet, nrows=0, dtype=str).columns.empty
                except Exception as exc:  # a sheet openpyxl cannot read
                    refused.append((where, f"unreadable sheet ({exc})"))
                    continue
                if empty:
                    refused.append((where, "empty sheet (no header row)"))
                    continue
                sources.append(Source(own or table, path, sheet=sheet))  # type: ignore[arg-type]
    return sources, refused


def _map_headers(table: Table, headers: list[str]) -> tuple[dict[str, str], int]:
    known = table.header_map()
    mapping: dict[str, str] = {}
    matched = 0
    for h in headers:
        key = str(h).strip()
        col = known.get(key.lower()) or known.get(key)
        if col and col not in mapping.values():
            mapping[h] = col
            matched += 1
        else:
            mapping[h] = "x_" + (key or "column")
    return mapping, matched


def _check_headers(src: Source, encodings_tried: list[str]) -> None:
    table = TABLES[src.table]
    mapping, matched = _map_headers(table, src.headers)
    if matched == 0:
        tried = ", ".join(encodings_tried) if encodings_tried else "xlsx"
        raise InputError(
            f"{src.label}: the header row matches no column of table '{src.table}' "
            f"(encodings tried: {tried}; headers read: {src.headers[:8]}). "
            "Save the file as UTF-8 or GB18030 CSV with the contract's English or Chinese headers.")
    missing = [c for c in table.required if c not in mapping.values()]
    if missing:
        names = ", ".join(f"{c} ({table.column(c).zh})" for c in missing)
        raise InputError(f"{src.label}: required column(s) missing from table '{src.table}': {names}")
    src.columns = mapping


def open_source(src: Source) -> None:
    """Read the header row, choose the encoding, map the headers; raise InputError if unusable."""
    if src.sheet is not None:
        df = pd.read_excel(src.path, sheet_name=src.sheet, dtype=str, nrows=0, engine="openpyxl")
        src.headers = [str(c) for c in df.columns]
        _check_headers(src, [])
        return
    with open(src.path, "rb") as f:  # the head only: reading the whole file first held 624 MB at 5M
        raw = f.read(65536)
    tried: list[str] = []
    last_error: InputError | None = None
    for enc in ENCODINGS:
        tried.append(enc)
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the 64 KiB boundary is not a decoding failure.
            if exc.start < len(raw) - 4:
                continue
            text = raw[:exc.start].decode(enc)
        first = text.splitlines()[0] if text else ""
        src.headers = next(csv.reader(io.StringIO(first)), [])
        src.encoding = enc
        try:
            _check_headers(src, tried)
            return
        except InputError as exc:
            last_error = exc
            if "required column" in str(exc):
                raise
    if last_error:
        raise last_error
    raise InputError(f"{src.label}: cannot be decoded as any of {', '.join(ENCODINGS)}")


def read_chunks(src: Source) -> Iterator[pd.DataFrame]:
    """The data rows as text DataFrames, with the spreadsheet row number in `_row`.

    Fully blank rows are skipped (they hold no record); every other row is yielded.
    """
    if src.sheet is not None:
        frames = [pd.read_excel(src.path, sheet_name=src.sheet, dtype=str, keep_default_na=False,
                                engine="openpyxl")]
    else:
        try:
            frames = pd.read_csv(src.path, dtype=str, keep_default_na=False, encoding=src.encoding,
                                 chunksize=CHUNK_ROWS, skip_blank_lines=False)
        except UnicodeDecodeError as exc:
            raise InputError(f"{src.label}: bad bytes for {src.encoding} ({exc})") from exc
    start = 2
    try:
        for df in frames:
            n = len(df)
            df = df.fillna("")
            df.columns = [str(c) for c in df.columns]
            df["_row"] = range(start, start + n)
            start += n
            yield df[~_blank_rows(df)]
    except UnicodeDecodeError as exc:
        raise InputError(f"{src.label}: bad bytes for {src.encoding} near row {start} ({exc})") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{src.label}: not a well-formed CSV ({exc})") from exc


def _blank_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is blank or spaces. Column by column, only over rows blank so far: the
    first column (a key, in most files) clears almost every row, so the rest strip almost nothing
    (stripping every cell was a tenth of the loader's client CPU per chunk; session 23)."""
    blank = pd.Series(True, index=df.index)
    for col in df.columns:
        if col == "_row":
            continue
        todo = blank.to_numpy().nonzero()[0]
        if not len(todo):
            break
        blank.iloc[todo] = (df[col].iloc[todo].str.strip() == "").to_numpy()
    return blank


def count_rows(src: Source) -> int:
    """Data rows (for the progress bar), cheaply for CSV."""
    if src.sheet is not None:
        return 0
    with open(src.path, "rb") as f:
        return max(sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b"")) - 1, 0)
