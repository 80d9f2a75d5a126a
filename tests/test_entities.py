"""Entity resolution (issue 13): certain merges, candidates, judgements, see-through, generator.

The rules are checked on their own; the rest on a generated world with planted duplicates (same ID
number, a second source, a name with a space or variant character) and namesakes (same name and
birth date, another valid ID), loaded into a real Neo4j.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import create_engine

from ingest import entities, load_dir
from ingest.entities import rules
from investigations import run_pattern
from investigations.patterns import get_pattern
from investigations.scan import scan
from synth.generate import generate
from synth import names

AS_OF = dt.date(2025, 10, 31)
PF = "post_filing_transfer_to_related"


# -- rules ------------------------------------------------------------------------------
def test_credit_code_checksum():
    code = names.uscc("91110105MA01ABCD1"[:17])
    assert rules.uscc_valid(code) and rules.uscc_valid(code.lower())
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not rules.uscc_valid(bad) and not rules.uscc_valid("123")


def test_id_number_must_agree_with_the_record():
    idn = names.id_number("110105", dt.date(1980, 5, 17), 13)  # odd sequence: male
    rec = {"id_number": idn, "birth_date": dt.date(1980, 5, 17), "gender": "M"}
    assert rules.certain_person_key(rec) == idn
    assert rules.certain_person_key({**rec, "birth_date": None, "gender": None}) == idn
    assert rules.certain_person_key({**rec, "birth_date": dt.date(1980, 5, 18)}) is None
    assert rules.certain_person_key({**rec, "gender": "F"}) is None
    assert rules.certain_person_key({**rec, "id_number": idn[:-1] + ("0" if idn[-1] != "0" else "1")}) is None


def test_names_fold_spaces_and_variants():
    assert rules.fold_name("張 三") == rules.fold_name("张三") == "张三"
    assert rules.fold_name("王　偉") == "王伟"
    assert rules.fold_name("李四") != rules.fold_name("李三")


def test_never_a_candidate_on_a_name_alone():
    a = {"person_id": "A", "name": "张伟", "id_number": "", "gender": "M", "birth_date": dt.date(1980, 1, 1), "phone": ""}
    b = {**a, "person_id": "B", "birth_date": dt.date(1981, 1, 1)}
    assert rules.compare_persons(a, b) is None
    c = rules.compare_persons(a, {**b, "birth_date": a["birth_date"]})
    assert c is not None and set(c.reasons) == {"same_birth_date", "same_name"} and c.score == 0.5
    d = rules.compare_persons(a, {**b, "name": "張 偉", "phone": "13800000000"})
    assert d is None  # folded name, but nothing besides the name
    e = rules.compare_persons({**a, "phone": "138 0000 0000"}, {**b, "name": "張 偉", "phone": "13800000000"})
    assert set(e.reasons) == {"same_phone", "name_folded"}


def test_id_numbers_one_digit_or_a_transposition_apart():
    idn = names.id_number("110105", dt.date(1980, 5, 17), 13)
    typo = idn[:3] + str((int(idn[3]) + 1) % 10) + idn[4:]
    swap = idn[:7] + idn[8] + idn[7] + idn[9:]
    a = {"person_id": "A", "name": "甲", "id_number": idn}
    for other in (typo, swap):
        c = rules.compare_persons(a, {"person_id": "B", "name": "乙", "id_number": other})
        assert c is not None and c.reasons == ["id_near"]
    far = names.id_number("110105", dt.date(1981, 6, 18), 13)
    assert rules.compare_persons(a, {"person_id": "B", "name": "乙", "id_number": far}) is None


def test_namesakes_score_below_a_missing_id():
    base = {"person_id": "A", "name": "王芳", "gender": "F", "birth_date": dt.date(1985, 2, 3), "phone": "",
            "id_number": names.id_number("110105", dt.date(1985, 2, 3), 22)}
    namesake = {**base, "person_id": "B", "id_number": names.id_number("320102", dt.date(1985, 2, 3), 48)}
    no_id = {**base, "person_id": "C", "id_number": ""}
    s1, s2 = rules.compare_persons(base, namesake), rules.compare_persons(base, no_id)
    assert "different_valid_ids" in s1.reasons and s1.score < s2.score


# -- a generated world ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("entities_world")
    generate(d, seed=11, persons=1500, transfers=1500 * 4, as_of=AS_OF, entities=True)
    gt = json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))
    return d, gt


def _store(tmp_path):
    return create_engine(f"sqlite:///{tmp_path / 'app.db'}")


def _pf_transfers(graph) -> dict[tuple[str, str], set[str]]:
    res = run_pattern(graph, PF, None, AS_OF)
    out: dict[tuple[str, str], set[str]] = {}
    for h in res.hits:
        out.setdefault((h["subject_id"], h["case_no"]), set()).update(h["evidence"]["transfer_ids"])
    return out


def _pair_status(engine, a: str, b: str) -> str | None:
    for c in entities.candidates(engine):
        if {c["left"], c["right"]} == {a, b}:
            return c["status"]
    return None


def test_generator_plants_duplicates_in_a_second_source(world):
    d, gt = world
    dups = gt["entities"]["duplicates"]
    assert len(dups) >= 3 and (d / "persons_second.csv").exists()
    second = (d / "persons_second.csv").read_text(encoding="utf-8")
    for rec in dups:
        assert rec["record"] in second and rec["name"] != rec["original_name"]
        assert rules.fold_name(rec["name"]) == rules.fold_name(rec["original_name"])


def test_duplicates_merge_and_their_transfers_are_found(graph, world, tmp_path):
    d, gt = world
    load_dir(graph, d, tmp_path / "rejects")
    engine = _store(tmp_path)
    dups = gt["entities"]["duplicates"]
    before = _pf_transfers(graph)
    for rec in dups:  # without resolution the duplicate is a stranger
        assert not set(rec["transfers"]) & before.get((rec["debtor"], rec["case_no"]), set())
    res = entities.resolve(graph, engine)
    assert res.by_rule.get("id_number", 0) >= len(dups) and res.person_clusters >= len(dups)
    canon = {r["id"]: r["canonical"] for r in graph.read("MATCH (a)-[:SAME_AS]->(c) RETURN a.person_id AS id, c.person_id AS canonical")}
    for rec in dups:
        pair = {rec["record"], rec["of"]}
        assert pair & set(canon) and (canon.get(rec["record"]) == rec["of"] or canon.get(rec["of"]) == rec["record"])
    after = _pf_transfers(graph)
    for rec in dups:
        assert set(rec["transfers"]) <= after.get((rec["debtor"], rec["case_no"]), set()), rec
    # idempotent: a second resolve changes nothing
    again = entities.resolve(graph, engine)
    assert again.summary() == res.summary()
    assert graph.read_one("MATCH ()-[r:SAME_AS]->() RETURN count(r) AS n")["n"] == res.links


def test_namesakes_are_candidates_only_until_confirmed_and_a_rejection_survives_a_reload(graph, world, tmp_path):
    d, gt = world
    load_dir(graph, d, tmp_path / "rejects")
    engine = _store(tmp_path)
    entities.resolve(graph, engine)
    ns = gt["entities"]["namesakes"]
    hits = _pf_transfers(graph)
    for rec in ns:
        assert _pair_status(engine, rec["record"], rec["namesake_of"]) == "open"
        assert not set(rec["transfers"]) & hits.get((rec["debtor"], rec["case_no"]), set())
    cand = next(c for c in entities.candidates(engine) if {c["left"], c["right"]} == {ns[0]["record"], ns[0]["namesake_of"]})
    assert {"same_birth_date", "same_name", "different_valid_ids"} <= set(cand["reasons"])
    # reject the first, confirm the second (wrongly, to show a confirmation acts like a certain merge)
    entities.judge(graph, engine, ns[0]["record"], ns[0]["namesake_of"], "reject", "sup1")
    entities.judge(graph, engine, ns[1]["namesake_of"], ns[1]["record"], "confirm", "sup1")
    entities.resolve(graph, engine)
    assert _pair_status(engine, ns[0]["record"], ns[0]["namesake_of"]) == "rejected"
    assert not entities.candidates(engine, "open") or all(
        {c["left"], c["right"]} != {ns[0]["record"], ns[0]["namesake_of"]} for c in entities.candidates(engine, "open"))
    hits = _pf_transfers(graph)
    assert set(ns[1]["transfers"]) <= hits.get((ns[1]["debtor"], ns[1]["case_no"]), set())
    assert not set(ns[0]["transfers"]) & hits.get((ns[0]["debtor"], ns[0]["case_no"]), set())
    # a reload from scratch: the judgements are in the app's store, not in the graph
    graph.wipe()
    load_dir(graph, d, tmp_path / "rejects2")
    entities.resolve(graph, engine)
    assert _pair_status(engine, ns[0]["record"], ns[0]["namesake_of"]) == "rejected"
    hits = _pf_transfers(graph)
    assert set(ns[1]["transfers"]) <= hits.get((ns[1]["debtor"], ns[1]["case_no"]), set())
    assert not set(ns[0]["transfers"]) & hits.get((ns[0]["debtor"], ns[0]["case_no"]), set())
    hist = entities.store.judgement_history(engine, ns[0]["record"], ns[0]["namesake_of"])
    assert [(j.decision, j.username) for j in hist] == [("reject", "sup1")]


def test_unload_takes_down_the_links_and_resolve_rebuilds_them(graph, world, tmp_path):
    from ingest.loads import unload
    d, gt = world
    r = load_dir(graph, d, tmp_path / "rejects")
    engine = _store(tmp_path)
    entities.resolve(graph, engine)
    unload(graph, r.load_id)
    assert graph.read_one("MATCH (p:Person) RETURN count(p) AS n")["n"] == 0
    assert entities.resolve(graph, engine).links == 0


def test_a_world_without_duplicates_gives_the_same_leads(graph, tmp_path):
    d = tmp_path / "plain"
    generate(d, seed=5, persons=1500, transfers=1500 * 4, as_of=AS_OF)
    load_dir(graph, d, tmp_path / "rejects")
    before = scan(graph, as_of=AS_OF)["leads"]
    res = entities.resolve(graph, _store(tmp_path))
    assert res.links == 0 and res.person_clusters == 0
    after = scan(graph, as_of=AS_OF)["leads"]
    key = lambda ls: sorted((x["lead_id"], x["amount_fen"]) for x in ls)  # noqa: E731
    assert key(before) == key(after) and len(before) > 0
    # the edited pattern returns exactly the rows of its text before the SAME_AS hop was added
    p = get_pattern(PF)
    original = p.cypher.replace("(d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->", "(d)-[:HOLDS]->")
    assert original != p.cypher
    from investigations.postprocessors import Context, tie_candidates
    from investigations.runner import effective_params, query_params
    eff = effective_params(p, None)  # the pattern's defaults, as the runner sends them
    params = {**query_params(p, eff, AS_OF), "subject_id": None}
    params.update(tie_candidates(Context(graph, PF, eff, params, AS_OF)))  # the read's $parties
    rows = graph.read(p.cypher, params)
    assert rows and graph.read(original, params) == rows


def test_cli_load_resolves_and_judge_is_audited(graph, tmp_path, neo4j_connection):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import audittrail
    from test_entities_browser import _world

    root = Path(__file__).resolve().parent.parent
    d = tmp_path / "w"
    _world(d)
    env = {**os.environ, **neo4j_connection.env(), "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, text=True, env=env, cwd=root)

    r = cli("load", str(d), "--rejects", str(tmp_path / "rej"), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "1 persons and 0 companies joined from 2 records (id_number 1)" in r.stdout and "open 2" in r.stdout
    r = cli("candidates", "--status", "open")
    assert "P2  P3" in r.stdout and "S4" in r.stdout
    r = cli("judge", "P3", "P2", "reject", "--by", "sup9", "--note", "namesakes")
    assert r.returncode == 0, r.stderr
    assert "P2 P3: reject by sup9" in r.stdout and "rejected 1" in r.stdout
    assert "P2  P3" in cli("candidates", "--status", "rejected").stdout
    assert "P2  P3" not in cli("candidates", "--status", "open").stdout
    r = cli("judge", "P2", "NOPE", "confirm")
    assert r.returncode == 2 and "NOPE" in r.stderr
    with create_engine(env["APP_DATABASE_URL"]).connect() as conn:
        rows = list(audittrail.rows(conn, action="entity_judge"))
        assert len(rows) == 1 and rows[0].target == "P2|P3" and '"by": "sup9"' in rows[0].detail_json
        assert audittrail.verify(conn).ok
