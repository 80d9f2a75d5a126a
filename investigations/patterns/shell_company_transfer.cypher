// ---
// {"id": "shell_company_transfer",
//  "title_zh": "向关联企业转款", "title_en": "Transfers to tied companies",
//  "description_zh": "诉讼开始当日及以后，被执行人账户向关联企业（被执行人或其关系人在转款日任职的企业；股东须持股不低于 min_share_pct，未填持股比例视为满足）账户转款，按企业合计不少于 min_total。",
//  "description_en": "Transfers from the debtor's accounts on or after litigation start to accounts of a tied company (one in which the debtor or a related person holds a role active at the transfer date; shareholders only with share_pct >= min_share_pct, blank counts as meeting it), totalled per debtor, case and company; a hit when the total reaches min_total.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6",
//  "post": "shell_company_transfer",
//  "pre": "tie_candidates",
//  "kind": "money",
//  "params": [
//   {"name": "min_total", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "每个企业的最低合计金额（元）", "description_en": "minimum total per company (yuan)"},
//   {"name": "min_share_pct", "type": "pct", "default": 5, "min": 0, "max": 100, "unit": "%",
//    "description_zh": "股东关联的最低持股比例", "description_en": "minimum shareholding for a shareholder tie"}
//  ]}
// ---
// Candidates: CNY transfers from an open-case debtor's accounts to accounts held by a company
// other than the debtor, on or after litigation start; the tie at the transfer date is decided
// by the post-processor (investigations.related). Only companies in $parties[debtor] are read:
// the company records Relatedness could tie to the debtor on some day (pre-step
// `tie_candidates`); a transfer to any other company can never be kept.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
UNWIND coalesce($parties[coalesce(d.person_id, d.company_id)], []) AS cid
MATCH (h:Company {company_id: cid})-[:HOLDS]->(b:Account)
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b)
WHERE t.on >= c.litigation_start AND t.on <= $as_of
  AND coalesce(t.currency, 'CNY') = 'CNY'
  AND h <> d AND NOT EXISTS { (d)-[:SAME_AS*1..2]-(h) }
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       t.transfer_id AS transfer_id, t.amount_fen AS amount_fen, t.at AS at, t.on AS on,
       a.account_id AS from_account, b.account_id AS to_account,
       h.company_id AS holder_id, 'company' AS holder_kind, h.name AS holder_name
ORDER BY subject_id, case.case_no, at, transfer_id
