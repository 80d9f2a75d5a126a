"""The Chinese (and English) names of the contract's enumerations, stages and relations.

Why one module: the referral package, the PDF, the leads' explanations and the relatedness
descriptions all print these words, and a prosecutor reading two documents must see the same
word for the same thing. Everything outside `web/` looks labels up here (`zh`, `en`); the web
layer's catalogue (translations/zh) holds the page words.
"""
from __future__ import annotations

#: table -> code -> (zh, en)
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "relation": {
        "spouse": ("配偶", "spouse"), "former_spouse": ("前配偶", "former spouse"), "parent": ("父母", "parent"),
        "child": ("子女", "child"), "sibling": ("兄弟姐妹", "sibling"), "relative": ("其他亲属", "relative"),
        "associate": ("关联人", "associate"), "self": ("本人账户", "own account"),
        "legal_rep": ("法定代表人", "legal representative"), "shareholder": ("股东", "shareholder"),
        "officer": ("高管", "officer"), "supervisor": ("监事", "supervisor"),
    },
    "company_role": {
        "legal_rep": ("法定代表人", "legal representative"), "shareholder": ("股东", "shareholder"),
        "officer": ("高管", "officer"), "supervisor": ("监事", "supervisor"),
    },
    "case_kind": {
        "criminal_fine": ("罚金", "criminal fine"), "confiscation": ("没收财产", "confiscation"),
        "restitution": ("退赔", "restitution"), "civil_enforcement": ("民事执行", "civil enforcement"),
    },
    "stage": {
        "before_judgment": ("判决生效前", "before judgment"), "after_judgment": ("判决生效后", "after judgment"),
        "in_enforcement": ("执行中", "in enforcement"), "before_litigation": ("诉讼开始前", "before litigation"),
    },
    "measure": {  # restrictions, encumbrances and cash rows of contract v1.1
        "consumption_ban": ("限制高消费", "consumption ban"), "dishonest_list": ("失信被执行人", "dishonest-debtor list"),
        "account_freeze": ("账户冻结", "account freeze"), "asset_seizure": ("查封扣押", "asset seizure"),
        "mortgage": ("抵押", "mortgage"), "pledge": ("质押", "pledge"),
        "cash_withdrawal": ("取现", "cash withdrawal"), "cash_deposit": ("存现", "cash deposit"),
    },
    "asset_kind": {
        "real_estate": ("不动产", "real estate"), "vehicle": ("车辆", "vehicle"), "equity": ("股权", "equity"),
        "other": ("其他", "other"),
    },
    "direction": {
        "out": ("转出", "out"), "in": ("转入", "in"), "internal": ("本人账户间", "between own accounts"),
        "chain": ("链路中转", "further down a chain"), "other": ("其他", "other"),
    },
    "record_kind": {
        "case": ("案件", "case"), "transfer": ("资金转账", "transfer"), "asset_transfer": ("财产转移", "conveyance"),
        "balance": ("账户余额", "balance"),
    },
    "treatment": {
        "lenient": ("宽管", "lenient"), "ordinary": ("普管", "ordinary"), "probation": ("考察", "probation"),
        "strict": ("严管", "strict"),
    },
    "milestone": {
        "filed_on": ("立案", "filed"), "served_on": ("应诉通知送达", "served"), "judged_on": ("判决", "judged"),
        "effective_on": ("判决生效", "judgment effective"), "enforcement_filed_on": ("执行立案", "enforcement"),
    },
    # the freeze list (investigations/freeze.py): what a line is, why it is listed, what holds it already
    "freeze_kind": {"account": ("账户", "account"), "asset": ("财产", "asset")},
    "freeze_basis": {
        "own": ("被执行人本人账户", "the debtor's own account"), "related": ("关联方", "related party"),
        "lead": ("线索所涉", "named by a lead"), "balance": ("余额证实", "shown by a balance"),
        "asset": ("被转移财产", "conveyed asset"), "owned": ("被执行人名下财产", "asset the debtor still owns"),
    },
    "freeze_status": {
        "account_freeze": ("已冻结", "already frozen"), "asset_seizure": ("已查封", "already seized"),
        "recorded_frozen": ("本案已登记冻结", "frozen (recorded for this case)"),
        "mortgage": ("已抵押", "mortgaged"), "pledge": ("已质押", "pledged"),
    },
}

#: A freeze-list line with no freeze, seizure or encumbrance known on `as_of`.
NO_HOLD_KNOWN = ("未知有冻结", "none known")
#: The relation word of the debtor's own asset on the freeze list.
OWN_ASSET = ("被执行人本人", "the debtor")

#: The words for "no relation known at that day" (package column, leads, subject page).
NO_RELATION = ("无已知关系", "no known relation")
#: A record further down a money chain: its counterparty is not the subject's.
CHAIN_RELATION = ("资金链路下游（非本人账户）", "further down a money chain (not the subject's account)")


def zh(table: str, code: str | None, default: str | None = None) -> str:
    """The Chinese label of `code` in `table`; unknown codes come back as they are (or `default`)."""
    if code is None:
        return default if default is not None else ""
    got = TABLES[table].get(code)
    return got[0] if got else (default if default is not None else code)


def en(table: str, code: str | None, default: str | None = None) -> str:
    """The English label of `code` in `table`; unknown codes come back as they are (or `default`)."""
    if code is None:
        return default if default is not None else ""
    got = TABLES[table].get(code)
    return got[1] if got else (default if default is not None else code)


def zh_map(table: str) -> dict[str, str]:
    """code -> Chinese label for a whole table (for code that wants a dict)."""
    return {k: v[0] for k, v in TABLES[table].items()}
