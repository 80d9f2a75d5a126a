// ---
// {"id": "post_filing_transfer_to_related",
//  "title_zh": "诉讼开始后向关系人转款", "title_en": "Transfers to related persons after litigation began",
//  "description_zh": "诉讼开始（应诉通知送达日，未送达则立案日）当日及以后，被执行人账户向其关系人（配偶、前配偶、父母子女、兄弟姐妹、其他亲属、关联人；企业被执行人为其任职人员及其关系人）名下账户转款，按被执行人、案件、收款人合计不少于 min_total。",
//  "description_en": "Transfers from the debtor's accounts, on or after litigation start (served_on, else filed_on), to accounts held by persons related to the debtor at the transfer date (for a company debtor: its role holders and their related persons), totalled per debtor, case and recipient; a hit when the total reaches min_total.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条（诉讼开始后隐藏、转移财产）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6 (hiding or transferring property after litigation began)",
//  "post": "post_filing_transfer_to_related",
//  "kind": "money",
//  "params": [
//   {"name": "min_total", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "每个收款人的最低合计金额（元）", "description_en": "minimum total per recipient (yuan)"}
//  ]}
// ---
// Candidates: every CNY transfer from an open-case debtor's account to an account held by
// another person, on or after litigation start and not after as_of. Whether the recipient
// is related at the transfer date is decided by the post-processor (investigations.related).
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE c.unpaid_fen > 0 AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)<-[:HOLDS]-(h:Person)
WHERE t.on >= c.litigation_start AND t.on <= $as_of
  AND coalesce(t.currency, 'CNY') = 'CNY'
  AND h <> d
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       t.transfer_id AS transfer_id, t.amount_fen AS amount_fen, t.at AS at, t.on AS on,
       a.account_id AS from_account, b.account_id AS to_account,
       h.person_id AS holder_id, 'person' AS holder_kind, h.name AS holder_name
ORDER BY subject_id, case.case_no, at, transfer_id
