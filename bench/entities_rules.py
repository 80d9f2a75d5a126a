"""Time the pure-Python part of `python -m ingest resolve` (certain keys + candidate blocking and
scoring) on N synthetic person records with 1% duplicates and 1% namesakes.

    .venv/bin/python bench/entities_rules.py --persons 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.entities import rules  # noqa: E402
from synth import names  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    recs = []
    for i in range(a.persons):
        g = rng.choice("MF")
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 18000))
        recs.append({"person_id": f"P{i:08d}", "name": names.person_name(rng, g), "gender": g, "birth_date": born,
                     "id_number": names.id_number(rng.choice(names.AREA_CODES), born, rng.randint(0, 499) * 2 + (g == "M")),
                     "phone": names.phone(rng)})
    for i in range(a.persons // 100):
        r = rng.choice(recs)
        recs.append({**r, "person_id": f"D{i:08d}", "name": r["name"][:1] + " " + r["name"][1:], "phone": ""})
        other = names.id_number(rng.choice(names.AREA_CODES), r["birth_date"], rng.randint(0, 499) * 2 + (r["gender"] == "M"))
        recs.append({**r, "person_id": f"N{i:08d}", "id_number": other, "phone": names.phone(rng)})
    t0 = time.perf_counter()
    uf = rules.UnionFind()
    rules.join_by_key(recs, "person_id", rules.certain_person_key, "id_number", uf)
    t1 = time.perf_counter()
    cands = rules.person_candidates(recs, lambda x, y: uf.find(x) == uf.find(y))
    t2 = time.perf_counter()
    print(f"{len(recs)} records: certain keys {t1 - t0:.2f} s ({len(uf.clusters())} clusters), "
          f"candidates {t2 - t1:.2f} s ({len(cands)} candidates)")


if __name__ == "__main__":
    main()
