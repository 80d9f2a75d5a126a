"""One rule per concept: money input (ingest.parse) in the CLI / pattern parameters and in the web
forms, and the labels the package and the leads print (investigations.labels)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingest.parse import parse_money_fen
from investigations import labels
from investigations.patterns import PatternError, get_pattern
from investigations.related import Tie, relation_fields
from web.i18n import parse_yuan

GOOD = ("1,234.56", "¥1234.5", "1234元", "0.01", "10000")
BAD = ("1.005", "0.001", "-5", "abc", "1.2.3")


@pytest.mark.parametrize("text", GOOD)
def test_money_parses_the_same_everywhere(text):
    fen = parse_money_fen(text)
    prm = get_pattern("post_filing_transfer_to_related").param("min_total")
    assert prm.to_query(prm.parse(text)) == {"min_total_fen": fen}
    assert prm.parse(text) == Decimal(fen) / 100
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", BAD)
def test_bad_money_is_refused_with_a_reason_everywhere(text):
    with pytest.raises(ValueError) as ingest_err:
        parse_money_fen(text)
    with pytest.raises(ValueError) as web_err:
        parse_yuan(text)
    with pytest.raises(PatternError) as cli_err:
        get_pattern("post_filing_transfer_to_related").param("min_total").parse(text)
    reason = str(ingest_err.value)
    assert str(web_err.value) == reason and str(cli_err.value) == f"min_total: {reason}"
    if text in ("1.005", "0.001"):
        assert "more precise than a fen" in reason  # never rounded half-even in silence


def test_labels_and_relation_words():
    assert labels.zh("relation", "spouse") == "配偶" and labels.en("relation", "former_spouse") == "former spouse"
    assert labels.zh("stage", "in_enforcement") == "执行中" and labels.zh("treatment", "strict") == "严管"
    assert labels.zh("case_kind", "nonsense") == "nonsense" and labels.zh("asset_kind", None, "—") == "—"
    none = relation_fields(None)
    assert (none["relation"], none["tie_kind"], none["relation_zh"]) == ("unrelated", None, "无已知关系")
    tie = Tie("related_person", "spouse", "spouse", "配偶", 1.0)
    assert relation_fields(tie) == {"relation": "spouse", "tie_kind": "related_person", "relation_zh": "配偶",
                                    "relation_en": "spouse", "closeness": 1.0}


def test_web_labels_say_what_the_labels_module_says():
    """The web pages translate enumeration labels through the catalogue; for every code both know,
    the English source and the zh translation are the words of investigations/labels.py."""
    from babel.messages.pofile import read_po

    from web import i18n

    po = Path(__file__).resolve().parent.parent / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        zh_of = {m.id: m.string for m in read_po(f) if m.id}
    checked = 0
    for table in ("relation", "company_role", "case_kind", "stage", "asset_kind", "direction", "treatment",
                  "milestone", "freeze_kind", "freeze_status"):
        for code, lazy in i18n.TABLES[table].items():
            if code not in labels.TABLES[table]:
                continue
            source = lazy._args[0]
            assert (zh_of.get(source), source) == labels.TABLES[table][code], (table, code)
            checked += 1
    assert checked >= 30
