"""The web layer calls domain functions only: no Cypher in web/, no driver import, names that say
what they hold (no single-letter module aliases, no web/cases.py)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web"
CYPHER = re.compile(r"\b(MATCH|MERGE|UNWIND|OPTIONAL MATCH|DETACH DELETE)\b.*\b(RETURN|SET|DELETE|CREATE)\b|"
                    r"\bMATCH\s*\(", re.S)


def _modules():
    return sorted(WEB.glob("*.py"))


def test_no_cypher_strings_in_web():
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CYPHER.search(node.value):
                raise AssertionError(f"{path.name}:{node.lineno} holds Cypher; move it to a domain query module")


def test_web_imports_no_driver_and_no_single_letter_aliases():
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mod = getattr(node, "module", None) or ""
                names = [a.name for a in node.names]
                assert mod != "neo4j" and "neo4j" not in names, f"{path.name} imports the driver"
                for a in node.names:
                    # `_` is gettext by convention, not a module
                    assert a.asname in (None, "_") or len(a.asname) > 1, f"{path.name}: `as {a.asname}`"
    assert not (WEB / "cases.py").exists()
