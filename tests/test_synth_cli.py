"""`python -m synth` and its two aliases (`ingest generate`, `investigations evaluate`)."""
from __future__ import annotations

import json

from ingest.__main__ import build_parser as ingest_parser
from investigations.__main__ import main as investigations_main
from synth.__main__ import build_parser, main as synth_main

TRUTH = {"planted": [{"pattern": "round_trip", "subject_id": "P1", "transfer_ids": ["T1", "T2"]},
                     {"pattern": "round_trip", "subject_id": "P2", "transfer_ids": ["T9"]}],
         "decoys": [{"pattern": "layered_chain", "subject_id": "P3", "transfer_ids": ["T5"], "why": "gap"}]}
LEADS = {"as_of": "2025-10-31", "leads": [
    {"lead_id": "a", "pattern": "round_trip", "subject_id": "P1", "evidence": {"transfer_ids": ["T1", "T2"]}},
    {"lead_id": "b", "pattern": "round_trip", "subject_id": "P4", "evidence": {"transfer_ids": ["T7"]}},
    {"lead_id": "c", "pattern": "layered_chain", "subject_id": "P3", "evidence": {"transfer_ids": ["T5"]}}]}


def _files(tmp_path):
    lf, tf = tmp_path / "leads.json", tmp_path / "truth.json"
    lf.write_text(json.dumps(LEADS), encoding="utf-8")
    tf.write_text(json.dumps(TRUTH), encoding="utf-8")
    return str(lf), str(tf)


def test_synth_evaluate_and_its_alias_agree(tmp_path, capsys):
    lf, tf = _files(tmp_path)
    assert synth_main(["evaluate", lf, tf, "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    rt = rep["patterns"]["round_trip"]
    assert (rt["planted"], rt["found"], rt["recall"], rt["leads"], rt["correct"], rt["precision"]) == (2, 1, 0.5, 2, 1, 0.5)
    assert [d["lead_ids"] for d in rep["decoys_flagged"]] == [["c"]]
    assert investigations_main(["evaluate", lf, tf, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == rep
    assert synth_main(["evaluate", lf, tf]) == 0
    table = capsys.readouterr().out
    assert "round_trip" in table and "flagged layered_chain P3 (gap): c" in table


def test_generate_is_offered_by_synth_and_ingest():
    for parser in (build_parser(), ingest_parser()):
        args = parser.parse_args(["generate", "out", "--persons", "20"])
        assert args.cmd == "generate" and args.persons == 20 and args.seed == 7
