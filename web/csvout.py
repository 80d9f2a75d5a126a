"""CSV files for spreadsheets: UTF-8 with a BOM (Excel shows Chinese), and no cell that a spreadsheet
would run as a formula. Bank statements carry counterparty names such as `=HYPERLINK(...)` or `@SUM`,
so any text cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import IO, Any, Iterable

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell as a spreadsheet may show it but never evaluate; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(out: IO[str], header: list[str], rows: Iterable[Iterable[Any]]) -> int:
    """Header and rows, every cell neutralised; None as empty. Returns the number of rows."""
    w = csv.writer(out)
    w.writerow([neutralise(h) for h in header])
    n = 0
    for r in rows:
        w.writerow(["" if v is None else neutralise(v) for v in r])
        n += 1
    return n


def csv_response(name: str, header: list[str], rows: Iterable[Iterable[Any]]) -> Response:
    """A download `<name>-<time>.csv` (BOM, neutralised cells)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    write_rows(buf, header, rows)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return Response(buf.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe}-{stamp}.csv"',
                             "Cache-Control": "no-store"})
