"""Each saved pattern against a real Neo4j: a case that must hit, near-misses that must not.

Fixtures: tests/fixtures/detection/<pattern>/ (contract CSVs, loaded with ingest.load_dir);
the memo column of each transfer says which case it is (hit, before start, under amount...).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest import load_dir
from investigations import load_patterns, run_pattern
from investigations.patterns import PATTERN_IDS, PatternError

FIX = Path(__file__).resolve().parent / "fixtures" / "detection"
AS_OF = dt.date(2025, 10, 31)


def _load(graph, name: str, tmp_path: Path) -> None:
    res = load_dir(graph, FIX / name, rejects_dir=tmp_path / "rejects")
    rejected = {t: c["rejected"] for t, c in res.tables.items() if c["rejected"]}
    assert not rejected, f"fixture rows rejected: {rejected}"


def _hits(graph, pattern: str, params: dict | None = None, as_of: dt.date = AS_OF):
    return run_pattern(graph, pattern, params, as_of)


def _key(h: dict) -> tuple:
    ev = h["evidence"]
    return (h["subject_id"], h["case_no"], frozenset(ev["transfer_ids"]) | frozenset(ev["asset_transfer_ids"]))


def _check_shape(h: dict, pattern: str) -> None:
    for k in ("lead_id", "pattern", "subject_id", "subject_kind", "subject_name", "case_no", "stage", "score",
              "amount_fen", "counterparties", "counterparty_names", "first_at", "last_at", "evidence",
              "explanation_zh", "explanation_en"):
        assert k in h, k
    assert h["pattern"] == pattern
    assert h["stage"] in ("before_judgment", "after_judgment", "in_enforcement")
    assert isinstance(h["amount_fen"], int) and 0 <= h["score"] <= 100
    assert set(h["evidence"]) == {"transfer_ids", "asset_transfer_ids", "account_ids", "balance_rows"}


def test_every_pattern_file_has_metadata_and_only_params():
    pats = load_patterns()
    assert list(pats)[:len(PATTERN_IDS)] == list(PATTERN_IDS)
    for p in pats.values():
        assert p.title_zh and p.title_en and p.legal_basis_zh and p.description_en
        assert "$as_of" in p.cypher
        for prm in p.params:
            assert prm.parse(prm.default) is not None
    with pytest.raises(PatternError):
        pats["layered_chain"].param("nope")


def test_params_units():
    p = load_patterns()["post_filing_transfer_to_related"].param("min_total")
    assert p.to_query(p.parse("1,234.56")) == {"min_total_fen": 123456}
    assert p.to_query(p.parse(10000)) == {"min_total_fen": 1_000_000}
    with pytest.raises(PatternError):
        p.parse("-5")
    with pytest.raises(PatternError):
        p.parse("ten")
    r = load_patterns()["below_value_conveyance"].param("ratio")
    assert r.parse("0.7") == 0.7


def test_every_pattern_query_is_read_only(graph):
    from investigations.runner import effective_params, query_params
    for p in load_patterns().values():
        graph.ensure_read_only(p.cypher, query_params(p, effective_params(p, None), AS_OF))


def test_post_filing_transfer_to_related(graph, tmp_path):
    _load(graph, "post_filing_transfer_to_related", tmp_path)
    res = _hits(graph, "post_filing_transfer_to_related")
    got = {_key(h) for h in res.hits}
    # D1 -> spouse W1: T1 on the litigation-start day and T2; not T3 (the day before),
    # not T6 (USD), not T10 (after as_of). C1 (company, served blank -> filed_on) -> spouse of its legal rep.
    assert got == {("D1", "K1", frozenset({"T1", "T2"})), ("C1", "K3", frozenset({"T9"}))}
    d1 = next(h for h in res.hits if h["subject_id"] == "D1")
    _check_shape(d1, "post_filing_transfer_to_related")
    assert d1["amount_fen"] == 1_500_000 and d1["counterparties"] == ["W1"]
    assert d1["stage"] == "before_judgment" and d1["relation"] == "spouse"
    assert d1["first_at"].startswith("2024-03-10")
    assert res.excluded_non_cny == {"USD": {"amount_minor": 3_000_000, "transfers": 1}}
    assert res.params["as_of"] == "2025-10-31" and res.params["min_total"] == "10000"
    # the amount bound: 15,000 yuan to W1 is under 20,000
    higher = _hits(graph, "post_filing_transfer_to_related", {"min_total": "20000"})
    assert {_key(h) for h in higher.hits} == {("C1", "K3", frozenset({"T9"}))}
    # a later as_of takes in T10
    later = _hits(graph, "post_filing_transfer_to_related", as_of=dt.date(2026, 6, 1))
    d1_later = next(h for h in later.hits if h["subject_id"] == "D1")
    assert set(d1_later["evidence"]["transfer_ids"]) == {"T1", "T2", "T10"}
    assert d1_later["stage"] == "before_judgment"
    # lead ids are stable across runs
    again = _hits(graph, "post_filing_transfer_to_related")
    assert sorted(h["lead_id"] for h in again.hits) == sorted(h["lead_id"] for h in res.hits)


def test_shell_company_transfer(graph, tmp_path):
    _load(graph, "shell_company_transfer", tmp_path)
    res = _hits(graph, "shell_company_transfer")
    got = {_key(h) + (tuple(h["counterparties"]),) for h in res.hits}
    # CA: debtor is legal rep; CB: brother holds 30%. Not CC (2%), CD (role ended), CE (unrelated),
    # CF (blank share counts, but 9,000 is under the amount), CG (paid case), T7 (before start).
    assert got == {("D1", "K1", frozenset({"T1"}), ("CA",)), ("D1", "K1", frozenset({"T2", "T3"}), ("CB",))}
    for h in res.hits:
        _check_shape(h, "shell_company_transfer")
    # with a 1% threshold the brother's 2% company is tied too
    low = _hits(graph, "shell_company_transfer", {"min_share_pct": 1})
    assert ("CC",) in {tuple(h["counterparties"]) for h in low.hits}
    # and with 9,000 yuan the blank-share company CF reaches the amount
    small = _hits(graph, "shell_company_transfer", {"min_total": "9000"})
    assert ("CF",) in {tuple(h["counterparties"]) for h in small.hits}


def test_fan_out_dispersal(graph, tmp_path):
    _load(graph, "fan_out_dispersal", tmp_path)
    res = _hits(graph, "fan_out_dispersal")
    # D1: R1..R4 and an unknown-holder account within 30 days; the sibling is not counted.
    # D2 (one under amount), D3 (outside window), D4 (two before start), D5 (paid) do not hit.
    assert {_key(h) for h in res.hits} == {("D1", "K1", frozenset({"F1", "F2", "F3", "F4", "F5"}))}
    h = res.hits[0]
    _check_shape(h, "fan_out_dispersal")
    assert h["counterparties"] == ["R1", "R2", "R3", "R4", "account:U_999"]
    assert h["amount_fen"] == 6_000_000 and h["recipients"] == 5
    # four recipients are enough for D2 (its fifth is under the amount); D4 has only three after
    # litigation start, so it needs a bound of three
    four = _hits(graph, "fan_out_dispersal", {"min_recipients": 4})
    assert {h["subject_id"] for h in four.hits} == {"D1", "D2"}
    three = _hits(graph, "fan_out_dispersal", {"min_recipients": 3})
    assert "D4" in {h["subject_id"] for h in three.hits}
    d4 = next(h for h in three.hits if h["subject_id"] == "D4")
    assert set(d4["counterparties"]) == {"R18", "R19", "R20"}
    wide = _hits(graph, "fan_out_dispersal", {"window_days": 62})
    assert "D3" in {h["subject_id"] for h in wide.hits}
    assert "D5" not in {h["subject_id"] for h in wide.hits}


def test_below_value_conveyance(graph, tmp_path):
    _load(graph, "below_value_conveyance", tmp_path)
    res = _hits(graph, "below_value_conveyance")
    # AT1: 50% to the spouse; AT5: a gift (blank price) to an unrelated person. Not AT2 (exactly 70%),
    # AT3 (day before start), AT4 (no appraisal), AT9 (paid case).
    assert {_key(h) for h in res.hits} == {("D1", "K1", frozenset({"AT1"})), ("D1", "K1", frozenset({"AT5"}))}
    by = {h["evidence"]["asset_transfer_ids"][0]: h for h in res.hits}
    _check_shape(by["AT1"], "below_value_conveyance")
    assert by["AT1"]["relation"] == "spouse" and by["AT1"]["amount_fen"] == 50_000_000
    assert by["AT5"]["relation"] == "unrelated" and by["AT5"]["price_given"] is False
    assert by["AT5"]["amount_fen"] == 20_000_000
    assert res.excluded_non_cny == {}
    strict = _hits(graph, "below_value_conveyance", {"ratio": 0.71})
    assert "AT2" in {h["evidence"]["asset_transfer_ids"][0] for h in strict.hits}


def test_above_value_purchase(graph, tmp_path):
    _load(graph, "above_value_purchase", tmp_path)
    res = _hits(graph, "above_value_purchase")
    # AT1: twice the value from a sibling. Not AT2 (exactly 130%), AT3 (before start), AT4 (no appraisal),
    # AT9 (paid case).
    assert {_key(h) for h in res.hits} == {("D1", "K1", frozenset({"AT1"}))}
    h = res.hits[0]
    _check_shape(h, "above_value_purchase")
    assert h["relation"] == "sibling" and h["counterparties"] == ["S1"] and h["amount_fen"] == 10_000_000


def test_sham_divorce(graph, tmp_path):
    _load(graph, "sham_divorce", tmp_path)
    res = _hits(graph, "sham_divorce")
    # D1 divorced 40 days before litigation start, then money and a house to the former spouse.
    # Not D2 (divorce > 90 days before start), D3 (under amount), D4 (transfer 244 days after the divorce),
    # D5 (paid case), D6 (still married); not T2 (before litigation start).
    assert {_key(h) for h in res.hits} == {("D1", "K1", frozenset({"T1", "AT1"}))}
    h = res.hits[0]
    _check_shape(h, "sham_divorce")
    assert h["divorced_on"] == "2024-02-01" and h["amount_fen"] == 3_000_000 + 80_000_000
    wider = _hits(graph, "sham_divorce", {"window_days": 250})
    assert {"D1", "D4"} <= {x["subject_id"] for x in wider.hits}
    # D2 divorced 284 days before litigation start and paid 319 days after the divorce
    assert "D2" not in {x["subject_id"] for x in _hits(graph, "sham_divorce", {"before_days": 365}).hits}
    earlier = _hits(graph, "sham_divorce", {"before_days": 365, "window_days": 365})
    assert "D2" in {x["subject_id"] for x in earlier.hits}
    # the explanation names only what moved: D1 both money and the house, D4 money alone
    assert "转款1笔" in h["explanation_zh"] and "转让财产1项" in h["explanation_zh"]
    d4 = next(x for x in wider.hits if x["subject_id"] == "D4")
    assert "转款" in d4["explanation_zh"] and "转让财产" not in d4["explanation_zh"]
    assert "conveyance" not in d4["explanation_en"]


def test_layered_chain(graph, tmp_path):
    _load(graph, "layered_chain", tmp_path)
    res = _hits(graph, "layered_chain")
    got = {_key(h) for h in res.hits}
    # L1-L3: two unknown accounts to the spouse. N11-N12 pass the platform, followed at the default
    # degree bound. Not: unrelated end (N1-2), start before litigation (N3-4), 19-day gap (N5-6),
    # ratio 0.4 (N7-8), first hop under amount (N9-10), backwards in time (N13-14), paid case (N15-16),
    # same day but earlier time (N17-18).
    assert got == {("D1", "K1", frozenset({"L1", "L2", "L3"})), ("D1", "K1", frozenset({"N11", "N12"}))}
    h = next(x for x in res.hits if "L1" in x["evidence"]["transfer_ids"])
    _check_shape(h, "layered_chain")
    assert h["evidence"]["transfer_ids"] == ["L1", "L2", "L3"] and h["amount_fen"] == 10_000_000
    assert h["counterparties"][0] == "W1" and h["relation"] == "spouse"
    busy = _hits(graph, "layered_chain", {"max_degree": 5})
    assert {_key(x) for x in busy.hits} == {("D1", "K1", frozenset({"L1", "L2", "L3"}))}
    short = _hits(graph, "layered_chain", {"max_intermediates": 1})
    assert ("D1", "K1", frozenset({"L1", "L2", "L3"})) not in {_key(x) for x in short.hits}
    gap = _hits(graph, "layered_chain", {"max_gap_days": 20})
    assert ("D1", "K1", frozenset({"N5", "N6"})) in {_key(x) for x in gap.hits}


def test_round_trip(graph, tmp_path):
    _load(graph, "round_trip", tmp_path)
    res = _hits(graph, "round_trip")
    # R1-R3 come back to a second account of the debtor in 9 days. Not: 75 days (N1-2), before start
    # (N3-4), ratio 1.2 (N5-6), under amount (N7-8), backwards in time (N9-10), paid case (N11-12).
    assert {_key(h) for h in res.hits} == {("D1", "K1", frozenset({"R1", "R2", "R3"}))}
    h = res.hits[0]
    _check_shape(h, "round_trip")
    assert h["returned_fen"] == 9_000_000 and h["hops"] == 3
    longer = _hits(graph, "round_trip", {"max_days": 80})
    assert ("D1", "K1", frozenset({"N1", "N2"})) in {_key(x) for x in longer.hits}


def test_small_fine_capacity(graph, tmp_path):
    _load(graph, "small_fine_capacity", tmp_path)
    res = _hits(graph, "small_fine_capacity")
    got = {(h["subject_id"], h["case_no"], h["verdict"], h["amount_fen"]) for h in res.hits}
    # I1: 30,000 at 2025-10-31 (the 2025-11-15 row is after as_of) - 12 months x 600 = 22,800:
    #     F1 (older) in full, 12,800 of F2; F9 is filed after as_of.
    # I2: 5,000 - 6 months x 800 = 200 for F3. I5: released, 5,000 covers F6. I7: two prison accounts
    #     (3,000 + 4,000; the bank account does not count) - 3 months x 600 (blank level) covers F8.
    # Not I3 (strict standard eats the balance), I4 (paid), I6 (civil case only).
    assert got == {("I1", "F1", "can_pay_in_full", 1_000_000), ("I1", "F2", "can_pay_in_part", 1_280_000),
                   ("I2", "F3", "can_pay_in_part", 20_000), ("I5", "F6", "can_pay_in_full", 300_000),
                   ("I7", "F8", "can_pay_in_full", 500_000)}
    i1 = [h for h in res.hits if h["subject_id"] == "I1"]
    assert all(h["subject_verdict"] == "can_pay_in_part" and h["months_left"] == 12 for h in i1)
    assert i1[0]["evidence"]["balance_rows"] == ["PA1@2025-10-31"]
    i7 = next(h for h in res.hits if h["subject_id"] == "I7")
    assert i7["evidence"]["balance_rows"] == ["PA7a@2025-10-01", "PA7b@2025-10-20"]
    _check_shape(i7, "small_fine_capacity")
    # standards are parameters: a zero ordinary standard frees all of I1's unpaid 30,000
    cheap = _hits(graph, "small_fine_capacity", {"ordinary": "0"})
    assert {h["verdict"] for h in cheap.hits if h["subject_id"] == "I1"} == {"can_pay_in_full"}
    # an earlier as_of uses the 2025-09-30 balance row
    early = _hits(graph, "small_fine_capacity", as_of=dt.date(2025, 10, 15))
    assert [h["evidence"]["balance_rows"] for h in early.hits if h["subject_id"] == "I1"][0] == ["PA1@2025-09-30"]
