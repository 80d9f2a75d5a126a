"""`--bulk-import`: neo4j-admin import into an empty database gives the same graph as a normal load:
the same counts, money total, `prov` of every record and leads (the other properties are not yet
compared one by one).

Runs on its own throw-away server (the import stops and restarts it)."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from graph import Graph, scratch_connection
from ingest import load_dir
from ingest.bulk import load_dir_bulk
from ingest.readers import InputError
from investigations.scan import scan

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("bulkworld") / "data"
    subprocess.run([sys.executable, "-m", "ingest", "generate", str(data), "--seed", "5", "--persons", "400",
                    "--transfers", "4000"], check=True, cwd=ROOT, capture_output=True)
    return data


@pytest.fixture(scope="module")
def own_server():
    work = Path(tempfile.mkdtemp(prefix="neo4j-bulk-", dir=os.environ.get("NEO4J_TEST_TMP")))
    try:
        with scratch_connection(work / "db", heap="1g", pagecache_mb=256) as conn:
            old = {k: os.environ.get(k) for k in ("NEO4J_LOCAL_DATA", "NEO4J_LOCAL_PORT")}
            os.environ["NEO4J_LOCAL_DATA"] = str(work / "db")
            os.environ["NEO4J_LOCAL_PORT"] = conn.uri.rsplit(":", 1)[1]
            try:
                yield conn
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _key(x) -> str:
    return json.dumps(x, sort_keys=True)


def _norm(value, load_id: str):
    """A value with this load's id taken out (the two loads have different ids)."""
    return json.loads(json.dumps(value, default=str).replace(load_id, "LOAD"))


def snapshot(g: Graph, load_id: str) -> dict:
    """Everything a load leaves: counts, money totals, every record's properties with its prov."""
    out: dict = {"counts": g.counts(),
                 "money": g.read_one("MATCH ()-[t:TRANSFER]->() RETURN sum(t.amount_fen) AS s, count(t) AS n")}
    out["nodes"] = sorted((_norm([sorted(r["labels"]), r["p"]], load_id) for r in g.read(
        "MATCH (n) WHERE NOT n:Load RETURN labels(n) AS labels, properties(n) AS p")),
        key=lambda n: _key([n[0], n[1].get("prov")]))
    out["rels"] = sorted((_norm([r["t"], r["a"], r["b"], r["p"]], load_id) for r in g.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, "
        "coalesce(a.person_id, a.company_id, a.account_id, a.asset_id, a.case_no, a.transfer_id, "
        "a.restriction_id, a.encumbrance_id, toString(a.as_of)) AS a, "
        "coalesce(b.person_id, b.company_id, b.account_id, b.asset_id, b.case_no, b.transfer_id, "
        "b.restriction_id, b.encumbrance_id, toString(b.as_of)) AS b")),
        key=lambda r: _key([r[0], r[1], r[2], r[3].get("prov")]))
    return out


def test_bulk_import_gives_the_same_graph_and_leads(own_server, world, tmp_path):
    as_of = dt.date(2025, 12, 31)
    with Graph(own_server) as g:
        g.wipe()
        normal = load_dir(g, world, tmp_path / "r1", known_on=as_of)
        before = snapshot(g, normal.load_id)
        leads_before = [x["lead_id"] for x in scan(g, as_of)["leads"]]
        # a database that holds anything is refused, and left as it was
        with pytest.raises(InputError, match="EMPTY database"):
            load_dir_bulk(g, world, tmp_path / "r0")
        assert g.counts() == before["counts"]
        g.wipe()
        bulk = load_dir_bulk(g, world, tmp_path / "r2", known_on=as_of)
    with Graph(own_server) as g:  # a fresh driver: the server was restarted by the import
        after = snapshot(g, bulk.load_id)
        leads_after = [x["lead_id"] for x in scan(g, as_of)["leads"]]
        kinds = {lab: g.read("MATCH (n) WHERE $l IN labels(n) RETURN count(n) AS n", {"l": lab})[0]["n"]
                 for lab in ("Person", "Account")}
    assert bulk.tables == normal.tables and bulk.tables["transfers"]["loaded"] > 3000
    assert after["counts"] == before["counts"] and after["money"] == before["money"]
    assert kinds["Person"] == 400
    assert leads_before and leads_after == leads_before
    # every record's provenance (`prov`: what each load and table stated, used by unload) is the same
    # An Account's claim by the transfers table names ONE row that touched it: which one the Cypher
    # writer keeps within a batch is up to the planner, so only its presence is compared.
    def claims(nodes):
        return sorted(_key([n[0], [e if "|transfers|" not in e or n[0] != ["Account"] else "LOAD|transfers|"
                                   for e in n[1].get("prov") or []]]) for n in nodes)
    assert claims(after["nodes"]) == claims(before["nodes"])
    assert [[r[0], r[1], r[2], r[3].get("prov")] for r in after["rels"]] == \
        [[r[0], r[1], r[2], r[3].get("prov")] for r in before["rels"]]
    for name in ("persons", "transfers"):  # rejects written for the imported tables too
        assert (tmp_path / "r1" / f"{name}.csv").exists() == (tmp_path / "r2" / f"{name}.csv").exists()
