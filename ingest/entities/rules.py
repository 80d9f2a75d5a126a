"""The matching rules of entity resolution: which records are certainly one party, which are
candidates for a person to judge, and why (docs/entities.md).

Pure Python, no database: `resolve` feeds it the records read from the graph. Certain merges rest
only on an identifier whose checksum proves it was copied right (GB 11643 resident ID, GB 32100
unified social credit code) and that agrees with what the record itself says; everything else is a
candidate with reasons and a score, and a candidate always needs a signal besides the name.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from ingest.parse import id_number_valid

#: Variant and traditional forms of characters common in names, folded to the simplified form
#: (a household register written in traditional characters, a bank that typed a variant).
VARIANTS = {
    "張": "张", "陳": "陈", "劉": "刘", "黃": "黄", "趙": "赵", "吳": "吴", "週": "周", "鄭": "郑",
    "楊": "杨", "孫": "孙", "馬": "马", "蕭": "萧", "許": "许", "鄧": "邓", "葉": "叶", "謝": "谢",
    "韓": "韩", "馮": "冯", "羅": "罗", "錢": "钱", "麗": "丽", "華": "华", "偉": "伟", "國": "国",
    "軍": "军", "東": "东", "強": "强", "彊": "强", "紅": "红", "龍": "龙", "鳳": "凤", "蘭": "兰",
    "傑": "杰", "峯": "峰", "羣": "群", "啓": "启", "寶": "宝", "豐": "丰", "雲": "云", "劍": "剑",
    "濤": "涛", "輝": "辉", "榮": "荣", "飛": "飞", "鵬": "鹏", "喆": "哲", "昇": "升", "淸": "清",
    "眞": "真", "敎": "教", "靜": "静", "穎": "颖", "燕": "燕", "玲": "玲", "芳": "芳", "婷": "婷",
}

#: Weights of the evidence a candidate pair carries (score = sum, clipped to 0.01..0.99).
WEIGHTS = {
    "same_id_disagrees": 0.6,   # same valid ID number, but a record's birth date or sex contradicts it
    "id_near": 0.35,            # ID numbers one digit or one adjacent transposition apart
    "same_birth_date": 0.3,
    "same_phone": 0.3,
    "same_name": 0.2,
    "name_folded": 0.15,        # equal after removing spaces / folding variant characters
    "different_valid_ids": -0.25,  # both carry a valid, different, not-near ID: likely namesakes
    "different_sex": -0.3,
}
REASON_TEXT = {
    "same_id_disagrees": ("同一有效身份证号，但出生日期或性别与记录不符", "same valid ID number, but the record's birth date or sex disagrees"),
    "id_near": ("身份证号仅一位不同或相邻两位颠倒", "ID numbers one digit or one transposition apart"),
    "same_birth_date": ("出生日期相同", "same birth date"),
    "same_phone": ("电话相同", "same phone"),
    "same_name": ("姓名相同", "same name"),
    "name_folded": ("去空格/异体字后姓名相同", "same name after removing spaces or folding variant characters"),
    "different_valid_ids": ("两个不同的有效身份证号（可能是同名同生日的不同人）", "two different valid ID numbers (may be namesakes)"),
    "different_sex": ("性别不同", "different sex"),
}
#: Name-only evidence: never enough for a candidate on its own.
NAME_REASONS = frozenset({"same_name", "name_folded"})
#: A blocking key shared by more records than this is skipped (it would say nothing and cost n^2).
MAX_BLOCK = 60

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def fold_name(name: str | None) -> str:
    """The name with every space removed and variant characters folded (for comparison only)."""
    if not name:
        return ""
    return "".join(VARIANTS.get(ch, ch) for ch in re.sub(r"[\s\u3000·•.]+", "", name))


def norm_id(text: str | None) -> str:
    """An ID number or credit code as compared: no spaces or dashes, upper case."""
    return re.sub(r"[\s\-]", "", text or "").upper()


def uscc_valid(text: str | None) -> bool:
    """GB 32100 check of an 18-character unified social credit code (统一社会信用代码)."""
    t = norm_id(text)
    if len(t) != 18 or any(ch not in _USCC_CHARS for ch in t):
        return False
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(t[:17], _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == t[17]


def id_birth_date(idn: str) -> dt.date | None:
    """The birth date an 18-digit ID number encodes (None when it is not a date)."""
    try:
        return dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return None


def id_sex(idn: str) -> str:
    """The sex an 18-digit ID number encodes: the 17th digit, odd = M."""
    return "M" if int(idn[16]) % 2 else "F"


def id_disagreement(idn: str, birth_date: dt.date | None, gender: str | None) -> str | None:
    """Why a valid ID number contradicts its record (None when it agrees or the record is silent)."""
    born = id_birth_date(idn)
    if born is None:
        return "the ID number encodes no valid date"
    if birth_date is not None and birth_date != born:
        return f"record birth date {birth_date} but the ID number encodes {born}"
    if gender in ("M", "F") and gender != id_sex(idn):
        return f"record sex {gender} but the ID number encodes {id_sex(idn)}"
    return None


def certain_person_key(rec: dict) -> str | None:
    """The key that makes person records certainly one person: a valid ID number that agrees."""
    idn = norm_id(rec.get("id_number"))
    if not idn or not id_number_valid(idn):
        return None
    if id_disagreement(idn, rec.get("birth_date"), rec.get("gender")) is not None:
        return None
    return idn


def certain_company_key(rec: dict) -> str | None:
    """The key that makes company records certainly one company: a valid credit code."""
    code = norm_id(rec.get("company_id"))
    return code if uscc_valid(code) else None


def _id_near(a: str, b: str) -> bool:
    if len(a) != 18 or len(b) != 18 or a == b:
        return False
    diff = [i for i in range(18) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


@dataclass
class Candidate:
    """A pair for a person to judge (left < right), with the evidence and its score."""

    kind: str
    left: str
    right: str
    reasons: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        s = sum(WEIGHTS[r] for r in self.reasons)
        return round(min(0.99, max(0.01, s)), 2)


def compare_persons(a: dict, b: dict) -> Candidate | None:
    """The evidence that person records `a` and `b` are one person; None when there is no candidate."""
    left, right = sorted((a, b), key=lambda r: r["person_id"])
    c = Candidate("person", left["person_id"], right["person_id"])
    ia, ib = norm_id(a.get("id_number")), norm_id(b.get("id_number"))
    va, vb = bool(ia) and id_number_valid(ia), bool(ib) and id_number_valid(ib)
    if ia and ia == ib and va:
        c.reasons.append("same_id_disagrees")
        c.details["same_id_disagrees"] = "; ".join(
            filter(None, (id_disagreement(ia, r.get("birth_date"), r.get("gender")) for r in (a, b))))
    elif ia and ib and _id_near(ia, ib) and (va or vb):
        c.reasons.append("id_near")
        c.details["id_near"] = f"{ia} / {ib}"
    elif va and vb and ia != ib:
        c.reasons.append("different_valid_ids")
    fa, fb = fold_name(a.get("name")), fold_name(b.get("name"))
    names_match = bool(fa) and fa == fb
    if names_match:
        if a.get("birth_date") is not None and a.get("birth_date") == b.get("birth_date"):
            c.reasons.append("same_birth_date")
        pa, pb = re.sub(r"\D", "", a.get("phone") or ""), re.sub(r"\D", "", b.get("phone") or "")
        if pa and pa == pb:
            c.reasons.append("same_phone")
        if (a.get("name") or "") == (b.get("name") or ""):
            c.reasons.append("same_name")
        else:
            c.reasons.append("name_folded")
            c.details["name_folded"] = f"{a.get('name')} / {b.get('name')}"
    if a.get("gender") in ("M", "F") and b.get("gender") in ("M", "F") and a["gender"] != b["gender"]:
        c.reasons.append("different_sex")
    # never on a name alone: some evidence besides the name must be there
    if not any(r in c.reasons for r in ("same_id_disagrees", "id_near", "same_birth_date", "same_phone")):
        return None
    return c


def _blocks(records: list[dict]) -> Iterator[list[dict]]:
    """Groups of records that may be one person: the pairs worth comparing."""
    keys: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        name = fold_name(r.get("name"))
        idn = norm_id(r.get("id_number"))
        if name and r.get("birth_date") is not None:
            keys[("nb", name, r["birth_date"])].append(r)
        phone = re.sub(r"\D", "", r.get("phone") or "")
        if name and phone:
            keys[("np", name, phone)].append(r)
        if len(idn) == 18:
            keys[("id", idn)].append(r)
            for i in range(18):
                keys[("id1", i, idn[:i] + idn[i + 1:])].append(r)
            for i in range(17):
                keys[("idt", i, idn[:i] + "".join(sorted(idn[i:i + 2])) + idn[i + 2:])].append(r)
    for group in keys.values():
        if 1 < len(group) <= MAX_BLOCK:
            yield group


def person_candidates(records: list[dict], same_entity: "callable") -> list[Candidate]:
    """Candidate pairs among person records, skipping pairs `same_entity(a, b)` already joins."""
    seen: set[tuple[str, str]] = set()
    out: list[Candidate] = []
    for group in _blocks(records):
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pair = tuple(sorted((a["person_id"], b["person_id"])))
                if pair in seen or pair[0] == pair[1]:
                    continue
                seen.add(pair)
                if same_entity(pair[0], pair[1]):
                    continue
                c = compare_persons(a, b)
                if c is not None:
                    out.append(c)
    out.sort(key=lambda c: (-c.score, c.left, c.right))
    return out


class UnionFind:
    """Clusters of record ids joined by certain keys and confirmed judgements."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.links: dict[str, list[str]] = defaultdict(list)

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str, why: str) -> None:
        ra, rb = self.find(a), self.find(b)
        self.links[a].append(why)
        self.links[b].append(why)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def clusters(self) -> list[list[str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for x in list(self.parent):
            groups[self.find(x)].append(x)
        return [sorted(g) for g in groups.values() if len(g) > 1]


def join_by_key(records: Iterable[dict], id_field: str, key_of: "callable", rule: str, uf: UnionFind) -> int:
    """Union the records sharing a certain key; returns how many records took part."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for r in records:
        k = key_of(r)
        if k:
            by_key[k].append(r[id_field])
    n = 0
    for k, ids in by_key.items():
        if len(ids) > 1:
            n += len(ids)
            for other in ids[1:]:
                uf.union(ids[0], other, f"{rule}:{k}")
    return n
