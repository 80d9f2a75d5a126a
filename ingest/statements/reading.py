"""Read a return file (.csv, .txt, .xlsx, .xls) as rows of text cells and find its header row.

Why: returns open with title lines, come comma- or tab-separated, in UTF-8 or GB18030,
or as workbooks; the header row, not the file name, says what a file is. `sniff` finds
the first row (within the first `HEADER_SCAN` rows) that a profile fits, and otherwise
says which profiles came closest and what they missed.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..readers import InputError
from .profiles import Profile, all_profiles

logger = logging.getLogger(__name__)

SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
ENCODINGS = ("utf-8-sig", "gb18030")
HEADER_SCAN = 40


@dataclass
class Sniff:
    """What a file is: its profile, header row and columns, or why none fits."""

    path: Path
    profile: Profile | None = None
    header_index: int = 0  # 0-based index of the header row among the file's rows
    headers: list[str] = field(default_factory=list)
    columns: dict[str, list[int]] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    preamble: list[str] = field(default_factory=list)
    candidates: list[tuple[str, int, list[str]]] = field(default_factory=list)  # (profile, score, missing)

    @property
    def name(self) -> str:
        return self.path.name

    def why_not(self) -> str:
        """The clear error for an unknown layout: file, closest profiles, their missing headers."""
        near = "; ".join(f"{p} lacks {', '.join(m[:6])}" for p, _, m in self.candidates[:3])
        return (f"{self.name}: no profile matches its header row (looked at the first {HEADER_SCAN} rows, "
                f"encodings {', '.join(ENCODINGS) if self.encoding is None or self.delimiter else 'workbook'}). "
                f"Closest: {near or 'none'}. Add a profile under ingest/profiles/ (docs/statements.md).")


def _decode_probe(path: Path) -> str:
    raw = path.read_bytes()[:262144]
    for enc in ENCODINGS:
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError as exc:
            if exc.start >= len(raw) - 4:  # a character cut at the probe boundary
                return enc
    return ENCODINGS[-1]


def _delimiter(lines: list[str]) -> str:
    tabs = sum(line.count("\t") for line in lines)
    commas = sum(line.count(",") for line in lines)
    # ICBC pads comma-separated cells with a trailing tab: a tab per comma is still a CSV.
    return "\t" if tabs > commas else ","


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def iter_rows(path: Path, encoding: str | None = None, delimiter: str | None = None) -> Iterator[list[str]]:
    """Every row of the file (or first sheet) as stripped text cells, blank rows included."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise InputError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
        try:
            for row in wb.worksheets[0].iter_rows(values_only=True):
                yield [_cell(v).strip() for v in row]
        finally:
            wb.close()
        return
    if suffix == ".xls":
        import xlrd
        try:
            book = xlrd.open_workbook(str(path))
        except Exception as exc:  # xlrd raises XLRDError and struct errors on broken files
            raise InputError(f"{path.name}: not a readable .xls workbook ({exc})") from exc
        sheet = book.sheet_by_index(0)
        for r in range(sheet.nrows):
            out = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    out.append(_cell(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
                else:
                    out.append(_cell(cell.value).strip())
            yield out
        return
    enc = encoding or _decode_probe(path)
    with open(path, encoding=enc, newline="") as f:
        if delimiter is None:
            head = [f.readline() for _ in range(HEADER_SCAN)]
            delimiter = _delimiter(head)
            f.seek(0)
        line = 0
        try:
            for row in csv.reader(f, delimiter=delimiter):
                line += 1
                yield [c.strip().replace("\ufeff", "") for c in row]
        except UnicodeDecodeError as exc:
            raise InputError(f"{path.name}: bad bytes for {enc} near line {line + 1} ({exc.reason})") from exc
        except csv.Error as exc:
            raise InputError(f"{path.name}: not a well-formed delimited text file near line {line + 1} ({exc})") \
                from exc


def sniff(path: Path, profiles: list[Profile] | None = None) -> Sniff:
    """Find the header row and the profile that fits it (the one matching most header spellings).

    Text files are tried with the likelier delimiter first, then the other (ICBC pads every
    comma-separated cell with a tab, so counting is not enough).
    """
    path = Path(path)
    profiles = all_profiles() if profiles is None else profiles
    s = Sniff(path)
    delimiters: list[str | None] = [None]
    if path.suffix.lower() in (".csv", ".txt"):
        s.encoding = _decode_probe(path)
        with open(path, encoding=s.encoding, newline="", errors="replace") as f:
            first = _delimiter([f.readline() for _ in range(HEADER_SCAN)])
        delimiters = [first, "," if first == "\t" else "\t"]
    best: dict[str, tuple[int, list[str]]] = {}
    for delim in delimiters:
        s.delimiter = delim
        rows = iter_rows(path, s.encoding, delim)
        seen: list[list[str]] = []
        try:
            for i, row in enumerate(rows):
                if i >= HEADER_SCAN:
                    break
                seen.append(row)
                if sum(1 for c in row if c) < 2:
                    continue
                fits = []
                for p in profiles:
                    cols, missing = p.match(row)
                    score = p.score(row)
                    if not missing:
                        fits.append((score, p, cols))
                    elif score > best.get(p.name, (-1, []))[0]:
                        best[p.name] = (score, missing)
                if fits:
                    fits.sort(key=lambda t: (-t[0], t[1].name))
                    _, s.profile, s.columns = fits[0]
                    s.header_index, s.headers = i, row
                    s.preamble = [" ".join(c for c in r if c) for r in seen[:i]]
                    return s
        finally:
            rows.close()
    s.delimiter = delimiters[0]
    s.candidates = sorted(((n, sc, m) for n, (sc, m) in best.items() if sc > 0), key=lambda t: (-t[1], t[0]))
    return s


def is_return_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not path.name.startswith((".", "~$"))


def own_account_from_context(s: Sniff, override: str | None) -> tuple[str | None, str]:
    """The own account of a personal statement: preamble, file name or --account (never guessed)."""
    p = s.profile
    assert p is not None
    for source in p.own_account_from:
        if source == "preamble":
            text = "\n".join(s.preamble)
            for pat in p.preamble_patterns:
                m = re.search(pat, text)
                if m and "*" not in m.group(1):
                    return m.group(1), "preamble"
        elif source == "filename":
            m = re.search(r"(?<![0-9])([0-9]{12,25})(?![0-9])", s.path.stem)
            if m:
                return m.group(1), "file name"
        elif source == "option" and override:
            return override, "--account"
    return None, ""



