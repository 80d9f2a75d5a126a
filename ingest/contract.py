"""The input data contract (shared/data-contract.md v1) as a declarative mapping.

Each table lists its columns (English and Chinese header, kind, required), its key and
the enum spellings it accepts. The reader, the validator, the generator and the tests
all read this one table instead of re-stating the contract.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str = "str"  # str | date | datetime | money | pct | enum | id_number
    required: bool = False
    enum: str | None = None  # name of an ENUMS entry


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = False
    refs: dict[str, str] = field(default_factory=dict)  # column -> "person" | "company" | "party" | "account" | "asset"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def header_map(self) -> dict[str, str]:
        """Every accepted header spelling (lower-cased English, Chinese) -> column name."""
        out: dict[str, str] = {}
        for c in self.columns:
            out[c.name.lower()] = c.name
            out[c.zh] = c.name
        return out


# Accepted spellings -> canonical value. English values match case-insensitively.
ENUMS: dict[str, dict[str, str]] = {
    "gender": {"m": "M", "f": "F", "男": "M", "女": "F", "male": "M", "female": "F"},
    "treatment_level": {"lenient": "lenient", "宽管": "lenient", "ordinary": "ordinary", "普管": "ordinary",
                        "probation": "probation", "考察": "probation", "strict": "strict", "严管": "strict"},
    "relation": {"spouse": "spouse", "配偶": "spouse", "former_spouse": "former_spouse", "前配偶": "former_spouse",
                 "parent": "parent", "父母": "parent", "child": "child", "子女": "child",
                 "sibling": "sibling", "兄弟姐妹": "sibling", "relative": "relative", "其他亲属": "relative",
                 "associate": "associate", "关联人": "associate"},
    "role": {"legal_rep": "legal_rep", "法定代表人": "legal_rep", "shareholder": "shareholder", "股东": "shareholder",
             "officer": "officer", "高管": "officer", "supervisor": "supervisor", "监事": "supervisor"},
    "account_kind": {"bank": "bank", "银行": "bank", "prison": "prison", "狱内账户": "prison",
                     "payment": "payment", "第三方支付": "payment", "securities": "securities", "证券": "securities"},
    "asset_kind": {"real_estate": "real_estate", "不动产": "real_estate", "vehicle": "vehicle", "车辆": "vehicle",
                   "equity": "equity", "股权": "equity", "other": "other", "其他": "other"},
    "case_kind": {"criminal_fine": "criminal_fine", "罚金": "criminal_fine", "confiscation": "confiscation",
                  "没收财产": "confiscation", "restitution": "restitution", "退赔": "restitution",
                  "civil_enforcement": "civil_enforcement", "民事执行": "civil_enforcement"},
    "transfer_kind": {"transfer": "transfer", "转账": "transfer", "cash_withdrawal": "cash_withdrawal",
                      "取现": "cash_withdrawal", "cash_deposit": "cash_deposit", "存现": "cash_deposit"},
}

C = Column
TABLES: dict[str, Table] = {t.name: t for t in (
    Table("persons", "人员", (
        C("person_id", "人员编号", required=True), C("name", "姓名", required=True),
        C("id_number", "身份证号", "id_number"), C("gender", "性别", "enum", enum="gender"),
        C("birth_date", "出生日期", "date"), C("phone", "电话"), C("address", "住址"),
    ), key=("person_id",)),
    Table("companies", "企业", (
        C("company_id", "统一社会信用代码", required=True), C("name", "企业名称", required=True),
        C("registered_on", "成立日期", "date"),
    ), key=("company_id",), optional=True),
    Table("inmates", "在押罪犯", (
        C("person_id", "人员编号", required=True), C("inmate_no", "罪犯编号", required=True),
        C("prison", "监狱", required=True), C("admitted_on", "入监日期", "date", required=True),
        C("release_on", "刑满日期", "date", required=True),
        C("treatment_level", "处遇级别", "enum", enum="treatment_level"),
    ), key=("inmate_no",), refs={"person_id": "person"}),
    Table("relations", "社会关系", (
        C("person_id", "人员编号", required=True), C("other_person_id", "关系人编号", required=True),
        C("relation", "关系", "enum", required=True, enum="relation"),
        C("since", "起始日期", "date"), C("until", "终止日期", "date"),
    ), key=("person_id", "other_person_id", "relation"), refs={"person_id": "person", "other_person_id": "person"}),
    Table("company_roles", "任职持股", (
        C("person_id", "人员编号", required=True), C("company_id", "统一社会信用代码", required=True),
        C("role", "职务", "enum", required=True, enum="role"), C("share_pct", "持股比例", "pct"),
        C("since", "起始日期", "date"), C("until", "终止日期", "date"),
    ), key=("person_id", "company_id", "role"), optional=True, refs={"person_id": "person", "company_id": "company"}),
    Table("accounts", "账户", (
        C("account_id", "账号", required=True), C("holder_id", "户主编号", required=True),
        C("kind", "账户类型", "enum", required=True, enum="account_kind"), C("institution", "开户机构"),
        C("opened_on", "开户日期", "date"), C("closed_on", "销户日期", "date"),
    ), key=("account_id",), refs={"holder_id": "party"}),
    Table("balances", "账户余额", (
        C("account_id", "账号", required=True), C("as_of", "日期", "date", required=True),
        C("balance", "余额", "money", required=True),
    ), key=("account_id", "as_of"), refs={"account_id": "account"}),
    Table("transfers", "资金往来", (
        C("transfer_id", "流水号", required=True), C("from_account", "付款账号", required=True),
        C("to_account", "收款账号", required=True), C("from_name", "付款户名"), C("to_name", "收款户名"),
        C("amount", "金额", "money", required=True), C("at", "交易时间", "datetime", required=True),
        C("currency", "币种"), C("channel", "渠道"), C("memo", "摘要"),
        C("kind", "交易类型", "enum", enum="transfer_kind"), C("merchant", "商户名称"),
    ), key=("transfer_id",)),
    Table("assets", "财产", (
        C("asset_id", "财产编号", required=True), C("kind", "财产类型", "enum", required=True, enum="asset_kind"),
        C("owner_id", "所有人编号", required=True), C("acquired_on", "取得日期", "date"),
        C("description", "描述"), C("appraised_value", "评估价值", "money"), C("appraised_on", "评估日期", "date"),
    ), key=("asset_id",), refs={"owner_id": "party"}),
    Table("asset_transfers", "财产转移", (
        C("transfer_id", "登记编号", required=True), C("asset_id", "财产编号", required=True),
        C("from_id", "转出人编号", required=True), C("to_id", "受让人编号", required=True),
        C("on", "转移日期", "date", required=True), C("price", "对价", "money"), C("registry_ref", "登记号"),
    ), key=("transfer_id",), refs={"asset_id": "asset", "from_id": "party", "to_id": "party"}),
    Table("cases", "案件", (
        C("case_no", "案号", required=True), C("debtor_id", "被执行人编号", required=True),
        C("kind", "案件类型", "enum", required=True, enum="case_kind"), C("court", "法院"),
        C("filed_on", "立案日期", "date", required=True), C("served_on", "应诉通知送达日期", "date"),
        C("judged_on", "判决日期", "date"), C("effective_on", "生效日期", "date"),
        C("enforcement_filed_on", "执行立案日期", "date"),
        C("amount_due", "应执行金额", "money", required=True), C("amount_paid", "已执行金额", "money"),
        C("creditor", "申请执行人"),
    ), key=("case_no",), refs={"debtor_id": "party"}),
)}

#: Reference order: a table is loaded after every table it refers to.
LOAD_ORDER: tuple[str, ...] = ("persons", "companies", "inmates", "relations", "company_roles", "accounts",
                               "balances", "transfers", "assets", "asset_transfers", "cases")
assert set(LOAD_ORDER) == set(TABLES)
