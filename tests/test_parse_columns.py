"""The column-wise parsers and the chunk validator (session 20) against the scalar ones they stand for:
same fen, same timestamps, same rows rejected with the same reasons, on awkward input."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest import parse, readers, validate
from ingest.readers import Source, open_source, read_chunks

MONEY = ["1753.00", "1753", "1753.5", "0.01", "0.00", "0", "¥1,234.50", "￥1,234.50", "1,234.50元", "RMB12.30",
         "CNY 5", "-0.01", "−3.00", "-0", "1.005", "1.000", "1.", ".5", "１２３.４５", "１２３", "", " ", "  12.30 ",
         "12345678901234", "12345678901234.99", "1234567890123456", "99999999999999999", "1e3", "12,34", "abc",
         "1 234.00", "0012.50", "1.2.3", "++1", "12.30\n"]
DATES = ["2024-03-01", "2024/3/1", "2024-3-1 8:05", "2024/03/01 08:05:09", "2024-03-01T10:00:00", "2024年3月1日",
         "2024年3月1日 10:00", " 2024-03-01 ", "2024-13-01", "2024-02-30", "2023-02-29", "2024-02-29",
         "2024-03-01 24:00", "2024-03-01 23:60", "2024-03-01 10:00:60", "2024-03-01 10:00:00.123",
         "２０２４-０３-０１", "2024.03.01", "0000-01-01", "2024-03-01 10", "", "yesterday", "2024-03-01 10：05",
         "2024-03-01  10:05", "2024-03-01\n"]


def _scalar(fn, text):  # type: ignore[no-untyped-def]
    try:
        return fn(text), None
    except ValueError as exc:
        return None, str(exc)


def test_money_column_gives_the_scalar_fen_and_reasons():
    fens, reasons = parse.parse_money_fen_column(MONEY)
    for text, fen, why in zip(MONEY, fens, reasons):
        assert (fen, why) == _scalar(parse.parse_money_fen, text), text
        assert fen is None or type(fen) is int
    # the plain path was taken for some, the scalar one (Unicode digits, symbols) for others, and both agree
    assert fens[MONEY.index("１２３.４５")] == 12345 and fens[MONEY.index("12345678901234.99")] == 1234567890123499
    assert reasons[MONEY.index("1.005")] and reasons[MONEY.index("-0.01")]


def test_datetime_column_gives_the_scalar_values_and_reasons():
    values, reasons = parse.parse_datetime_column(DATES * 2)  # repeats come from the per-text cache
    for text, v, why in zip(DATES * 2, values, reasons):
        assert (v, why) == _scalar(parse.parse_datetime, text), text
    assert values[DATES.index("２０２４-０３-０１")] is not None and reasons[DATES.index("2024-02-30")]


HEADER = ["流水号", "from_account", "to_account", "from_name", "to_name", "amount", "at", "currency", "channel",
          "memo", "kind", "merchant", "note"]


def _messy_rows() -> list[list[str]]:
    rows = []
    for i, (money, when) in enumerate(zip(MONEY * 2, DATES * 3)):
        rows.append([f"T{i}", f"A{i % 5}", f"B{i % 7}", "张三" if i % 2 else "", "", money, when, "", "网银", "转账",
                     "", "", ""])
    rows += [
        ["", "A1", "B1", "", "", "1.00", "2024-01-01", "", "", "", "", "", ""],  # no id
        ["T100", "", "B1", "", "", "1.00", "2024-01-01", "", "", "", "", "", ""],  # no payer
        ["T101", "A1", "A1", "", "", "1.00", "2024-01-01", "", "", "", "", "", ""],  # same account
        ["T102", "A1", "", "", "", "1.00", "2024-01-01", "", "", "", "取现", "", ""],  # cash, fine
        ["T103", "A1", "B1", "", "", "1.00", "2024-01-01", "", "", "", "cash_withdrawal", "", ""],  # cash with payee
        ["T104", "", "B1", "", "", "1.00", "2024-01-01", "", "", "", "CASH_DEPOSIT", "", ""],
        ["T105", "A1", "B1", "", "", "1.00", "2024-01-01", "", "", "", "gift", "", ""],  # bad kind
        ["T106", "A1", "B1", "", "", "1.00", "2024-01-01", "usd", "", "", "转账", "", ""],
        ["T107", "A1", "B1", "", "", "1.00", "2024-01-01", "人民币", "", "", "Transfer", "", ""],
        ["T108", "A1", "B1", "", "", "1.00", "2024-01-01", "dollars", "", "", "", "", ""],  # bad currency
        ["T109", "A1", "B1", "", "", "1.00", "2024-01-01", "", "", "", "", "", "a note"],  # extra column value
        [" T110 ", " A1 ", " B1 ", " 李四 ", " ", " 2.00 ", " 2024-01-01 ", " CNY ", " ", " 备注, \"引号\" ", " ",
         " 商户 ", " "],
        ["T111", "A1", "B1", "", "", "0", "", "", "", "", "", "", ""],  # zero amount, no time: two reasons
        ["", "", "", "", "", "", "", "", "", "", "", "", "x"],  # only an extra value
    ]
    return rows


def _fields(r: validate.Row) -> tuple:
    return (r.table, r.src_file, r.src_row, r.original, r.values, r.extras, r.reasons)


@pytest.mark.parametrize("chunk_rows", [7, 20000])
def test_chunk_validation_equals_row_by_row_on_a_messy_file(tmp_path: Path, monkeypatch, chunk_rows: int):
    monkeypatch.setattr(readers, "CHUNK_ROWS", chunk_rows)
    path = tmp_path / "transfers.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(_messy_rows())
    src = Source("transfers", path)
    open_source(src)
    fast, slow = [], []
    for chunk in read_chunks(src):
        slow += [validate.validate_row("transfers", src.label, int(rec.pop("_row")), rec, src.columns)
                 for rec in chunk.to_dict("records")]
        fast += validate.validate_rows("transfers", src.label, chunk, src.columns)
    assert len(fast) == len(slow) > 80
    for a, b in zip(fast, slow):
        assert _fields(a) == _fields(b), b.src_row
    # the file exercises both outcomes and both paths
    assert sum(r.ok for r in slow) > 20 and sum(not r.ok for r in slow) > 20
    assert any(r.extras for r in slow) and any(r.values.get("kind") == "cash_withdrawal" and r.ok for r in slow)


@pytest.mark.parametrize("chunk_rows", [2, 20000])
def test_blank_and_space_only_rows_are_skipped_and_rows_keep_their_numbers(tmp_path: Path, monkeypatch,
                                                                          chunk_rows: int):
    """A row is skipped only when every cell is blank or spaces; a row with any value (even only
    in a later column) is kept, numbered as the spreadsheet numbers it."""
    monkeypatch.setattr(readers, "CHUNK_ROWS", chunk_rows)
    path = tmp_path / "transfers.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows([["T1", "A1", "A2", "1.00", "2024-01-01 10:00"] + [""] * (len(HEADER) - 5),  # row 2
                     [""] * len(HEADER),                                                       # row 3
                     [" ", "  "] + [" "] * (len(HEADER) - 2),                                   # row 4
                     [" "] * (len(HEADER) - 1) + ["备注"],                                     # row 5: a value
                     ["T2", "A1", "A2", "2.00", "2024-01-02 10:00"] + [""] * (len(HEADER) - 5)])  # row 6
    src = Source("transfers", path)
    open_source(src)
    kept = [n for chunk in read_chunks(src) for n in chunk["_row"].tolist()]
    assert kept == [2, 5, 6]
