"""The synthetic generator: deterministic, valid contract data, and planted cases that a
plain-Python reading of /work/shared/detection-spec.md finds (decoys and background it does not).

The reference checker below works on the written CSV files only (no Neo4j), so it
checks the files themselves, independently of the Cypher patterns.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from synth import names as gen_names
from synth.generate import PATTERNS, generate, register

AS_OF = date(2025, 10, 31)
ZH_TRANSFER = {"流水号": "transfer_id", "付款账号": "from_account", "收款账号": "to_account", "付款户名": "from_name",
               "收款户名": "to_name", "金额": "amount", "交易时间": "at", "币种": "currency", "渠道": "channel",
               "摘要": "memo"}
STD = {"lenient": 80000, "ordinary": 60000, "probation": 40000, "strict": 30000}


# ------------------------------------------------------------------ reading the files
def fen(s: str) -> int:
    s = s.strip().replace("¥", "").replace(",", "").replace("元", "")
    if not s:
        return 0
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def day(s: str) -> date | None:
    s = s.strip().split(" ")[0]
    if not s:
        return None
    if "/" in s:
        y, m, d = s.split("/")
        return date(int(y), int(m), int(d))
    return date.fromisoformat(s)


def rows(d: Path, table: str) -> list[dict]:
    out = []
    for f in sorted(d.glob(f"{table}*.csv")):
        if f.stem != table and not f.stem.startswith(table + "_"):
            continue
        raw = f.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        rd = csv.DictReader(text.splitlines())
        for r in rd:
            out.append({ZH_TRANSFER.get(k, k): v for k, v in r.items()})
    return out


class Data:
    def __init__(self, d: Path) -> None:
        self.dir = d
        self.gt = json.loads((d / "ground_truth.json").read_text(encoding="utf-8"))
        self.persons = {r["person_id"]: r for r in rows(d, "persons")}
        self.companies = {r["company_id"]: r for r in rows(d, "companies")}
        self.relations = rows(d, "relations")
        self.roles = rows(d, "company_roles")
        self.accounts = {r["account_id"]: r for r in rows(d, "accounts")}
        self.balances = rows(d, "balances")
        self.inmates = rows(d, "inmates")
        self.assets = {r["asset_id"]: r for r in rows(d, "assets")}
        self.asset_transfers = rows(d, "asset_transfers")
        self.cases = rows(d, "cases")
        self.transfers = rows(d, "transfers")
        self.holder = {a: r["holder_id"] for a, r in self.accounts.items()}
        self.accts_of: dict[str, list[str]] = defaultdict(list)
        for a, h in self.holder.items():
            self.accts_of[h].append(a)
        self.rel_by: dict[str, list[tuple]] = defaultdict(list)
        for r in self.relations:
            ended_marriage = r["relation"] == "former_spouse" or (r["relation"] == "spouse" and r["until"])
            rec = (r["relation"], day(r["since"]), day(r["until"]), ended_marriage)
            self.rel_by[r["person_id"]].append((r["other_person_id"],) + rec)
            self.rel_by[r["other_person_id"]].append((r["person_id"],) + rec)
        self.roles_of: dict[str, list[dict]] = defaultdict(list)
        self.roles_in: dict[str, list[dict]] = defaultdict(list)
        for r in self.roles:
            self.roles_of[r["person_id"]].append(r)
            self.roles_in[r["company_id"]].append(r)
        self.tx = []
        self.out_tx: dict[str, list[tuple]] = defaultdict(list)
        self.degree: dict[str, int] = defaultdict(int)
        for r in self.transfers:
            t = (r["transfer_id"], r["from_account"], r["to_account"], fen(r["amount"]), day(r["at"]),
                 r["currency"] or "CNY")
            self.tx.append(t)
            self.out_tx[t[1]].append(t)
            self.degree[t[1]] += 1
            self.degree[t[2]] += 1
        for v in self.out_tx.values():
            v.sort(key=lambda t: t[4])

    # --- the spec's shared definitions
    def related_persons(self, who: str, t: date) -> set[str]:
        def of_person(p: str) -> set[str]:
            out = set()
            for other, _rel, since, until, ended in self.rel_by[p]:
                if ended or ((since is None or since <= t) and (until is None or t <= until)):
                    out.add(other)
            return out
        if who in self.persons:
            return of_person(who)
        holders = {r["person_id"] for r in self.roles_in[who] if _active(r, t)}
        out = set(holders)
        for h in holders:
            out |= of_person(h)
        return out

    def tied(self, who: str, t: date) -> set[str]:
        people = self.related_persons(who, t) | ({who} if who in self.persons else set())
        out = set()
        for p in people:
            for r in self.roles_of[p]:
                if _active(r, t) and (r["role"] != "shareholder" or not r["share_pct"] or float(r["share_pct"]) >= 5):
                    out.add(r["company_id"])
        out.discard(who)
        return out

    def open_cases(self):
        for c in self.cases:
            due, paid = fen(c["amount_due"]), fen(c["amount_paid"])
            if paid < due:
                yield c, day(c["served_on"]) or day(c["filed_on"])


def _active(role: dict, t: date) -> bool:
    s, u = day(role["since"]), day(role["until"])
    return (s is None or s <= t) and (u is None or t <= u)


# ------------------------------------------------------------------ reference patterns
def ref_hits(D: Data) -> dict[str, list[dict]]:
    """Every pattern's hits with default parameters: [{subject_id, case_no, ids, extra}]."""
    hits: dict[str, list[dict]] = defaultdict(list)
    for c, start in D.open_cases():
        debtor, case_no = c["debtor_id"], c["case_no"]
        mine = set(D.accts_of[debtor])
        outs = [t for a in mine for t in D.out_tx[a] if t[4] >= start and t[5] == "CNY" and t[2] not in mine]
        # post_filing_transfer_to_related and shell_company_transfer
        by_p, by_c = defaultdict(list), defaultdict(list)
        for t in outs:
            h = D.holder.get(t[2])
            if h in D.persons and h in D.related_persons(debtor, t[4]):
                by_p[h].append(t)
            if h in D.companies and h in D.tied(debtor, t[4]):
                by_c[h].append(t)
        for grp, pat in ((by_p, "post_filing_transfer_to_related"), (by_c, "shell_company_transfer")):
            for h, ts in grp.items():
                if sum(t[3] for t in ts) >= 1_000_000:
                    hits[pat].append({"subject_id": debtor, "case_no": case_no, "ids": {t[0] for t in ts}})
        # fan_out_dispersal
        ids: set[str] = set()
        for t0 in outs:
            win = [t for t in outs if t0[4] <= t[4] <= t0[4] + timedelta(days=29)]
            per = defaultdict(list)
            for t in win:
                h = D.holder.get(t[2])
                if h in D.persons and h in D.related_persons(debtor, t[4]):
                    continue
                per[h or t[2]].append(t)
            good = [ts for ts in per.values() if sum(t[3] for t in ts) >= 1_000_000]
            if len(good) >= 5:
                ids |= {t[0] for ts in good for t in ts}
        if ids:
            hits["fan_out_dispersal"].append({"subject_id": debtor, "case_no": case_no, "ids": ids})
        # below / above value
        for at in D.asset_transfers:
            on, a = day(at["on"]), D.assets[at["asset_id"]]
            if on < start or not a["appraised_value"]:
                continue
            price, appr = fen(at["price"]), fen(a["appraised_value"])
            if at["from_id"] == debtor and price < 0.7 * appr:
                hits["below_value_conveyance"].append({"subject_id": debtor, "case_no": case_no, "ids": {at["transfer_id"]}})
            if at["to_id"] == debtor and price > 1.3 * appr:
                hits["above_value_purchase"].append({"subject_id": debtor, "case_no": case_no, "ids": {at["transfer_id"]}})
        # sham_divorce
        for other, _rel, _since, until, ended in D.rel_by[debtor]:
            if not ended or until is None or until < start - timedelta(days=90):
                continue
            lo, hi = until - timedelta(days=180), until + timedelta(days=180)
            money = [t for t in outs if D.holder.get(t[2]) == other and lo <= t[4] <= hi]
            convs = [at for at in D.asset_transfers if at["from_id"] == debtor and at["to_id"] == other
                     and day(at["on"]) >= start and lo <= day(at["on"]) <= hi]
            if convs or sum(t[3] for t in money) >= 1_000_000:
                ids = {t[0] for t in money} | {at["transfer_id"] for at in convs}
                hits["sham_divorce"].append({"subject_id": debtor, "case_no": case_no, "ids": ids})
        # layered_chain and round_trip: bounded walks from big first hops
        for t0 in outs:
            if t0[3] < 1_000_000:
                continue
            for path in _walk(D, t0, mine, debtor, chain=True):
                hits["layered_chain"].append({"subject_id": debtor, "case_no": case_no, "ids": {t[0] for t in path}})
            for path in _walk(D, t0, mine, debtor, chain=False):
                hits["round_trip"].append({"subject_id": debtor, "case_no": case_no, "ids": {t[0] for t in path}})
    # small_fine_capacity
    open_by: dict[str, list[tuple]] = defaultdict(list)
    for c, _start in D.open_cases():
        if c["kind"] in ("criminal_fine", "confiscation", "restitution"):
            open_by[c["debtor_id"]].append(c)
    latest: dict[str, tuple[date, int]] = {}
    as_of = date.fromisoformat(D.gt["as_of"])
    for b in D.balances:
        d = day(b["as_of"])
        if d <= as_of and (b["account_id"] not in latest or latest[b["account_id"]][0] < d):
            latest[b["account_id"]] = (d, fen(b["balance"]))
    for inm in D.inmates:
        pid = inm["person_id"]
        if not open_by.get(pid):
            continue
        bal = sum(latest.get(a, (None, 0))[1] for a in D.accts_of[pid] if D.accounts[a]["kind"] == "prison")
        days_left = (day(inm["release_on"]) - as_of).days
        months = 0 if days_left <= 0 else math.ceil(days_left / 30.4375)
        disposable = bal - STD[inm["treatment_level"] or "ordinary"] * months
        unpaid = sum(fen(c["amount_due"]) - fen(c["amount_paid"]) for c in open_by[pid])
        if disposable >= unpaid:
            hits["small_fine_capacity"].append({"subject_id": pid, "lead": "can_pay_in_full", "recoverable": unpaid, "ids": set()})
        elif disposable > 0:
            hits["small_fine_capacity"].append({"subject_id": pid, "lead": "can_pay_in_part", "recoverable": disposable, "ids": set()})
    return hits


def _walk(D: Data, t0: tuple, mine: set[str], debtor: str, chain: bool):
    """Time-ordered paths from t0 with the spec's ratio/gap/length bounds."""
    results = []

    def related_party(acct: str, t: date) -> bool:
        h = D.holder.get(acct)
        return h is not None and (h in D.related_persons(debtor, t) or h in D.tied(debtor, t))

    def step(path: list[tuple]) -> None:
        last = path[-1]
        acct, n_inter = last[2], len(path) - 1
        if chain and related_party(acct, last[4]):
            if n_inter >= 1:
                results.append(list(path))
            return
        if not chain and acct in mine:
            if n_inter >= 1:
                results.append(list(path))
            return
        if acct in mine or n_inter + 1 > 4:
            return
        if chain and D.degree[acct] > 200:
            return
        for t in D.out_tx.get(acct, ()):
            if t[4] < last[4] or t[5] != "CNY" or t in path:
                continue
            if chain and (t[4] - last[4]).days > 7:
                continue
            if not chain and (t[4] - t0[4]).days > 60:
                continue
            if not (0.5 * last[3] <= t[3] <= 1.05 * last[3]):
                continue
            path.append(t)
            step(path)
            path.pop()

    step([t0])
    return results


def check_against_truth(D: Data) -> None:
    """Every plant is found, no decoy is hit, and every hit is a plant of its pattern."""
    hits = ref_hits(D)
    gt = D.gt
    for p in gt["planted"]:
        ev = set(p["transfer_ids"]) | set(p["asset_transfer_ids"])
        if p["pattern"] == "small_fine_capacity":
            ok = [h for h in hits[p["pattern"]] if h["subject_id"] == p["subject_id"] and h["lead"] == p["lead"]
                  and h["recoverable"] == p["recoverable_fen"]]
        else:
            ok = [h for h in hits[p["pattern"]] if h["subject_id"] == p["subject_id"] and h["case_no"] == p["case_no"]
                  and ev <= h["ids"]]
        assert ok, f"planted case not found: {p}"
    for dcy in gt["decoys"]:
        ev = set(dcy["transfer_ids"]) | set(dcy["asset_transfer_ids"])
        for h in hits[dcy["pattern"]]:
            if h["subject_id"] != dcy["subject_id"]:
                continue
            assert dcy["pattern"] != "small_fine_capacity", f"decoy hit: {dcy}"
            assert not (ev & h["ids"]), f"decoy hit: {dcy} by {h}"
    planted_subjects = defaultdict(set)
    for p in gt["planted"]:
        planted_subjects[p["pattern"]].add(p["subject_id"])
    for pat, hs in hits.items():
        extra = [h for h in hs if h["subject_id"] not in planted_subjects[pat]]
        assert not extra, f"{pat}: unplanted hits {extra[:3]}"


# ------------------------------------------------------------------ fixtures and tests
@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Data:
    d = tmp_path_factory.mktemp("gen300")
    generate(d, seed=7, persons=300)
    return Data(d)


def _digest(d: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(d.iterdir())}


def test_deterministic_for_a_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, seed=11, persons=300, transfers=4000)
    generate(b, seed=11, persons=300, transfers=4000)
    generate(c, seed=12, persons=300, transfers=4000)
    assert _digest(a) == _digest(b)
    assert _digest(a)["transfers.csv"] != _digest(c)["transfers.csv"]


def test_counts_and_summary(tmp_path):
    s = generate(tmp_path, seed=3, persons=300, transfers=5000)
    assert s["tables"]["persons"] == 300
    assert s["tables"]["transfers"] == 5000
    D = Data(tmp_path)
    assert len(D.persons) == 300 and len(D.tx) == 5000
    assert len({t[0] for t in D.tx}) == 5000
    for p in PATTERNS:
        assert s["planted"][p] >= 3 and s["decoys"][p] >= 1


def test_id_numbers_valid_and_consistent(small):
    for p in small.persons.values():
        idn = p["id_number"]
        assert gen_names.id_number_valid(idn), idn
        assert idn[6:14] == p["birth_date"].replace("-", "")
        assert (int(idn[16]) % 2 == 1) == (p["gender"] == "M")
    assert len({p["id_number"] for p in small.persons.values()}) == len(small.persons)
    # the checksum itself: a known-good number and a corrupted one
    assert gen_names.id_number_valid("11010519491231002X")
    assert not gen_names.id_number_valid("110105194912310021")


def test_company_ids_have_valid_check_char(small):
    for cid in small.companies:
        assert len(cid) == 18 and gen_names.uscc(cid[:17]) == cid


def test_references_resolve(small):
    D = small
    assert not set(D.persons) & set(D.companies)
    parties = set(D.persons) | set(D.companies)
    for r in D.relations:
        assert r["person_id"] in D.persons and r["other_person_id"] in D.persons and r["person_id"] != r["other_person_id"]
    for r in D.roles:
        assert r["person_id"] in D.persons and r["company_id"] in D.companies
    for a in D.accounts.values():
        assert a["holder_id"] in parties
        assert a["kind"] in ("bank", "prison", "payment", "securities")
    for b in D.balances:
        assert b["account_id"] in D.accounts
    for i in D.inmates:
        assert i["person_id"] in D.persons and i["treatment_level"] in ("", "lenient", "ordinary", "probation", "strict")
    for a in D.assets.values():
        assert a["owner_id"] in parties
    owner = {k: a["owner_id"] for k, a in D.assets.items()}
    for at in sorted(D.asset_transfers, key=lambda r: r["on"]):
        assert at["asset_id"] in D.assets and at["from_id"] in parties and at["to_id"] in parties
        assert owner[at["asset_id"]] == at["from_id"], "conveyed by its current owner"
        owner[at["asset_id"]] = at["to_id"]
    for c in D.cases:
        assert c["debtor_id"] in parties
        assert re.fullmatch(r"\(\d{4}\)京\d{4}(刑初|民初)\d+号", c["case_no"])
    assert len({c["case_no"] for c in D.cases}) == len(D.cases)
    # transfers: unknown counterparties are allowed, but they must carry a statement name
    unknown = 0
    for r in D.transfers:
        for side in ("from", "to"):
            if r[f"{side}_account"] not in D.accounts:
                unknown += 1
                assert r[f"{side}_name"]
    assert unknown > 0


def test_amounts_positive_and_dates_in_range(small):
    D = small
    start = date(AS_OF.year - 2, 1, 1)
    for t in D.tx:
        assert t[3] > 0 and start <= t[4] <= AS_OF
    assert any(t[5] != "CNY" for t in D.tx)
    for c in D.cases:
        assert 0 < fen(c["amount_due"]) and 0 <= fen(c["amount_paid"]) <= fen(c["amount_due"])
        filed, served = day(c["filed_on"]), day(c["served_on"])
        assert served is None or served >= filed
        for k in ("judged_on", "effective_on", "enforcement_filed_on"):
            assert day(c[k]) is None or filed <= day(c[k]) <= AS_OF
    for b in D.balances:
        assert fen(b["balance"]) >= 0


def test_both_transfer_files_and_chinese_export(small):
    raw = (small.dir / "transfers_bank2.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert text.startswith("流水号,付款账号") and "¥" in text
    assert any(r["amount"].startswith("¥") for r in small.transfers)


def test_ground_truth_ids_exist(small):
    D = small
    tx_ids = {t[0] for t in D.tx}
    at_ids = {r["transfer_id"] for r in D.asset_transfers}
    cases = {c["case_no"]: c for c in D.cases}
    known_accounts = set(D.accounts) | {t[1] for t in D.tx} | {t[2] for t in D.tx}
    parties = set(D.persons) | set(D.companies)
    assert D.gt["as_of"] == AS_OF.isoformat() and D.gt["transfers"] == len(D.tx)
    for rec in D.gt["planted"] + D.gt["decoys"]:
        assert rec["pattern"] in PATTERNS
        assert rec["subject_id"] in parties
        assert cases[rec["case_no"]]["debtor_id"] == rec["subject_id"]
        assert set(rec["transfer_ids"]) <= tx_ids
        assert set(rec["asset_transfer_ids"]) <= at_ids
        assert set(rec.get("account_ids", ())) <= known_accounts
        for cp in rec.get("counterparties", ()):
            assert cp in parties or cp in known_accounts
    for p in PATTERNS:
        assert sum(r["pattern"] == p for r in D.gt["planted"]) >= 3
        assert sum(r["pattern"] == p for r in D.gt["decoys"]) >= 1


def test_planted_money_moves_after_litigation_start(small):
    D = small
    cases = {c["case_no"]: c for c in D.cases}
    tx = {t[0]: t for t in D.tx}
    ats = {r["transfer_id"]: r for r in D.asset_transfers}
    for p in D.gt["planted"]:
        c = cases[p["case_no"]]
        start = day(c["served_on"]) or day(c["filed_on"])
        assert fen(c["amount_paid"]) < fen(c["amount_due"])
        for tid in p["transfer_ids"]:
            assert tx[tid][4] >= start and tx[tid][5] == "CNY"
        for aid in p["asset_transfer_ids"]:
            assert day(ats[aid]["on"]) >= start


def test_busy_intermediary_is_busy(small):
    busy = [d for d in small.gt["decoys"] if d["why"].startswith("busy intermediary")]
    assert busy
    tx = {t[0]: t for t in small.tx}
    for d in busy:
        mid = tx[d["transfer_ids"][0]][2]
        assert small.degree[mid] > 200


def test_reference_patterns_match_ground_truth(small):
    check_against_truth(small)


def test_other_as_of_and_seed(tmp_path):
    generate(tmp_path, seed=21, persons=400, transfers=6000, as_of=date(2025, 6, 30))
    D = Data(tmp_path)
    assert D.gt["as_of"] == "2025-06-30" and max(t[4] for t in D.tx) <= date(2025, 6, 30)
    check_against_truth(D)


@pytest.mark.slow
def test_reference_patterns_match_ground_truth_3000(tmp_path):
    generate(tmp_path, seed=5, persons=3000, transfers=60000)
    check_against_truth(Data(tmp_path))


def test_cli_register(tmp_path, capsys):
    ap = argparse.ArgumentParser()
    register(ap.add_subparsers(dest="cmd"))
    args = ap.parse_args(["generate", str(tmp_path / "x"), "--seed", "2", "--persons", "300", "--transfers", "3000",
                          "--as-of", "2025-10-31"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"]["transfers"] == 3000
    assert (tmp_path / "x" / "ground_truth.json").exists()
    args = ap.parse_args(["generate", str(tmp_path / "y"), "--persons", "20"])
    assert args.func(args) == 2


def test_loads_into_neo4j_without_rejects(graph, tmp_path):
    """The loader accepts every generated row (both transfer files included) and keeps the amounts."""
    from ingest import load_dir

    d = tmp_path / "data"
    generate(d, seed=7, persons=300)
    D = Data(d)
    res = load_dir(graph, d, rejects_dir=tmp_path / "rejects")
    expected = {"persons", "relations", "companies", "company_roles", "accounts", "balances", "inmates",
                "transfers", "assets", "asset_transfers", "cases"}
    assert expected <= set(res.tables)
    for name, c in res.tables.items():
        assert c["rejected"] == 0, f"{name}: {c} — see {tmp_path / 'rejects' / (name + '.csv')}"
        assert c["loaded"] == c["read"] > 0, (name, c)
    assert res.tables["transfers"]["loaded"] == len(D.tx)
    # a planted transfer of the GB18030 export and one of the UTF-8 file arrive with exact fen and day
    bank2 = {r["transfer_id"] for r in rows(d, "transfers_bank2")}
    tx = {t[0]: t for t in D.tx}
    planted = [tid for p in D.gt["planted"] for tid in p["transfer_ids"]]
    picks = [next(t for t in planted if t in bank2), next(t for t in planted if t not in bank2)] \
        if any(t in bank2 for t in planted) else planted[:2]
    for tid in picks:
        got = graph.read_one("MATCH ()-[t:TRANSFER {transfer_id: $id}]->() RETURN t.amount_fen AS f, t.on AS on",
                             {"id": tid})
        assert got == {"f": tx[tid][3], "on": tx[tid][4]}
    unknown = graph.read_one("MATCH (a:Account) WHERE a.holder_known = false RETURN count(a) AS c")["c"]
    assert unknown == len(({t[1] for t in D.tx} | {t[2] for t in D.tx}) - set(D.accounts))
    bad_ids = graph.read_one("MATCH (p:Person) WHERE p.id_number_valid <> true RETURN count(p) AS c")["c"]
    assert bad_ids == 0
    assert graph.read_one("MATCH (p:Person:Inmate) RETURN count(p) AS c")["c"] == len(D.inmates)
