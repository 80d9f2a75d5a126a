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
