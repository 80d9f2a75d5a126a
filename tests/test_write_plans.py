"""The ingest queries that find a transfer by its id must seek the relationship uniqueness index.

With a plain `USING INDEX` hint Neo4j 5.26 may plan a DirectedRelationshipIndexScan filtered per row
once the database holds transfers and the batch is large: every row then reads every transfer (a
500-person load spent 45 of its 63 s in the stored-key lookup). `USING INDEX SEEK` forces the seek.
Checked on the plans Neo4j gives with data present and real batch parameters.
"""
from __future__ import annotations

import pytest

from ingest import writers
from ingest.statements import store

QUERIES = {"writers.Q_TRANSFERS_UPDATE": writers.Q_TRANSFERS_UPDATE,
           "writers.Q_STORED[transfers]": writers.Q_STORED["transfers"], "store.Q_TRANSFERS": store.Q_TRANSFERS,
           "store.Q_CASH": store.Q_CASH}


def _operators(plan: dict) -> list[str]:
    out = [plan["operatorType"].split("@")[0]]
    for child in plan.get("children", []):
        out += _operators(child)
    return out


@pytest.fixture(scope="module")
def busy(module_graph):
    module_graph.wipe()
    module_graph.write("UNWIND range(1, 6000) AS i CREATE (:Account {account_id: 'A' + i})")
    module_graph.write("UNWIND range(1, 5000) AS i MATCH (a:Account {account_id: 'A' + i}), "
                       "(b:Account {account_id: 'A' + (i + 1)}) CREATE (a)-[:TRANSFER {transfer_id: 'T' + i}]->(b)")
    yield module_graph
    module_graph.wipe()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_transfer_lookup_by_id_is_an_index_seek(busy, name):
    rows = [{"key": f"X{i}", "from_account": "A1", "to_account": "A2", "at": "2024-01-01T00:00:00",
             "on": "2024-01-01", "props": {}, "pj": "{}"} for i in range(2000)]
    params = {"rows": rows, "keys": [r["key"] for r in rows], "load_id": "x", "tag": "x", "src_file": "f",
              "by_key": {}, "known_at": None,
              "accounts": writers.transfer_accounts([{**r, "src_file": "f", "src_row": 1, "pe": "{}"} for r in rows])}
    _kind, plan = busy.explain(QUERIES[name], params)
    ops = _operators(plan)
    assert "DirectedRelationshipIndexScan" not in ops and "UndirectedRelationshipIndexScan" not in ops, ops
    assert any(o.startswith(("DirectedRelationshipUniqueIndexSeek", "UndirectedRelationshipUniqueIndexSeek"))
               for o in ops), ops


def test_new_transfers_seek_accounts_and_never_read_the_transfers(busy):
    """Q_TRANSFERS_CREATE looks no transfer up (the uniqueness constraint keeps a part from writing a
    key twice): every Account by its unique index, no relationship scan or seek."""
    rows = [{"key": f"X{i}", "src_file": "f", "src_row": i, "from_account": "A1", "to_account": f"A{i % 50 + 2}",
             "at": "2024-01-01T00:00:00", "on": "2024-01-01", "props": {"amount_fen": i}}
            for i in range(2000)]
    _kind, plan = busy.explain(writers.Q_TRANSFERS_CREATE, writers.transfer_rows_params(rows, "x", "x|transfers|"))
    ops = _operators(plan)
    assert not [o for o in ops if "Relationship" in o and ("Scan" in o or "Seek" in o)], ops
    assert not [o for o in ops if "AllNodesScan" in o or "NodeByLabelScan" in o], ops
    assert sum(o.startswith("NodeUniqueIndexSeek") for o in ops) >= 2, ops
