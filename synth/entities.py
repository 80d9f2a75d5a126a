"""Planted duplicates and namesakes for entity resolution (`generate --entities`, default off).

- duplicates: a second record of a scene person (same ID number, the name written with a space
  or a variant character, no phone) from a second source (`persons_second.csv`), holding an
  account of its own. Half are the debtor's spouse (the debtor pays the duplicate's account after
  litigation start), half the debtor (the duplicate's account pays the spouse). Only entity
  resolution sees these transfers as transfers to a related person: planted for
  post_filing_transfer_to_related with `entity = "duplicate"`.
- namesakes: an unrelated person with the spouse's name and birth date but another valid ID
  number, paid by the debtor after litigation start. Only a candidate; a decoy of the pattern.
"""
from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingest.entities.rules import VARIANTS


#: simplified -> a variant spelling of it (the reverse of the folding table)
_TO_VARIANT = {}
for _v, _s in VARIANTS.items():
    if _v != _s:
        _TO_VARIANT.setdefault(_s, _v)


def variant_name(name: str) -> str:
    """The name as another source wrote it: a variant character if one applies, else a space."""
    for i, ch in enumerate(name):
        if ch in _TO_VARIANT:
            return name[:i] + _TO_VARIANT[ch] + name[i + 1:]
    return name[:1] + " " + name[1:]


def _duplicate(w: Any, pid: str) -> str:
    src = w.person[pid]
    dup = w.new_pid()
    row = {**src, "person_id": dup, "name": variant_name(src["name"]), "phone": "", "address": ""}
    w.persons_second.append(row)
    w.person[dup] = row
    w.scene_persons.add(dup)
    return dup


def add_entities(w: Any, k: int) -> dict:
    """Plant k duplicates and k namesakes on world `w`; the ground truth of what was planted."""
    rng = w.rng
    w.persons_second = []
    gt: dict[str, list] = {"duplicates": [], "namesakes": []}
    for i in range(k):
        fam = w.family("spouse")
        d, s = fam["debtor"], fam["spouse"]
        start = w.start_date()
        c = w.case(d, "civil_enforcement", start)
        day = start + timedelta(days=rng.randint(3, 60))
        if i % 2 == 0:
            dup = _duplicate(w, s)
            acct = w.account(dup, "bank")
            t = [w.tx(w.acct(d), acct, w.money(40_000, 200_000), day, memo="转账")]
            accounts, of = [w.acct(d), acct], s
        else:
            dup = _duplicate(w, d)
            acct = w.account(dup, "bank")
            t = [w.tx(acct, w.acct(s), w.money(40_000, 200_000), day, memo="生活费")]
            accounts, of = [acct, w.acct(s)], d
        w.plant("post_filing_transfer_to_related", d, c, txs=t, accounts=accounts, counterparties=[s],
                note=f"transfer through a duplicate record {dup} of {of} (same ID number)", entity="duplicate")
        gt["duplicates"].append({"record": dup, "of": of, "debtor": d, "spouse": s, "case_no": c["case_no"],
                                 "transfers": t, "name": w.person[dup]["name"], "original_name": w.person[of]["name"]})
    for _ in range(k):
        fam = w.family("spouse")
        d, s = fam["debtor"], fam["spouse"]
        sp = w.person[s]
        n = w.person_new(sp["gender"], date.fromisoformat(sp["birth_date"]), scene=True)
        w.person[n]["name"] = sp["name"]
        acct = w.account(n, "bank")
        start = w.start_date()
        c = w.case(d, "civil_enforcement", start)
        t = [w.tx(w.acct(d), acct, w.money(40_000, 200_000), start + timedelta(days=rng.randint(3, 60)), memo="货款")]
        w.decoy("post_filing_transfer_to_related", d, c, "namesake of the spouse (same name and birth date, "
                "another valid ID number): unrelated until a person confirms", txs=t)
        gt["namesakes"].append({"record": n, "namesake_of": s, "debtor": d, "case_no": c["case_no"], "transfers": t})
    return gt


def write_second(w: Any, out_dir: Path, headers: list[str]) -> int:
    """The second source's persons file (the duplicates), loaded as the persons table."""
    with open(Path(out_dir) / "persons_second.csv", "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow(headers)
        for r in w.persons_second:
            cw.writerow([r.get(c, "") for c in headers])
    return len(w.persons_second)


__all__ = ["add_entities", "variant_name", "write_second"]
