"""The transfer loader of session 18: chunks validated ahead in a thread, accounts merged once per
transaction, duplicates across chunks found in the graph (not in a map of every key)."""
from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest

from graph import ConstraintViolation, GraphError
from ingest import list_loads, load_dir, loader, readers, writers


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


HEADER = ["transfer_id", "from_account", "to_account", "amount", "at", "from_name", "to_name"]


@pytest.fixture
def small_chunks(monkeypatch):
    """Two rows per chunk and per write transaction: every repeat below crosses a chunk."""
    monkeypatch.setattr(readers, "CHUNK_ROWS", 2)
    monkeypatch.setattr(loader, "TRANSFER_TX_ROWS", 2)


def test_repeats_across_chunks_merge_or_are_rejected_naming_the_first_row(graph, tmp_path, small_chunks):
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [
        ["T1", "A1", "A2", "10.00", "2024-01-01 10:00", "张三", "李四"],   # row 2
        ["T2", "A2", "A3", "20.00", "2024-01-02 10:00", "李四", ""],       # row 3
        ["T1", "A1", "A2", "10.00", "2024-01-01 10:00", "张三", "李四"],   # row 4: the same as row 2
        ["T2", "A2", "A3", "99.00", "2024-01-02 10:00", "李四", ""],       # row 5: T2 with another amount
        ["T3", "A3", "A1", "30.00", "2024-01-03 10:00", "王五", "张三丰"],  # row 6
        ["T4", "A1", "A3", "40.00", "2024-01-04 10:00", "张三", ""],       # row 7
    ])
    r = load_dir(graph, d, tmp_path / "rej")
    assert r.tables["transfers"] == {"read": 6, "loaded": 5, "rejected": 1}
    with open(tmp_path / "rej" / "transfers.csv", encoding="utf-8-sig") as f:
        [rej] = list(csv.DictReader(f))
    assert rej["row"] == "5" and "also in transfers.csv row 3 with different values" in rej["reasons"]
    rows = {x["id"]: x for x in graph.read(
        "MATCH ()-[t:TRANSFER]->() RETURN t.transfer_id AS id, t.amount_fen AS fen, t.prov AS prov")}
    assert {k: v["fen"] for k, v in rows.items()} == {"T1": 1000, "T2": 2000, "T3": 3000, "T4": 4000}
    assert all(len(v["prov"]) == 1 for v in rows.values())
    acc = {x["id"]: x for x in graph.read(
        "MATCH (a:Account) RETURN a.account_id AS id, a.stmt_names AS names, a.prov AS prov, "
        "a.src_row AS src_row, a.holder_known AS hk")}
    # names in file order, each once; created and claimed by the first row naming it
    assert acc["A1"]["names"] == ["张三", "张三丰"] and acc["A3"]["names"] == ["王五"]
    assert acc["A2"]["names"] == ["李四"]
    assert acc["A3"]["src_row"] == 3 and acc["A3"]["hk"] is False

    def claim_row(a: str) -> int:
        [e] = acc[a]["prov"]
        return json.loads(e.split("|", 2)[2])["_r"]

    assert claim_row("A1") == 2 and claim_row("A3") == 3 and claim_row("A2") == 2


def test_the_same_file_in_one_chunk_gives_the_same_graph(graph, tmp_path, monkeypatch):
    """Chunk and transaction sizes change nothing a load stores (claims, names, rejects)."""
    d = tmp_path / "in"
    d.mkdir()
    rows = [[f"T{i % 37}", f"A{i % 11}", f"A{(i * 3 + 1) % 11}" if (i * 3 + 1) % 11 != i % 11 else "AX",
             f"{i % 37 + 1}.00", f"2024-01-{i % 37 % 28 + 1:02d} 10:00", f"名{i % 5}", f"名{i % 7}"]
            for i in range(60)]  # keys 0..22 repeat with other accounts: rejected or merged
    _write(d / "transfers.csv", HEADER, rows)
    q = ("MATCH (a)-[t:TRANSFER]->(b) RETURN a.account_id AS a, b.account_id AS b, properties(t) AS t "
         "ORDER BY t.transfer_id")
    qa = "MATCH (a:Account) RETURN properties(a) AS a ORDER BY a.account_id"

    def run(chunk: int, rej: str, tx: int | None = None):
        monkeypatch.setattr(readers, "CHUNK_ROWS", chunk)
        monkeypatch.setattr(loader, "TRANSFER_TX_ROWS", tx or chunk)
        graph.wipe()
        r = load_dir(graph, d, tmp_path / rej, load_id="LX")
        strip = lambda p: {k: v for k, v in p.items() if k != "load_id"}  # noqa: E731
        with open(tmp_path / rej / "transfers.csv", encoding="utf-8-sig") as f:
            rejected = [(x["row"], x["reasons"]) for x in csv.DictReader(f)]
        return r.tables, [(x["a"], x["b"], strip(x["t"])) for x in graph.read(q)], \
            [x["a"] for x in graph.read(qa)], rejected

    one = run(100, "r1")
    many = run(7, "r2")
    assert one[0]["transfers"]["rejected"] > 0
    assert many == one
    # parts of 3 rows, 4 at once, all on the same 12 accounts: the concurrent writers store the same
    monkeypatch.setattr(loader, "WRITERS", 4)
    assert run(100, "r3", tx=3) == one


def _fail_validating_at(monkeypatch, row: int):
    """Validation raises on the chunk holding `row` (a disk error while reading ahead); returns the real one."""
    real = loader.validate_rows

    def broken(table, src, chunk, *a):
        if row in chunk["_row"].tolist():
            raise OSError("disk read error (test)")
        return real(table, src, chunk, *a)

    monkeypatch.setattr(loader, "validate_rows", broken)
    return real


def test_an_error_while_validating_ahead_fails_the_load(graph, tmp_path, monkeypatch, small_chunks):
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", "A1", "A2", "1.00", "2024-01-01 10:00", "", ""]
                                         for i in range(9)])
    _fail_validating_at(monkeypatch, 8)
    with pytest.raises(OSError, match="disk read error"):
        load_dir(graph, d, tmp_path / "rej")
    [failed] = list_loads(graph)
    assert failed["status"] == "failed" and "disk read error" in failed["error"]
    # the chunks before the error were written, the one that failed and later ones were not
    n = graph.read_one("MATCH ()-[t:TRANSFER]->() RETURN count(t) AS n")["n"]
    assert 0 < n < 9


def _batch_payloads(keys: list[str], src_file: str = "transfers.csv") -> list[dict]:
    out = []
    for i, k in enumerate(keys):
        p = {"key": k, "src_file": src_file, "src_row": i + 2, "from_account": "A1", "to_account": f"A{i % 3 + 2}",
             "from_name": "张三", "to_name": None, "at": "2024-01-01T10:00:00", "on": "2024-01-01",
             "props": {"amount_fen": 100 * (i + 1), "currency": "CNY", "from_name": "张三", "x_note": f"n{i}"}}
        out.append(p)
    return out


def _write_new(graph, payloads: list[dict], load_id: str) -> None:
    tag = f"{load_id}|transfers|"
    graph.write(writers.Q_TRANSFER_ACCOUNTS, writers.transfer_accounts_params(payloads, load_id, tag))
    graph.write(writers.Q_TRANSFERS_CREATE, writers.transfer_rows_params(payloads, load_id, tag))
    graph.write(writers.Q_TRANSFER_CLAIMS, writers.transfer_accounts_params(payloads, load_id, tag))


def test_new_transfers_accounts_twice_change_nothing_and_a_part_twice_fails_on_its_keys(graph):
    """The driver retries a transaction whose commit it saw no answer to: the accounts' merge is
    idempotent (claims and names included), and a part of relationships written again fails on the
    uniqueness constraint, writing nothing (the loader then looks its keys up)."""
    graph.ensure_schema()
    ps = _batch_payloads(["T1", "T2", "T3", "T4"])
    q_t = ("MATCH (a)-[t:TRANSFER]->(b) RETURN t.transfer_id AS k, a.account_id AS a, b.account_id AS b, "
           "properties(t) AS p ORDER BY k")
    q_a = "MATCH (a:Account) RETURN a.account_id AS k, properties(a) AS p ORDER BY k"
    _write_new(graph, ps, "L1")
    once = graph.read(q_t), graph.read(q_a)
    for q in (writers.Q_TRANSFER_ACCOUNTS, writers.Q_TRANSFER_CLAIMS):
        graph.write(q, writers.transfer_accounts_params(ps, "L1", "L1|transfers|"))
    with pytest.raises(ConstraintViolation):
        graph.write(writers.Q_TRANSFERS_CREATE, writers.transfer_rows_params(ps, "L1", "L1|transfers|"))
    assert (graph.read(q_t), graph.read(q_a)) == once
    assert [r["k"] for r in once[0]] == ["T1", "T2", "T3", "T4"]
    t2 = once[0][1]["p"]
    assert t2["amount_fen"] == 200 and t2["x_note"] == "n1" and t2["src_file"] == "transfers.csv"
    assert t2["src_row"] == 3 and t2["load_id"] == "L1" and "to_name" not in t2
    assert t2["prov"] == ['L1|transfers|{"_f":"transfers.csv","_r":3,"_x":["x_note"]}']  # compact
    assert len(once[1]) == 4 and all(len(r["p"]["prov"]) == 1 for r in once[1])


def test_a_new_transfer_part_never_duplicates_a_stored_key(graph):
    """A key stored by another load, or by an earlier part of the same load (a repeat in a later chunk),
    fails the part on the uniqueness constraint: nothing of it is written, no key is there twice."""
    graph.ensure_schema()
    _write_new(graph, _batch_payloads(["T1"]), "L0")
    _write_new(graph, _batch_payloads(["T2"]), "L1")
    for first in ("T1", "T2"):
        with pytest.raises(ConstraintViolation):
            _write_new(graph, _batch_payloads([first, "T9"]), "L1")
    assert graph.read("MATCH ()-[t:TRANSFER]->() RETURN t.transfer_id AS k, t.load_id AS l ORDER BY k") == [
        {"k": "T1", "l": "L0"}, {"k": "T2", "l": "L1"}]


def test_a_part_whose_commit_answer_was_lost_is_found_as_this_loads_own(graph, tmp_path, monkeypatch):
    """A part that committed while the driver lost the answer is retried and fails on its own keys: the
    loader looks the chunk up, finds those rows as its own with the same values, and the load ends as a
    clean one, every key once with its one compact entry."""
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", f"A{i % 4}", f"A{(i + 1) % 4}", f"{i + 1}.00",
                                          "2024-01-01 10:00", "张三", ""] for i in range(12)])
    monkeypatch.setattr(loader, "TRANSFER_TX_ROWS", 3)
    q = "MATCH (a)-[t:TRANSFER]->(b) RETURN a.account_id AS a, b.account_id AS b, properties(t) AS t ORDER BY t.transfer_id"
    qa = "MATCH (a:Account) RETURN properties(a) AS a ORDER BY a.account_id"
    clean = load_dir(graph, d, tmp_path / "r0", load_id="LX")
    expected = graph.read(q), graph.read(qa)
    graph.wipe()
    real, lost = graph.write, []

    def lose_one_answer(cypher, params=None):
        out = real(cypher, params)
        if cypher == writers.Q_TRANSFERS_CREATE and len(lost) == 1:  # the second part: retried after its commit
            lost.append(params["rows"][0][0])
            real(cypher, params)
        elif cypher == writers.Q_TRANSFERS_CREATE:
            lost.append(None)
        return out

    monkeypatch.setattr(graph, "write", lose_one_answer)
    again = load_dir(graph, d, tmp_path / "r1", load_id="LX")
    assert lost[1] is not None
    assert again.tables == clean.tables and again.tables["transfers"]["loaded"] == 12
    assert (graph.read(q), graph.read(qa)) == expected


def test_batches_never_span_two_files():
    ps = _batch_payloads(["T1", "T2", "T3"], "a.csv") + _batch_payloads(["T4", "T5"], "b.csv")
    assert [[p["key"] for p in b] for b in loader._batches(ps, 2)] == [["T1"], ["T2", "T3"], ["T4", "T5"]]


def test_batches_give_concurrent_writers_parts_of_equal_length():
    """Two writers on 5,000-row parts of an 18,000-row chunk: four parts of 4,500, not 3 x 5,000 + 3,000
    (the last written alone); rows that fit one part stay one transaction."""
    ps = _batch_payloads([f"T{i}" for i in range(18000)], "a.csv") + _batch_payloads(["U1", "U2", "U3"], "b.csv")
    sizes = [(len(b), b[0]["src_file"]) for b in loader._batches(ps, 5000, 2)]
    assert sizes == [(4500, "a.csv")] * 4 + [(3, "b.csv")]
    assert [p["key"] for b in loader._batches(ps, 5000, 2) for p in b] == [p["key"] for p in ps]
    assert [len(b) for b in loader._batches(ps[:5001], 5000, 2)] == [2500, 2501]
    assert [len(b) for b in loader._batches(ps[:5000], 5000, 2)] == [5000]
    assert [len(b) for b in loader._batches(ps[:10001], 5000, 2)] == [2500, 2500, 2500, 2501]


def test_a_first_load_looks_no_key_up_and_a_reload_falls_back_once(graph, tmp_path, monkeypatch, small_chunks):
    """New transfers are written without the stored-key look-up; the first chunk whose key is stored
    (here: every chunk of a second load of the same file) fails on the uniqueness constraint, is then
    checked and written as before, and the rest of the table is looked up first."""
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", "A1", f"A{i % 3 + 2}", f"{i + 1}.00", "2024-01-01 10:00", "张三", ""]
                                         for i in range(7)])
    calls: list[int] = []
    real = writers.stored
    monkeypatch.setattr(writers, "stored", lambda g, t, keys, **kw: calls.append(len(keys)) or real(g, t, keys, **kw))
    q = "MATCH (a)-[t:TRANSFER]->(b) RETURN a.account_id AS a, b.account_id AS b, properties(t) AS t ORDER BY t.transfer_id"
    first = load_dir(graph, d, tmp_path / "rej")
    assert first.tables["transfers"] == {"read": 7, "loaded": 7, "rejected": 0} and calls == []
    once = graph.read(q)
    second = load_dir(graph, d, tmp_path / "rej2")
    assert second.tables["transfers"] == {"read": 7, "loaded": 7, "rejected": 0}
    assert calls == [2, 2, 2, 1]  # every chunk looked up: the first after its failed write
    after = graph.read(q)
    assert [x["t"]["prov"][0] for x in after] == [x["t"]["prov"][0] for x in once]
    assert all(len(x["t"]["prov"]) == 2 for x in after) and len(after) == 7


def test_the_collector_runs_less_often_during_a_load_and_as_before_after(graph, tmp_path, monkeypatch):
    import gc
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [["T1", "A1", "A2", "1.00", "2024-01-01 10:00", "", ""]])
    before = gc.get_threshold()
    during = []
    load_dir(graph, d, tmp_path / "rej", on_table=lambda name, counts: during.append(gc.get_threshold()))
    assert during and during[0][0] == max(loader.GC_YOUNG, before[0]) and during[0][1:] == before[1:]
    assert gc.get_threshold() == before

    def broken(*a):  # type: ignore[no-untyped-def]
        assert gc.get_threshold()[0] == max(loader.GC_YOUNG, before[0])
        raise OSError("disk read error (test)")

    monkeypatch.setattr(loader, "validate_rows", broken)
    with pytest.raises(OSError):  # a load that fails gives them back too
        load_dir(graph, d, tmp_path / "rej")
    assert gc.get_threshold() == before


def test_unchecked_first_false_looks_every_chunk_up_with_the_same_result(graph, tmp_path, monkeypatch, small_chunks):
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", "A1", "A2", "1.00", "2024-01-01 10:00", "", ""] for i in range(5)])
    calls = []
    real = writers.stored
    monkeypatch.setattr(writers, "stored", lambda *a, **kw: calls.append(a[1]) or real(*a, **kw))
    first = load_dir(graph, d, tmp_path / "r1")
    assert first.tables["transfers"]["loaded"] == 5 and calls.count("transfers") == 0
    graph.wipe()
    checked = load_dir(graph, d, tmp_path / "r2", unchecked_first=False)
    assert checked.tables["transfers"] == first.tables["transfers"] and calls.count("transfers") == 3  # 3 chunks


def test_a_resumed_load_claims_and_names_accounts_as_a_clean_one(graph, tmp_path, monkeypatch, small_chunks):
    """Each account is claimed once per load, by the first row naming it, and a run sends a name only
    once (writers.unsent_claims): a load that failed half-way and was resumed (a new run that knows
    nothing sent) leaves the accounts exactly as one clean run does."""
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", f"A{i % 3}", f"A{(i + 1) % 3}", f"{i + 1}.00", "2024-01-01 10:00",
                                          f"名{i % 4}", f"名{i % 5}" if i % 2 else ""] for i in range(14)])
    qa = "MATCH (a:Account) RETURN properties(a) AS a ORDER BY a.account_id"
    q = "MATCH (a)-[t:TRANSFER]->(b) RETURN a.account_id AS a, b.account_id AS b, properties(t) AS t ORDER BY t.transfer_id"
    load_dir(graph, d, tmp_path / "r0", load_id="LX")
    expected = graph.read(q), graph.read(qa)
    assert [json.loads(e.split("|", 2)[2])["_r"] for x in expected[1] for e in x["a"]["prov"]] == [2, 2, 3]
    assert expected[1][0]["a"]["stmt_names"] == ["名0", "名3", "名2", "名1"]
    graph.wipe()
    real = _fail_validating_at(monkeypatch, 11)
    with pytest.raises(OSError):
        load_dir(graph, d, tmp_path / "r1", load_id="LX")
    monkeypatch.setattr(loader, "validate_rows", real)
    sent: list[int] = []
    real_write = graph.write

    def counting(cypher, params=None):
        if cypher == writers.Q_TRANSFER_CLAIMS:
            sent.append(len(params["accounts"]))
        return real_write(cypher, params)

    monkeypatch.setattr(graph, "write", counting)
    load_dir(graph, d, tmp_path / "r2", load_id="LX")
    assert (graph.read(q), graph.read(qa)) == expected
    assert sent[0] == 3 and sum(sent) < 7 * 3  # each of 7 chunks names all 3 accounts: later ones send less


def test_unsent_claims_send_each_account_once_and_only_new_names_until_the_list_is_full():
    sent: dict[str, set[str]] = {}
    first = writers.unsent_claims([{"key": "A", "pe": "p2", "names": ["x"]}, {"key": "B", "pe": "p2", "names": []}], sent)
    assert [(a["key"], a["pe"], a["names"]) for a in first] == [("A", "p2", ["x"]), ("B", "p2", [])]
    assert writers.unsent_claims([{"key": "A", "pe": "p9", "names": ["x"]}, {"key": "B", "pe": "p9", "names": []}], sent) == []
    [a] = writers.unsent_claims([{"key": "A", "pe": "p9", "names": ["x", "y"]}], sent)
    assert (a["pe"], a["names"]) == (None, ["y"])  # the claim stays the first row's
    many = [str(i) for i in range(writers.MAX_NAMES + 5)]
    [a] = writers.unsent_claims([{"key": "A", "pe": "p9", "names": many}], sent)
    assert a["names"] == [n for n in many]  # all sent; 20 are known now (x, y and 18 of these)
    assert writers.unsent_claims([{"key": "A", "pe": "p9", "names": ["new"]}], sent) == []  # the list is full


def test_a_part_whose_account_is_missing_stops_the_load_and_a_rerun_completes_it(graph, tmp_path, monkeypatch,
                                                                                 small_chunks):
    """A MATCH that finds no account drops its row without a word: the part's count of created
    transfers must equal its rows, or the load stops, naming the file and rows (here both rows of
    the second chunk name A3); loading the folder again resumes it to the same graph as a clean load."""
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", f"A{i % 4}", f"A{(i + 1) % 4}", f"{i + 1}.00",
                                          "2024-01-01 10:00", "", ""] for i in range(8)])
    q = "MATCH (a)-[t:TRANSFER]->(b) RETURN a.account_id AS a, b.account_id AS b, properties(t) AS t ORDER BY t.transfer_id"
    qa = "MATCH (a:Account) RETURN properties(a) AS a ORDER BY a.account_id"
    clean = load_dir(graph, d, tmp_path / "r0")

    def transfers() -> list[dict]:  # the clean load and the resumed one have their own load ids
        return [{**x, "t": {k: v for k, v in x["t"].items() if k not in ("load_id", "prov")}} for x in graph.read(q)]

    expected = transfers()
    graph.wipe()
    real = graph.write

    def lose_a3(cypher, params=None):  # A3 is never merged: as if deleted between the merge and the part
        if cypher == writers.Q_TRANSFER_ACCOUNTS:
            params = {**params, "accounts": [a for a in params["accounts"] if a["key"] != "A3"]}
        return real(cypher, params)

    monkeypatch.setattr(graph, "write", lose_a3)
    with pytest.raises(GraphError, match=r"2 of the 2 transfers of transfers.csv rows 4-5 found no account"):
        load_dir(graph, d, tmp_path / "r1")
    [failed] = list_loads(graph)
    assert failed["status"] == "failed" and "found no account" in failed["error"]
    monkeypatch.setattr(graph, "write", real)
    again = load_dir(graph, d, tmp_path / "r2")
    assert again.load_id == failed["load_id"] and again.tables == clean.tables
    assert transfers() == expected and len(graph.read(qa)) == 4


def test_a_first_load_builds_each_chunk_ahead_and_a_reload_in_the_writers(graph, tmp_path, monkeypatch, small_chunks):
    """While no key is stored, a chunk's duplicate check and write parameters are made in the
    validation thread (`_TableLoad.plan`), so the writers go from one chunk to the next without a
    gap; once a key is found stored, the chunks are checked against the graph and built by the writer."""
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "transfers.csv", HEADER, [[f"T{i}", "A1", f"A{i % 3 + 2}", f"{i + 1}.00", "2024-01-01 10:00", "", ""]
                                         for i in range(6)] + [["T0", "A1", "A2", "9.00", "2024-01-01 10:00", "", ""]])
    where: list[str] = []
    real = writers.transfer_rows_params

    def recording(rows, load_id, tag):
        where.append(threading.current_thread().name)
        return real(rows, load_id, tag)

    monkeypatch.setattr(writers, "transfer_rows_params", recording)
    first = load_dir(graph, d, tmp_path / "r0")
    assert first.tables["transfers"] == {"read": 7, "loaded": 6, "rejected": 1}
    assert where and set(where) == {"ingest-validate"}
    q = "MATCH ()-[t:TRANSFER]->() RETURN t.transfer_id AS id, t.amount_fen AS fen ORDER BY id"
    assert [x["fen"] for x in graph.read(q)] == [100, 200, 300, 400, 500, 600]
    where.clear()
    with open(d / "transfers.csv", "a", newline="", encoding="utf-8") as f:  # rows 9-14: six new keys
        csv.writer(f).writerows([[f"T{i}", "A1", "A2", f"{i + 1}.00", "2024-01-02 10:00", "", ""]
                                 for i in range(6, 12)])
    again = load_dir(graph, d, tmp_path / "r1")
    assert again.tables["transfers"] == {"read": 13, "loaded": 12, "rejected": 1}
    # the plans made ahead before the first chunk met its stored keys are undone; the new rows
    # come later, checked against the graph and built by the writer
    assert where[0] == "ingest-validate" and set(where) - {"ingest-validate"}
    assert sorted(x["fen"] for x in graph.read(q)) == [100 * (i + 1) for i in range(12)]
