"""The bulk import's reader keeps what it must remember across chunks in sqlite (ingest/bulk_store.py):
cut into chunks of two rows, a folder gives the same import files and rejects as read in one chunk, and
the repeats, contradictions, references and account names that span chunks are handled as a normal
load handles them. No database: this is the reader (phase 2) alone; tests/test_bulk_import.py imports."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest import readers
from ingest.bulk import BulkImport
from ingest.bulk_store import MAX_NAMES, merge_names
from ingest.readers import discover_all, open_source

FILES = {
    "persons.csv": [
        ["person_id", "name", "phone", "address"],
        ["P1", "甲", "111", ""],
        ["P2", "乙", "", ""],
        ["P1", "甲", "", "北京"],      # compatible repeat (another chunk): adds the address
        ["P1", "甲", "", "上海"],      # contradicts the address the repeat gave: rejected
        ["X1", "丙", "", ""],          # also a company id: accounts naming X1 are ambiguous
    ],
    "companies.csv": [
        ["company_id", "name"],
        ["C1", "某公司"],
        ["X1", "某公司二"],
    ],
    "accounts.csv": [
        ["account_id", "holder_id", "kind", "opened_on"],
        ["A1", "P1", "bank", "2020-01-02"],
        ["A2", "C1", "bank", ""],
        ["A3", "P9", "bank", ""],      # no such holder: rejected
        ["A4", "X1", "bank", ""],      # ambiguous holder: rejected
        ["A1", "P2", "bank", ""],      # contradicts A1's holder (another chunk): rejected
        ["A5", "P2", "payment", ""],
    ],
    "transfers.csv": [
        ["transfer_id", "from_account", "to_account", "from_name", "to_name", "amount", "at"],
        ["T1", "A1", "B1", "甲", "丁", "10.00", "2024-01-01 10:00:00"],
        ["T2", "A1", "B1", "甲", "丁二", "20.00", "2024-01-02"],
        ["T3", "B1", "A2", "丁", "", "30.00", "2024-01-03"],
        ["T1", "A1", "B1", "甲", "丁", "10.00", "2024-01-01 10:00:00"],  # identical repeat: merged
        ["T2", "A1", "B1", "甲", "丁二", "21.00", "2024-01-02"],          # contradicting repeat: rejected
        ["T4", "A5", "B1", "", "丁三", "40.00", "2024-01-04"],
        ["T5", "B2", "A1", "戊", "甲", "50.00", "2024-01-05"],
    ],
}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name, rows in FILES.items():
        with open(data / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return data


def _phase2(data: Path, out: Path, chunk_rows: int, monkeypatch) -> tuple[dict, dict[str, str], dict[str, str]]:
    monkeypatch.setattr(readers, "CHUNK_ROWS", chunk_rows)
    sources, _ = discover_all(data)
    for s in sources:
        open_source(s)
    bulk = BulkImport(None, "Ltest", out / "import")  # type: ignore[arg-type]  # phase 2 needs no database
    counts, paths = bulk.write_files(sources, out / "rejects")
    files = {p.name: p.read_text(encoding="utf-8") for pair in paths.values() for p in pair}
    rejects = {p.name: p.read_text(encoding="utf-8-sig") for p in (out / "rejects").iterdir()}
    assert not (out / "import" / "bulk.sqlite").exists()  # the scratch store is removed
    return counts, files, rejects


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


def test_chunks_of_two_give_what_one_chunk_gives(folder, tmp_path, monkeypatch):
    one = _phase2(folder, tmp_path / "one", 20000, monkeypatch)
    small = _phase2(folder, tmp_path / "small", 2, monkeypatch)
    assert small == one
    counts, files, rejects = small
    assert counts == {"persons": {"read": 5, "loaded": 4, "rejected": 1},
                      "companies": {"read": 2, "loaded": 2, "rejected": 0},
                      "accounts": {"read": 6, "loaded": 3, "rejected": 3},
                      "transfers": {"read": 7, "loaded": 6, "rejected": 1}}
    # a key is imported once, by its first row; the repeat's new field is not (MERGE's ON CREATE)
    persons = _rows(files["persons.csv"])
    assert [r[0] for r in persons] == ["P1", "P2", "X1"]
    assert [r[0] for r in _rows(files["transfers.csv"])] == ["A1", "A1", "B1", "A5", "B2"]
    rej = {name: _rows(text) for name, text in rejects.items()}
    assert [(r[2], r[3]) for r in rej["persons.csv"][1:]] == [
        ("5", "address (住址): contradicts persons.csv row 2, which has the same key 'P1'")]
    reasons = {r[2]: r[3] for r in rej["accounts.csv"][1:]}
    assert set(reasons) == {"4", "5", "6"}
    assert "P9" in reasons["4"] and "ambiguous" in reasons["5"]
    assert reasons["6"].startswith("holder_id (") and "contradicts accounts.csv row 2" in reasons["6"]
    assert [(r[2], r[3]) for r in rej["transfers.csv"][1:]] == [
        ("6", "key 'T2' also in transfers.csv row 3 with different values")]


def test_accounts_as_the_cypher_writers_leave_them(folder, tmp_path, monkeypatch):
    _, files, _ = _phase2(folder, tmp_path / "small", 2, monkeypatch)
    header = _rows(files["accounts.header.csv"])[0]
    assert header[:9] == ["account_id:ID(Account)", "load_id", "src_file", "src_row:long", "prov:string[]",
                          "holder_known:boolean", "holder_id:string", "holder_load_id:string", "stmt_names:string[]"]
    acc = {r[0]: dict(zip([h.split(":")[0] for h in header], r)) for r in _rows(files["accounts.csv"])}
    # creation order: the accounts table's, then the counterparties in the order transfers named them
    assert list(acc) == ["A1", "A2", "A5", "B1", "B2"]
    a1 = acc["A1"]
    assert (a1["holder_known"], a1["holder_id"], a1["src_row"], a1["opened_on"]) == ("true", "P1", "2", "2020-01-02")
    prov = a1["prov"].split("\x1f")
    assert prov[0].startswith('Ltest|accounts|{"_f":"accounts.csv","_r":2')
    assert prov[1] == 'Ltest|transfers|{"_f":"transfers.csv","_r":2}'  # the first row naming it (T1), not T5's 8
    assert a1["stmt_names"].split("\x1f") == ["甲"]
    b1 = acc["B1"]  # created and claimed by the first transfer naming it, names in file order, once
    assert (b1["holder_known"], b1["holder_id"], b1["src_row"]) == ("false", "", "2")
    assert b1["prov"] == 'Ltest|transfers|{"_f":"transfers.csv","_r":2}'
    assert b1["stmt_names"].split("\x1f") == ["丁", "丁二", "丁三"]  # the rejected row 6 named none
    assert acc["A2"]["stmt_names"] == "" and acc["A5"]["stmt_names"] == ""  # never named: no property


def test_merge_names_keeps_order_and_the_cap():
    assert merge_names(None, []) is None  # an account nobody named keeps no list
    assert merge_names([], []) == []
    assert merge_names(["a"], ["b", "a", "c"]) == ["a", "b", "c"]
    full = [str(i) for i in range(MAX_NAMES)]
    assert merge_names(full, ["new"]) == full
    assert merge_names(None, [str(i) for i in range(MAX_NAMES + 5)]) == full
