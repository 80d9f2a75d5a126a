"""The candidate reads of the money patterns are bounded to what can hit (issue 11, session 18):
`post_filing_transfer_to_related` and `shell_company_transfer` read only transfers into the
accounts of parties Relatedness could tie to the debtor on some day. These tests check that the
bound is a superset of every tie on every day (so no hit is lost) and that a pattern's hits with
the bound equal its hits when every person / company is a candidate (the unbounded read)."""
from __future__ import annotations

import datetime as dt

import pytest

from investigations import run_pattern
from investigations.postprocessors import Context, tie_candidates
from investigations.related import Relatedness
from test_relation_at_date import AS_OF, CO, write_world


@pytest.fixture(scope="module")
def world(module_graph, tmp_path_factory):
    from ingest import load_dir

    d = tmp_path_factory.mktemp("bounds")
    write_world(d)
    res = load_dir(module_graph, d, rejects_dir=tmp_path_factory.mktemp("rejects"))
    assert res.rejected == 0, res.summary()
    return module_graph


def test_possible_parties_ignore_the_date_and_cover_every_tie(world):
    rel = Relatedness(world, [CO, "D2"])
    # the company debtor: its legal representative and his spouse; D2: the person it married later
    assert rel.possible_parties(CO, "related_person") == ["L1", "W1"]
    assert rel.possible_parties("D2", "related_person") == ["B2"]
    # D2's later spouse is related only from 2024-09-01, yet a candidate whatever the day
    assert rel.tie("D2", "B2", dt.date(2024, 5, 1)) is None
    assert rel.tie("D2", "B2", dt.date(2024, 10, 1)) is not None
    # no company is tied to either debtor (CO itself is never its own tied company)
    assert rel.possible_parties(CO, "tied_company") == []
    assert rel.possible_parties("D2", "tied_company") == []
    # every party tied on any day of a span is a candidate
    for debtor in (CO, "D2"):
        for party in ("L1", "W1", "D2", "B2", CO):
            for day in (dt.date(2020, 1, 1), dt.date(2024, 5, 1), dt.date(2024, 10, 1)):
                tie = rel.tie(debtor, party, day)
                if tie is not None:
                    assert party in rel.possible_parties(debtor, tie.kind), (debtor, party, day)


def test_tie_candidates_fill_the_parties_of_open_debtors(world):
    ctx = Context(world, "post_filing_transfer_to_related", {}, {"subject_id": None}, AS_OF)
    assert tie_candidates(ctx) == {"parties": {CO: ["L1", "W1"], "D2": ["B2"]}}
    ctx = Context(world, "post_filing_transfer_to_related", {}, {"subject_id": "D2"}, AS_OF)
    assert tie_candidates(ctx) == {"parties": {"D2": ["B2"]}}


@pytest.mark.parametrize("pid", ["post_filing_transfer_to_related", "shell_company_transfer"])
def test_bounded_read_gives_the_hits_of_the_unbounded_one(world, pid, monkeypatch):
    from investigations import postprocessors

    bounded = run_pattern(world, pid, None, AS_OF)
    everyone = [r["id"] for r in world.read(
        "MATCH (p:Person) RETURN p.person_id AS id UNION MATCH (c:Company) RETURN c.company_id AS id")]
    monkeypatch.setitem(postprocessors.PRE, "tie_candidates",
                        lambda ctx: {"parties": {d: everyone for d in ctx.open_debtors()}})
    unbounded = run_pattern(world, pid, None, AS_OF)
    assert [h["lead_id"] for h in bounded.hits] == [h["lead_id"] for h in unbounded.hits]
    assert bounded.hits == unbounded.hits
    if pid == "post_filing_transfer_to_related":
        assert len(bounded.hits) == 2  # CO -> W1 (spouse of its legal rep), D2 -> B2 after the marriage


# -- the path search's last hop and degrees (session 19) -------------------------------------------
def _paths_world(g) -> None:
    """S -> M -> {E (held by P1), Z}; M has three more transfers to N, one of them after 2024."""
    g.write("UNWIND $a AS a CREATE (:Account {account_id: a[0], holder_id: a[1]})",
            {"a": [["S", "D1"], ["M", None], ["E", "P1"], ["Z", None], ["N", None]]})
    g.write("""
UNWIND $t AS t
MATCH (a:Account {account_id: t[1]}), (b:Account {account_id: t[2]})
CREATE (a)-[:TRANSFER {transfer_id: t[0], amount_fen: 100000, currency: 'CNY',
                       on: date(t[3]), at: localdatetime(t[3] + 'T10:00:00')}]->(b)""",
            {"t": [["T1", "S", "M", "2024-01-02"], ["T2", "M", "E", "2024-01-03"], ["T3", "M", "Z", "2024-01-03"],
                   ["T4", "M", "N", "2024-01-05"], ["T5", "M", "N", "2024-01-06"], ["T6", "M", "N", "2025-06-01"]]})


def test_last_hop_reads_only_transfers_into_the_ends(graph):
    from graph.traversal import DegreeCache, transfer_subgraphs

    _paths_world(graph)
    starts = {"k": (["S"], dt.date(2024, 1, 1))}
    until = dt.date(2024, 12, 31)

    def edges(**kw):
        sub = transfer_subgraphs(graph, starts, until=until, max_hops=2, max_degree=100, **kw)["k"]
        return sorted(k for _u, _v, k in sub.graph.edges(keys=True)), sub

    every, _ = edges()
    assert every == ["T1", "T2", "T3", "T4", "T5"]      # T6 is after `until`
    by_account, sub = edges(ends={"k": (frozenset({"E"}), frozenset())})
    assert by_account == ["T1", "T2"]                   # the first hop whole, the last into E only
    assert "Z" not in sub.graph                         # never reached, so its degree is not read
    by_holder, _ = edges(ends={"k": (frozenset(), frozenset({"P1"}))})
    assert by_holder == ["T1", "T2"]
    nothing, _ = edges(ends={"k": (frozenset({"nowhere"}), frozenset())})
    assert nothing == ["T1"]


def test_degree_up_to_until_is_exact_with_and_without_later_transfers(graph):
    from graph.traversal import DegreeCache, transfer_subgraphs

    _paths_world(graph)
    starts = {"k": (["S"], dt.date(2024, 1, 1))}
    # M: 6 transfers in all, 5 up to 2024-12-31. A transfer lies after that day, so the degree is
    # counted by day: 5, not busy at max_degree 5, and M is followed.
    sub = transfer_subgraphs(graph, starts, until=dt.date(2024, 12, 31), max_hops=2, max_degree=5, degree_cache=DegreeCache())["k"]
    assert sub.graph.nodes["M"]["degree"] == 5 and "M" not in sub.skipped_busy
    assert sub.graph.has_edge("M", "E")
    # nothing after 2025-12-31: the total (6) is the degree up to that day; busy, not followed
    sub = transfer_subgraphs(graph, starts, until=dt.date(2025, 12, 31), max_hops=2, max_degree=5, degree_cache=DegreeCache())["k"]
    assert sub.graph.nodes["M"]["degree"] == 6 and "M" in sub.skipped_busy
    assert not sub.graph.has_edge("M", "E")


# -- fan_out_dispersal returns in full only the recipients that can qualify (session 19) -----------
def test_fan_out_keeps_window_starts_and_baseline_payees_of_the_compact_read(graph, tmp_path):
    """The read sends a recipient under min_each as its days only, and a baseline payee as its
    months only: the first still starts windows (the earliest start of the best window is the
    lead's window_start) and the second is still listed on the lead, not counted."""
    import shutil
    from pathlib import Path

    from ingest import load_dir

    src = Path(__file__).resolve().parent / "fixtures" / "detection" / "fan_out_dispersal"
    d = tmp_path / "world"
    shutil.copytree(src, d)
    with open(d / "persons.csv", "a", encoding="utf-8") as f:
        f.write("R30,name_R30,\nR31,name_R31,\n")
    with open(d / "accounts.csv", "a", encoding="utf-8") as f:
        f.write("A_R30,R30,bank,ICBC,\nA_R31,R31,bank,ICBC,\n")
    with open(d / "transfers.csv", "a", encoding="utf-8") as f:
        # R30: 500 yuan after litigation start (2024-03-10), before the burst: a window start only
        f.write("F90,A_D1,A_R30,,500,2024-03-28,CNY,small\n")
        # R31: paid in three months before litigation start (a baseline payee), then 12,000 in the burst
        for i, day in enumerate(("2023-10-05", "2023-11-05", "2023-12-05")):
            f.write(f"F9{1 + i},A_D1,A_R31,,3000,{day},CNY,rent\n")
        f.write("F94,A_D1,A_R31,,12000,2024-04-12,CNY,rent and more\n")
    res = load_dir(graph, d, rejects_dir=tmp_path / "rejects")
    assert res.rejected == 0, res.summary()
    (h,) = run_pattern(graph, "fan_out_dispersal", None, AS_OF_FAN_OUT).hits
    assert h["counterparties"] == ["R1", "R2", "R3", "R4", "account:U_999"]
    assert h["window_start"] == "2024-03-28"           # R30's day, though R30 never qualifies
    assert [b["payee"] for b in h["baseline_payees_excluded"]] == ["R31"]
    (b,) = h["baseline_payees_excluded"]
    assert b["months"] == ["2023-10", "2023-11", "2023-12"] and b["median_fen"] == 300_000
    assert b["window_end"] == "2024-03-09"
    assert "F94" not in h["evidence"]["transfer_ids"] and "F90" not in h["evidence"]["transfer_ids"]


AS_OF_FAN_OUT = dt.date(2025, 10, 31)


def test_first_hop_keeps_only_transfers_that_can_go_on(graph):
    """first_next = (lo, hi, days): a first hop stays when its destination passes on lo..hi x its
    amount within `days`, or may be busy (the search decides); else no path can use it."""
    from fractions import Fraction

    from graph.traversal import DegreeCache, transfer_subgraphs

    accounts = ["S", "M", "Q", "R", "B", "X"]
    graph.write("UNWIND $a AS a CREATE (:Account {account_id: a})", {"a": accounts})
    t = [["T1", "S", "M", 100000, "2024-01-02"], ["T2", "M", "X", 100000, "2024-01-03"],   # goes on
         ["T3", "S", "Q", 100000, "2024-01-02"], ["T4", "Q", "X", 10000, "2024-01-03"],    # only a tenth on
         ["T5", "S", "R", 100000, "2024-01-02"], ["T6", "R", "X", 100000, "2024-02-01"],   # on 30 days later
         ["T7", "S", "B", 100000, "2024-01-02"]]                                          # B: busy, nothing on
    t += [[f"TB{i}", "X", "B", 1, "2024-01-01"] for i in range(4)]
    graph.write("""
UNWIND $t AS t
MATCH (a:Account {account_id: t[1]}), (b:Account {account_id: t[2]})
CREATE (a)-[:TRANSFER {transfer_id: t[0], amount_fen: t[3], currency: 'CNY',
                       on: date(t[4]), at: localdatetime(t[4] + 'T10:00:00')}]->(b)""", {"t": t})

    def firsts(first_next):
        sub = transfer_subgraphs(graph, {"k": (["S"], dt.date(2024, 1, 1))}, until=dt.date(2024, 12, 31),
                                 max_hops=1, max_degree=3, first_next=first_next)["k"]
        return sorted(k for _u, _v, k in sub.graph.edges(keys=True))

    assert firsts(None) == ["T1", "T3", "T5", "T7"]
    week = (Fraction("0.5"), Fraction("1.05"), 7)
    assert firsts(week) == ["T1", "T7"]
    assert firsts((Fraction("0.5"), Fraction("1.05"), 60)) == ["T1", "T5", "T7"]
    assert firsts((Fraction("0.1"), Fraction("1.05"), 7)) == ["T1", "T3", "T7"]


def test_hop_plan_expands_from_the_account(graph):
    """The path search's hop read, planned on an empty graph (the statistics a fresh or small
    database gives the planner, whose plan is then cached), seeks the start account and expands;
    it never reads transfers through a relationship index (a range seek on TRANSFER(amount_fen)
    for every candidate hop made later scans time out). The read carries a USING INDEX hint for
    its start, since the planner's choice depends on statistics resampled in the background (CI
    once planned it without the seek)."""
    from graph import traversal

    params = {"items": [{"i": 0, "aid": "A1", "g": 0}],
              "groups": [{"since": dt.date(2024, 1, 1), "min_fen": 0, "max_fen": None, "next": [0.8, 1.2, 30],
                          "wins": None, "ends": ["A2"], "end_holders": ["P1"]}],
              "until": dt.date(2025, 1, 1), "max_degree": 200}
    _, plan = graph.explain(traversal._OUT_HOP_MANY, params)

    def ops(p: dict) -> list[str]:
        return [p["operatorType"].split("@")[0]] + [o for c in p.get("children", []) for o in ops(c)]

    names = ops(plan)
    assert "NodeUniqueIndexSeek" in names or "NodeIndexSeek" in names, names
    assert not [n for n in names if "Relationship" in n and ("Index" in n or "Scan" in n)], names
