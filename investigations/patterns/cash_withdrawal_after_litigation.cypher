// ---
// {"id": "cash_withdrawal_after_litigation",
//  "title_zh": "诉讼开始后大额取现", "title_en": "Cash withdrawals after litigation began",
//  "description_zh": "诉讼开始当日及以后，被执行人账户在任一 window_days 天内取现合计不少于 min_total；或在被执行人的账户冻结、财产查封扣押措施有效期间（决定日当日起、解除日之前）单笔取现不少于 min_single。",
//  "description_en": "Cash withdrawals from the debtor's accounts on or after litigation start totalling at least min_total within some window of window_days days; or any single cash withdrawal of at least min_single while an account_freeze or asset_seizure of the debtor is in force (from ordered_on, before lifted_on).",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条；永嘉案（财产被查封期间于ATM分三次取现15万元，以拒不执行判决罪判处）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6; the Yongjia conviction (150,000 yuan withdrawn at an ATM in three days while the debtor's house and equipment were seized)",
//  "post": "cash_withdrawal_after_litigation",
//  "kind": "money",
//  "params": [
//   {"name": "min_total", "type": "money", "default": "50000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "窗口内取现最低合计（元）", "description_en": "minimum cash withdrawn within the window (yuan)"},
//   {"name": "window_days", "type": "days", "default": 30, "min": 0, "max": 3660, "unit": "days",
//    "description_zh": "窗口天数", "description_en": "window length in days"},
//   {"name": "min_single", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "冻结/查封期间单笔取现最低金额（元）", "description_en": "minimum single withdrawal while a freeze or seizure is in force (yuan)"}
//  ]}
// ---
// Candidates: the CNY cash withdrawals (self-loops of kind cash_withdrawal on the debtor's own
// accounts) on or after litigation start, with the debtor's freezes and seizures; the windows
// and the in-force test are in the post-processor.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(a)
WHERE t.kind = 'cash_withdrawal' AND t.on >= c.litigation_start AND t.on <= $as_of
  AND coalesce(t.currency, 'CNY') = 'CNY'
WITH d, c, a, t
ORDER BY t.at, t.transfer_id
// one row per case, its withdrawals in `each` (the runner makes them rows): the case and the
// debtor's restrictions travel once, not once per withdrawal
WITH d, c, collect(t {.transfer_id, .amount_fen, .at, .on, from_account: a.account_id, to_account: a.account_id,
                      .channel}) AS each
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       COLLECT {
         MATCH (d)-[:RESTRICTED_BY]->(r:Restriction)
         WHERE r.kind IN ['account_freeze', 'asset_seizure'] AND r.ordered_on <= $as_of
         RETURN r {.restriction_id, .kind, .ordered_on, .lifted_on, .case_no, .target}
         ORDER BY r.ordered_on, r.restriction_id
       } AS restrictions,
       each
ORDER BY subject_id, case.case_no
