"""The freeze list on a generated world (python -m synth generate, seed 7, 300 persons):
every planted layered_chain and round_trip ends on a line with the traced amount, every planted
direct transfer to a relative puts the relative's account on the list, and no unrelated account
(merchants the debtors bought from) appears unless a lead or a balance shows the money there."""
from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from ingest import load_dir
from synth.generate import generate
from investigations import scan
from investigations.flow import flow
from investigations.freeze import csv_rows, freeze_list


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    generate(out, seed=7, persons=300)
    return out


@pytest.fixture(scope="module")
def world(module_graph, world_dir, tmp_path_factory):
    out = world_dir
    load_dir(module_graph, out, rejects_dir=tmp_path_factory.mktemp("rejects"))
    gt = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(gt["as_of"])
    leads = scan(module_graph, as_of)["leads"]
    return module_graph, gt, as_of, leads


def _list(world, plant):
    g, _gt, as_of, leads = world
    mine = [x for x in leads if x["subject_id"] == plant["subject_id"]]
    return freeze_list(g, plant["subject_id"], plant["case_no"], as_of, leads=mine), mine


def _planted(world, pattern):
    got = [p for p in world[1]["planted"] if p["pattern"] == pattern]
    assert got, f"no planted {pattern}"
    return got


def test_layered_chain_end_account_with_traced_amount(world):
    g, _gt, as_of, _ = world
    for p in _planted(world, "layered_chain"):
        fl, mine = _list(world, p)
        lead = next(x for x in mine if x["pattern"] == "layered_chain" and x["case_no"] == p["case_no"])
        end = p["account_ids"][-1]
        assert lead["evidence"]["account_ids"][-1] == end
        line = next((x for x in fl["lines"] if x["target"] == end), None)
        assert line is not None, (p["subject_id"], end, [x["target"] for x in fl["lines"]])
        # the traced amount is the trace's attribution: what arrived by the chain, less what the
        # holder passed on afterwards (the subject's money leaves first)
        tr = flow(g, p["subject_id"], since=dt.date.fromisoformat(fl["since"]), as_of=as_of)
        ep = next(e for e in tr["endpoints"] if e["account_id"] == end)
        arrived = sum(h["traced_fen"] for h in tr["hops"] if h["to_account"] == end)
        passed_on = sum(h["traced_fen"] for h in tr["hops"] if h["from_account"] == end)
        assert line["traced_fen"] == ep["amount_fen"] == arrived - passed_on > 0
        assert line["traced_fen"] <= lead["details"]["arrived_fen"] <= arrived
        assert line["basis"] == "related" and line["relation"] != "unrelated"
        assert lead["lead_id"] in line["lead_ids"]
        assert fl["proposed_fen"] <= fl["unpaid_fen"]


def test_round_trip_return_account_with_returned_amount(world):
    for p in _planted(world, "round_trip"):
        fl, mine = _list(world, p)
        lead = next(x for x in mine if x["pattern"] == "round_trip" and x["case_no"] == p["case_no"])
        end = p["account_ids"][-1]
        line = next((x for x in fl["lines"] if x["target"] == end), None)
        assert line is not None, (p["subject_id"], end)
        assert line["basis"] == "own" and line["no"] == 1  # the debtor's own account comes first
        assert line["traced_fen"] == lead["details"]["returned_fen"]
        assert lead["lead_id"] in line["lead_ids"]
        assert line["proposed_fen"] == min(line["traced_fen"], fl["unpaid_fen"])


def test_direct_transfer_to_relative(world):
    g = world[0]
    for p in _planted(world, "post_filing_transfer_to_related"):
        fl, mine = _list(world, p)
        holders = {x["holder_id"]: x for x in fl["lines"] if x["kind"] == "account"}
        for cp in p["counterparties"]:
            line = holders.get(cp)
            assert line is not None, (p["subject_id"], cp, list(holders))
            assert line["hops"] == 1 and line["basis"] == "related" and line["traced_fen"] > 0
            row = g.read_one("MATCH (h)-[:HOLDS]->(a:Account {account_id: $a}) "
                             "RETURN coalesce(h.person_id, h.company_id) AS h", {"a": line["target"]})
            assert row["h"] == cp


def test_no_unrelated_merchant_unless_money_sits_there(world):
    g, gt, as_of, leads = world
    excluded_seen = 0
    for p in gt["planted"]:
        if p["pattern"] not in ("layered_chain", "round_trip", "post_filing_transfer_to_related",
                                "fan_out_dispersal", "shell_company_transfer"):
            continue
        fl, _ = _list(world, p)
        tr = flow(g, p["subject_id"], since=dt.date.fromisoformat(fl["since"]), as_of=as_of)
        listed = {x["target"] for x in fl["lines"]}
        for e in tr["endpoints"]:
            if e["closeness"] is None and e["account_id"] not in listed:
                excluded_seen += 1
        for x in fl["lines"]:
            if x["kind"] == "account" and x["basis"] not in ("own", "related"):
                # an unrelated account: only when a lead put the money there (or a balance shows it)
                assert (x["basis"] == "lead" and x["lead_ids"]) or (
                    x["basis"] == "balance" and x["balance_fen"] > 0 and x["balance_on"] >= x["last_in"][:10]), x
    # the debtors' shop purchases reach unrelated merchants: those are traced but never listed
    assert excluded_seen > 0


def test_balance_shows_money_sits_at_merchant(world):
    """A balance row dated after the last traced inflow puts an unrelated account on the list, capped at it."""
    g, gt, as_of, leads = world
    for p in gt["planted"]:
        if p["pattern"] != "post_filing_transfer_to_related":
            continue
        fl, mine = _list(world, p)
        tr = flow(g, p["subject_id"], since=dt.date.fromisoformat(fl["since"]), as_of=as_of)
        merchant = next((e for e in tr["endpoints"] if e["closeness"] is None
                         and e["account_id"] not in {x["target"] for x in fl["lines"]}), None)
        if merchant is not None:
            break
    else:
        pytest.skip("no unrelated endpoint in this world")
    aid, on = merchant["account_id"], as_of - dt.timedelta(days=1)
    bal = max(1, merchant["amount_fen"] // 2)
    g.write("MATCH (a:Account {account_id: $a}) MERGE (b:Balance {account_id: $a, as_of: $on}) "
            "SET b.balance_fen = $bal, b.src_file = 'test', b.src_row = 2 MERGE (a)-[:HAS_BALANCE]->(b)",
            {"a": aid, "on": on, "bal": bal})
    try:
        fl2, _ = _list(world, p)
        line = next(x for x in fl2["lines"] if x["target"] == aid)
        assert line["basis"] == "balance" and line["traced_fen"] == merchant["amount_fen"]
        assert line["balance_fen"] == bal and line["proposed_fen"] <= bal
        assert line["balance_source"] == "test:2"
    finally:
        g.write("MATCH (b:Balance {account_id: $a, as_of: $on}) DETACH DELETE b", {"a": aid, "on": on})


def test_same_as_of_same_list(world):
    p = _planted(world, "layered_chain")[0]
    a, _ = _list(world, p)
    b, _ = _list(world, p)
    assert a == b and a["list_id"] == b["list_id"]


# --- assets the debtor still holds (issue 15 follow-up) ---------------------------------------------------
def _table(world_dir, name):
    with open(world_dir / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _holder_on(world_dir, as_of):
    """asset id -> (holder on as_of, source row of the asset) from the generated CSV files, worked out
    here without the graph: the original owner, then every conveyance on or before as_of in date order."""
    assets = _table(world_dir, "assets")
    holder = {a["asset_id"]: (a["owner_id"] if not a["acquired_on"] or a["acquired_on"] <= as_of.isoformat()
                              else None) for a in assets}
    for t in sorted(_table(world_dir, "asset_transfers"), key=lambda t: (t["on"], t["transfer_id"])):
        if t["on"] <= as_of.isoformat():
            holder[t["asset_id"]] = t["to_id"]
    rows = {a["asset_id"]: (i + 2, a) for i, a in enumerate(assets)}  # row 1 is the header
    return holder, rows


def test_assets_the_debtor_still_owns_are_listed(world, world_dir):
    g, gt, as_of, leads = world
    holder, rows = _holder_on(world_dir, as_of)
    checked = received = 0
    for p in gt["planted"]:
        fl, _ = _list(world, p)
        owned = {x["target"]: x for x in fl["lines"] if x["basis"] == "owned"}
        expected = {aid for aid, h in holder.items() if h == p["subject_id"]}
        assert set(owned) == expected, p["subject_id"]
        for aid, ln in owned.items():
            row, a = rows[aid]
            assert ln["kind"] == "asset" and ln["holder_id"] == p["subject_id"] and ln["hops"] == 0
            assert ln["traced_fen"] == (round(float(a["appraised_value"]) * 100) if a["appraised_value"] else 0)
            assert f"assets.csv:{row}" in ln["source_rows"]
            if a["owner_id"] != p["subject_id"]:  # received by a conveyance: its row is cited too
                assert any(s.startswith("asset_transfers.csv:") for s in ln["source_rows"])
                received += 1
            checked += 1
        # own accounts first, then the debtor's own assets, then the rest
        ranks = [x["rank"] for x in fl["lines"]]
        assert ranks == sorted(ranks) and fl["proposed_fen"] <= fl["unpaid_fen"]
    assert checked > 0 and received > 0  # above_value_purchase: the debtor bought an asset


def test_conveyed_asset_shows_as_conveyed_not_owned(world):
    g, gt, as_of, leads = world
    seen = 0
    for p in gt["planted"]:
        if p["pattern"] not in ("below_value_conveyance", "sham_divorce") or not p["asset_transfer_ids"]:
            continue
        fl, _ = _list(world, p)
        for at in p["asset_transfer_ids"]:
            r = g.read_one("MATCH (x:AssetTransfer {transfer_id: $t})-[:OF_ASSET]->(s:Asset) "
                           "RETURN s.asset_id AS a, x.to_id AS to, x.on AS on", {"t": at})
            lines = [x for x in fl["lines"] if x["target"] == r["a"]]
            assert all(x["basis"] != "owned" for x in lines), (p["subject_id"], r["a"])
            if r["on"] >= dt.date.fromisoformat(fl["since"]) and lines:
                (ln,) = lines
                assert ln["basis"] == "asset" and ln["holder_id"] == r["to"]
                assert any(s.startswith("asset_transfers.csv:") for s in ln["source_rows"])
                seen += 1
    assert seen > 0


def test_asset_sold_before_litigation_is_not_owned_and_holds_are_shown(world):
    """Three assets written for one debtor: one sold before litigation start (not listed), one still
    owned with a mortgage in force (listed, proposed = value less the secured amount) and one still
    owned but already seized (listed, proposed 0)."""
    g, gt, as_of, leads = world
    p = _planted(world, "layered_chain")[0]
    fl0, _ = _list(world, p)
    since = dt.date.fromisoformat(fl0["since"])
    sid = p["subject_id"]
    buyer = g.read_one("MATCH (q:Person) WHERE q.person_id <> $s RETURN q.person_id AS id LIMIT 1", {"s": sid})["id"]
    g.write("""
MATCH (d) WHERE d.person_id = $s OR d.company_id = $s
MATCH (b:Person {person_id: $b})
CREATE (d)-[:OWNS]->(s1:Asset {asset_id: 'T-SOLD', kind: 'vehicle', owner_id: $s, appraised_value_fen: 9000000,
                                src_file: 'assets_t.csv', src_row: 2})
CREATE (d)-[:CONVEYED]->(x:AssetTransfer {transfer_id: 'T-AT1', from_id: $s, to_id: $b, on: $sold_on, price_fen: 9000000,
                                          src_file: 'asset_transfers_t.csv', src_row: 2})-[:OF_ASSET]->(s1)
CREATE (x)-[:CONVEYED_TO]->(b)
CREATE (d)-[:OWNS]->(s2:Asset {asset_id: 'T-HOUSE', kind: 'real_estate', owner_id: $s, appraised_value_fen: 50000000,
                                acquired_on: date('2010-01-01'), src_file: 'assets_t.csv', src_row: 3})
CREATE (e:Encumbrance {encumbrance_id: 'T-MORT', kind: 'mortgage', registered_on: date('2012-01-01'),
                       amount_fen: 30000000, src_file: 'encumbrances_t.csv', src_row: 2})-[:ENCUMBERS]->(s2)
CREATE (e)-[:HELD_BY]->(b)
CREATE (d)-[:OWNS]->(s3:Asset {asset_id: 'T-CAR', kind: 'vehicle', owner_id: $s, appraised_value_fen: 8000000,
                                src_file: 'assets_t.csv', src_row: 4})
CREATE (:Restriction {restriction_id: 'T-R1', kind: 'asset_seizure', target: 'T-CAR', ordered_on: $sold_on,
                      src_file: 'restrictions_t.csv', src_row: 2})
""", {"s": sid, "b": buyer, "sold_on": since - dt.timedelta(days=30)})
    try:
        fl, _ = _list(world, p)
        by = {x["target"]: x for x in fl["lines"]}
        assert "T-SOLD" not in by
        house, car = by["T-HOUSE"], by["T-CAR"]
        assert house["basis"] == car["basis"] == "owned"
        assert [e["encumbrance_id"] for e in house["encumbrances"]] == ["T-MORT"]
        assert house["source_rows"] == ["assets_t.csv:3", "encumbrances_t.csv:2"]
        before = sum(x["proposed_fen"] for x in fl["lines"] if x["no"] < house["no"])
        # 500,000 appraised - 300,000 secured, within what is still unpaid at that line
        assert house["proposed_fen"] == min(20_000_000, fl["unpaid_fen"] - before)
        assert house["traced_fen"] == 50_000_000
        assert [r["kind"] for r in car["restrictions"]] == ["asset_seizure"] and car["proposed_fen"] == 0
        table = csv_rows(fl)
        head = table[0]
        row = dict(zip(head, next(r for r in table if r[head.index("账号/财产编号")] == "T-HOUSE")))
        assert row["列入依据"] == "被执行人名下财产" and row["冻结/查封状态"] == "已抵押"
        assert row["抵押/质押"].startswith("已抵押 300000.00元") and row["来源记录(文件:行)"] == \
            "assets_t.csv:3 encumbrances_t.csv:2"
        car_row = dict(zip(head, next(r for r in table if r[head.index("账号/财产编号")] == "T-CAR")))
        assert car_row["冻结/查封状态"] == "已查封" and car_row["建议冻结金额(元)"] == "0.00"
        # the one-page PDF names the mortgage under the table and says where the debtor's own assets rank
        import subprocess

        from investigations import freeze_pdf
        text = subprocess.run(["pdftotext", "-", "-"], input=freeze_pdf.pdf_bytes(fl), check=True,
                              capture_output=True).stdout.decode("utf-8")
        flat = "".join(text.split())
        assert f"第{house['no']}项设有抵押/质押：已抵押300000.00元" in flat
        assert "被执行人名下仍持有的财产" in flat
    finally:
        g.write("MATCH (n) WHERE n.asset_id IN ['T-SOLD', 'T-HOUSE', 'T-CAR'] OR n.transfer_id = 'T-AT1' "
                "OR n.encumbrance_id = 'T-MORT' OR n.restriction_id = 'T-R1' DETACH DELETE n")
