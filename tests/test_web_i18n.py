"""Every user-facing string of the UI has a Simplified Chinese translation, and the catalog compiles."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def _extracted() -> set[str]:
    method_map = [("web/**.py", "python"), ("app.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()
    for _fn, _line, msg, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=method_map, keywords={"_": None, "gettext": None, "_l": None,
                                                        "lazy_gettext": None, "ngettext": (1, 2)}):
        ids.add(msg if isinstance(msg, str) else msg[0])
    return ids


def test_every_message_has_a_chinese_translation():
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    ids = _extracted()
    assert len(ids) > 200
    missing = sorted(i for i in ids if i not in translated)
    assert not missing, f"untranslated (run pybabel extract/update, see docs/ui.md): {missing}"


def test_placeholders_survive_translation():
    with PO.open("rb") as f:
        catalog = read_po(f)
    import re
    for m in catalog:
        if m.id and m.string:
            assert sorted(re.findall(r"%\(\w+\)s", m.id)) == sorted(re.findall(r"%\(\w+\)s", m.string)), m.id


def test_catalog_compiles(tmp_path):
    from babel.messages.mofile import write_mo
    with PO.open("rb") as f:
        catalog = read_po(f)
    with (tmp_path / "m.mo").open("wb") as f:
        write_mo(f, catalog)
    assert (tmp_path / "m.mo").stat().st_size > 1000


def test_no_message_is_defined_twice():
    """Branches append to the catalogue and git unions it; a msgid added twice must be caught here,
    since Babel keeps one of the two translations in silence."""
    import re
    text = PO.read_text(encoding="utf-8")
    ids = re.findall(r'^(?:msgctxt "(?:[^"\\]|\\.)*"\n)?msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)', text, flags=re.M)
    seen: dict[str, int] = {}
    for raw in ids:
        key = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', raw))
        if key:
            seen[key] = seen.get(key, 0) + 1
    twice = sorted(k for k, n in seen.items() if n > 1)
    assert not twice, f"msgids defined more than once: {twice}"
