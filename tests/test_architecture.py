"""The import rules of docs/architecture.md, read from the source with `ast` (no import side effects).

Every `import` statement counts, including the ones inside functions: a lazy import is still a
dependency. The rules:
- a project package imports only the packages below it (ALLOWED); CLI entry modules (`__main__`)
  may also compose the packages named in CLI_EXTRA (command aliases);
- only `graph` imports `neo4j`; only `web` and `app.py` import Flask and its extensions; nobody
  imports `pyvis` (vis-network is served and inlined from static/vendor);
- no import cycle between the modules of the project (lazy imports included);
- no single-letter module alias (`import x as L`) outside `web/`.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("audittrail", "graph", "ingest", "investigations", "evidence", "synth", "web")

#: package -> the project packages it may import (docs/architecture.md, "What each package may import").
ALLOWED = {
    "audittrail": set(),  # the hash-chained audit table (SQLAlchemy only); written by the CLIs and web
    "graph": set(),
    "ingest": {"graph"},
    "investigations": {"graph", "ingest"},
    "evidence": {"audittrail", "graph", "ingest", "investigations"},
    "synth": {"ingest", "investigations"},
    "web": {"audittrail", "graph", "ingest", "investigations", "evidence"},
    "app": {"audittrail", "graph", "web"},
}
#: CLI entry modules may also import these (the command aliases and the package sub-command).
CLI_EXTRA = {"graph": {"audittrail"}, "ingest": {"audittrail", "synth"},
             "investigations": {"audittrail", "synth", "evidence"}}
WEB_ONLY = ("flask", "flask_babel", "flask_login", "flask_sqlalchemy", "flask_wtf", "werkzeug")
#: Single-letter aliases still present, each with the reason it stays (none left).
ALIAS_EXCEPTIONS: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    """module name -> file, for every project module."""
    out = {"app": ROOT / "app.py"}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            rel = f.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int, str | None]]:
    """(imported module, line, alias) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found.append((a.name, node.lineno, a.asname))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                # `from pkg import module` depends on the module; `from module import name` on the module
                found.append((sub if sub in MODULES else mod, node.lineno, a.asname))
    return found


def _package(module: str) -> str:
    return module.split(".")[0]


def test_every_package_imports_only_what_the_architecture_allows():
    bad = []
    for name, path in MODULES.items():
        pkg = _package(name)
        allowed = ALLOWED[pkg] | {pkg}
        if name.endswith("__main__"):
            allowed |= CLI_EXTRA.get(pkg, set())
        for mod, line, _ in _imports(name, path):
            top = _package(mod)
            if top in ALLOWED and top not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod} ({pkg} may import {sorted(ALLOWED[pkg])})")
    assert not bad, "\n".join(bad)


def test_only_graph_imports_neo4j_and_only_web_imports_flask():
    """Also: nothing reads vis-network out of the pyvis wheel at run time."""
    bad = []
    for name, path in MODULES.items():
        pkg = _package(name)
        for mod, line, _ in _imports(name, path):
            top = _package(mod)
            if top == "neo4j" and pkg != "graph":
                bad.append(f"{path.relative_to(ROOT)}:{line} imports neo4j (only graph/ may)")
            if top in WEB_ONLY and pkg not in ("web", "app"):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {top} (only web/ and app.py may)")
            if top == "pyvis":
                bad.append(f"{path.relative_to(ROOT)}:{line} imports pyvis (vis-network comes from static/vendor)")
    assert not bad, "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every cycle a depth-first walk meets, except a package __init__ re-exporting its own submodules."""
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                cyc = stack[stack.index(m):] + [m]
                if not all(c == cyc[0] or c.startswith(cyc[0] + ".") for c in cyc):
                    cycles.append(" -> ".join(cyc))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return cycles


def test_no_import_cycle_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for mod, _, _ in _imports(name, path):
            if mod in MODULES and mod != name:
                graph[name].add(mod)
    cycles = _cycles(graph)
    assert not cycles, "\n".join(cycles)


def test_no_single_letter_module_aliases_outside_web():
    bad = []
    for name, path in MODULES.items():
        if _package(name) == "web":
            continue
        rel = str(path.relative_to(ROOT))
        for mod, line, alias in _imports(name, path):
            if alias and len(alias) == 1 and (rel, alias) not in ALIAS_EXCEPTIONS:
                bad.append(f"{rel}:{line} imports {mod} as {alias}")
    for f in sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "bench").glob("*.py")):
        for mod, line, alias in _imports(f.stem, f):
            if alias and len(alias) == 1:
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod} as {alias}")
    assert not bad, "\n".join(bad)


def test_the_rules_see_a_violation(tmp_path):
    """The checker itself: a planted upward import, cycle and alias are each reported."""
    f = tmp_path / "probe.py"
    f.write_text("from evidence import package as P\nimport neo4j\n", encoding="utf-8")
    found = _imports("graph.probe", f)
    assert ("evidence.package", 1, "P") in found and ("neo4j", 2, None) in found
    assert "evidence" not in ALLOWED["graph"]
    assert _cycles({"evidence.package": {"evidence.pdf"}, "evidence.pdf": {"evidence.package"}}) == [
        "evidence.package -> evidence.pdf -> evidence.package"]
    assert _cycles({"evidence": {"evidence.package"}, "evidence.package": {"evidence"}}) == []


#: Where Cypher string constants may live (docs/architecture.md, "Queries"): one queries module per
#: package, the loader's writers, the statement store, and `graph/` itself.
QUERY_HOMES = ("graph/", "ingest/writers.py", "ingest/statements/store.py")
_CYPHER = re.compile(r"\b(?:MATCH|MERGE|CREATE)\s*\(|\bUNWIND\b[^\n]*\bAS\b|\bDETACH\s+DELETE\b")


def _text(node: ast.AST) -> str | None:
    """The literal text of a string constant, f-string or `+` concatenation (names count as '')."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return (_text(node.left) or "") + (_text(node.right) or "")
    return None


def _cypher_constants(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every Cypher string in the file: module-level constants by their name,
    strings written inline (in a call, inside a function) as `<inline>`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    named: set[int] = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            text = _text(node.value)
            if text and _CYPHER.search(text):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                found.append((node.lineno, getattr(target, "id", "?")))
                named.update(id(n) for n in ast.walk(node.value))
    for node in ast.walk(tree):
        if id(node) in named or not isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            continue
        text = _text(node)
        if text and _CYPHER.search(text):
            found.append((node.lineno, "<inline>"))
            named.update(id(n) for n in ast.walk(node))
    return sorted(found)


def test_cypher_constants_live_in_the_queries_modules():
    bad = []
    for path in MODULES.values():
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "queries.py" or rel.startswith(QUERY_HOMES):
            continue
        bad.extend(f"{rel}:{line} {name}" for line, name in _cypher_constants(path))
    assert not bad, "Cypher outside the queries modules:\n" + "\n".join(bad)


def test_cypher_constant_checker_sees_a_planted_query(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('PREFIX = "x"\nQ_X = PREFIX + """\nMATCH (p:Person) RETURN p\n"""\nNOTE = "a match (not Cypher)"\n'
                       'def f(g):\n    return g.read("MATCH (a:Account) "\n                  "RETURN a")\n',
                       encoding="utf-8")
    assert _cypher_constants(planted) == [(2, "Q_X"), (7, "<inline>")]
