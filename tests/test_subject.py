"""investigations.subject against a real Neo4j loaded from tests/fixtures/web (a small contract folder)."""
from __future__ import annotations

import datetime as dt

import pytest

from investigations import network, subject

from pathlib import Path

WEB = Path(__file__).resolve().parent / "fixtures" / "web"


@pytest.fixture(scope="module")
def g(module_graph, tmp_path_factory):
    from ingest import load_dir
    load_dir(module_graph, WEB, rejects_dir=tmp_path_factory.mktemp("rejects"))
    return module_graph


def by(rows, key):
    return {r[key]: r for r in rows}


def test_unknown_subject(g):
    assert subject.profile(g, "NOPE") is None
    assert subject.transfers(g, "NOPE") == []
    assert network.neighbourhood(g, "NOPE") is None


def test_profile_person(g):
    p = subject.profile(g, "P001")
    assert p["kind"] == "person" and p["name"] == "张建国"
    assert p["inmate"]["prison"] == "北京市第二监狱"
    assert p["inmate"]["release_on"] == dt.date(2029, 8, 31)
    cases = by(p["cases"], "case_no")
    fine = cases["(2024)京0105刑初123号"]
    assert fine["open"] and fine["unpaid_fen"] == 49_000_000
    assert not cases["(2023)京0105民初456号"]["open"]
    assert p["unpaid_fen"] == 49_000_000
    assert p["open_litigation_start"] == dt.date(2024, 3, 1)
    rel = {r["other_id"]: r["relation_to_subject"] for r in p["relations"]}
    assert rel == {"P002": "former_spouse", "P003": "child"}
    accts = by(p["accounts"], "account_id")
    assert set(accts) == {"6222000000000001", "J2024001-ACC"}
    assert accts["J2024001-ACC"]["balance_fen"] == 8_600_000
    assert accts["J2024001-ACC"]["balance_as_of"] == dt.date(2025, 9, 30)
    assets = by(p["assets"], "asset_id")
    assert assets["京A12345"]["current_owner_id"] == "P003"
    assert assets["京(2015)朝阳区不动产权第0001号"]["appraised_value_fen"] == 120_000_000


def test_profile_company_and_relative(g):
    c = subject.profile(g, "91110105MA0000001X")
    assert c["kind"] == "company" and c["inmate"] is None
    assert {(r["person_id"], r["role"]) for r in c["roles"]} == {("P003", "legal_rep"), ("P003", "shareholder")}
    child = subject.profile(g, "P003")
    rel = {r["other_id"]: r["relation_to_subject"] for r in child["relations"]}
    assert rel == {"P001": "parent", "P006": "associate"}
    # P003 received a car by conveyance: it shows among the assets
    assert "京A12345" in {a["asset_id"] for a in child["assets"]}


def test_transfers_rows(g):
    rows = subject.transfers(g, "P001")
    t = by(rows, "transfer_id")
    assert set(t) == {"T0001", "T0002", "T0003", "T0004", "T0006", "T0008"}
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    assert t["T0002"]["direction"] == "out" and t["T0002"]["amount_fen"] == 20_000_000
    assert t["T0002"]["counterparty_holder_id"] == "P002" and t["T0002"]["relation"] == "former_spouse"
    assert t["T0002"]["counterparty_kind"] == "person" and t["T0002"]["account_id"] == "6222000000000001"
    # a company where the subject's child holds a role: a tied company, worded as the patterns word it
    assert t["T0003"]["counterparty_kind"] == "company" and t["T0003"]["tie_kind"] == "tied_company"
    assert t["T0003"]["relation_zh"].startswith("P003（子女）任") and t["T0003"]["relation_zh"].endswith("的企业")
    unknown = t["T0004"]
    assert unknown["counterparty_kind"] == "unknown" and unknown["counterparty_holder_id"] is None
    assert not unknown["counterparty_holder_known"]
    assert unknown["counterparty_name"] == "陈某某" and unknown["counterparty_account"] == "9999000000000001"
    assert t["T0001"]["direction"] == "in" and t["T0001"]["relation"] == "unrelated"
    assert t["T0001"]["tie_kind"] is None and t["T0001"]["relation_zh"] == "无已知关系"
    assert t["T0001"]["counterparty_name"] == "赵六"
    assert t["T0006"]["currency"] == "USD"
    assert t["T0002"]["on"] == dt.date(2024, 4, 10) and t["T0002"]["at"] == dt.datetime(2024, 4, 10, 9, 30)
    for r in rows:
        assert r["src_file"].startswith("transfers") and r["src_row"] >= 2 and r["load_id"]
    assert t["T0002"]["src_row"] == 3


def test_transfers_window_and_limit(g):
    since = {r["transfer_id"] for r in subject.transfers(g, "P001", since=dt.date(2024, 3, 1))}
    assert "T0001" not in since and "T0002" in since
    until = {r["transfer_id"] for r in subject.transfers(g, "P001", until=dt.date(2024, 4, 10))}
    assert until == {"T0001", "T0002", "T0008"}
    assert len(subject.transfers(g, "P001", limit=2)) == 2


def test_conveyances(g):
    rows = by(subject.conveyances(g, "P001"), "transfer_id")
    house = rows["AT0001"]
    assert house["direction"] == "out" and house["price_fen"] == 0 and not house["price_given"]
    assert house["counterparty_id"] == "P002" and house["relation"] == "former_spouse"
    assert house["price_ratio"] == 0 and house["on"] == dt.date(2024, 5, 10)
    car = rows["AT0002"]
    assert car["relation"] == "child" and car["price_ratio"] == pytest.approx(20000 / 150000)
    assert car["src_file"].startswith("asset_transfers") and car["src_row"] == 3
    got = by(subject.conveyances(g, "P003"), "transfer_id")
    assert set(got) == {"AT0002"} and got["AT0002"]["direction"] == "in"


def test_timeline(g):
    tl = subject.timeline(g, "P001")
    fine = {c["case_no"]: c for c in tl["cases"]}["(2024)京0105刑初123号"]
    assert fine["milestones"]["served_on"] == dt.date(2024, 3, 1)
    assert fine["milestones"]["enforcement_filed_on"] == dt.date(2024, 7, 15)
    kinds = {(e["kind"], e["id"]) for e in tl["events"]}
    assert ("conveyance", "AT0001") in kinds and ("transfer", "T0002") in kinds
    days = [e["on"] for e in tl["events"]]
    assert days == sorted(days)
    assert tl["start"] == dt.date(2023, 1, 10) and tl["end"] == dt.date(2024, 7, 15)


def test_neighbourhood_depth_is_validated(g):
    for bad in (0, 4, "2"):
        with pytest.raises(ValueError):
            network.neighbourhood(g, "P001", depth=bad)


def _ids(nb):
    return {n["id"] for n in nb["nodes"]}


def test_neighbourhood_depth_one(g):
    nb = network.neighbourhood(g, "P001", depth=1)
    ids = _ids(nb)
    assert nb["root"] == "p:P001" and not nb["truncated"]
    kinds = {n["id"]: n["kind"] for n in nb["nodes"]}
    assert kinds["p:P001"] == "inmate" and kinds["p:P002"] == "person"
    assert kinds["c:91110105MA0000001X"] == "company"
    assert kinds["a:9999000000000001"] == "unknown_account"
    assert kinds["a:6222000000000001"] == "account"
    assert kinds["s:京(2015)朝阳区不动产权第0001号"] == "asset"
    assert "p:P006" not in ids  # two hops away (P003's associate)
    edges = {e["id"]: e for e in nb["edges"]}
    tr = edges["transfer:6222000000000001->6222000000000002"]
    assert tr["amount_fen"] == 20_000_000 and tr["count"] == 1 and tr["transfer_ids"] == ["T0002"]
    assert tr["from"] == "a:6222000000000001" and tr["to"] == "a:6222000000000002"
    assert {e["kind"] for e in nb["edges"]} >= {"holds", "transfer", "related", "role", "owns", "conveyed",
                                               "conveyed_to"}
    for e in nb["edges"]:
        assert e["from"] in ids and e["to"] in ids


def test_neighbourhood_depth_two_and_filters(g):
    assert "p:P006" in _ids(network.neighbourhood(g, "P001", depth=2))
    late = network.neighbourhood(g, "P001", depth=1, since=dt.date(2024, 3, 1))
    assert not any("T0001" in e.get("transfer_ids", []) for e in late["edges"])
    big = network.neighbourhood(g, "P001", depth=1, min_fen=10_000_000)
    amounts = [e["amount_fen"] for e in big["edges"] if e["kind"] == "transfer"]
    assert amounts and min(amounts) >= 10_000_000
    assert "a:6222000000000005" not in _ids(big)


def test_neighbourhood_cap(g):
    nb = network.neighbourhood(g, "P005", depth=1, max_nodes=10)
    assert len(nb["nodes"]) == 10 and nb["truncated"] and nb["more"] >= 20
    full = network.neighbourhood(g, "P005", depth=1, max_nodes=300)
    assert not full["truncated"] and len(full["nodes"]) > 30


def test_neighbourhood_of_an_account(g):
    nb = network.neighbourhood(g, "9999000000000001", depth=1)
    ids = _ids(nb)
    assert nb["root"] == "a:9999000000000001"
    assert {"a:6222000000000001", "a:6222000000000003"} <= ids
    assert "p:P003" in ids  # the receiving account's holder comes with it


def test_neighbourhood_links_among_visible_nodes(g):
    # The unknown intermediary's onward transfer to the child shows at depth 1 (both ends visible).
    nb = network.neighbourhood(g, "P001", depth=1)
    edges = {e["id"]: e for e in nb["edges"]}
    assert edges["transfer:9999000000000001->6222000000000003"]["transfer_ids"] == ["T0005"]


def test_header_is_the_profile_top(g):
    """The network page's header (two reads) says what the profile says about the subject."""
    assert subject.header(g, "NOPE") is None
    for sid in ("P001", "P005", "91110105MA0000001X"):
        prof = subject.profile(g, sid)
        head = subject.header(g, sid)
        assert head == {k: prof[k] for k in ("subject_id", "kind", "name", "open_litigation_start")}
    assert subject.header(g, "P001")["open_litigation_start"] == dt.date(2024, 3, 1)
    assert network.default_since(g, "P001") == dt.date(2024, 3, 1)
