// ---
// {"id": "income_redirection",
//  "title_zh": "收入转入他人或新开账户", "title_en": "Income redirected",
//  "description_zh": "在基线窗口（诉讼开始前 baseline_days 天）内至少 baseline_min_months 个不同月份向被执行人账户付款的付款方（按户主计，户主不明的按账户计），在诉讼开始后（或其原收款账户被冻结后）改向关系人账户付款，或改向诉讼开始后新开的被执行人账户付款，或在原账户被冻结期间改向未被冻结的被执行人账户付款；转移合计不少于 min_total。",
//  "description_en": "A payer (by holder; by account when unknown) that paid into the debtor's accounts in at least baseline_min_months distinct months of the baseline window (baseline_days before litigation start) pays, after litigation start (or after a freeze of the account it used to pay), into an account of a related person, or into a debtor account opened after litigation start, or into a debtor account not frozen while the usual one is; total redirected at least min_total.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条；京口案（养老金账户被冻结后将养老金改发至他人账户，以拒不执行判决罪判处）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6; the Jingkou conviction (the pension paid into another account after the pension account was frozen)",
//  "post": "income_redirection",
//  "kind": "money",
//  "params": [
//   {"name": "min_total", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "转移收入最低合计（元）", "description_en": "minimum total redirected (yuan)"},
//   {"name": "baseline_min_months", "type": "int", "default": 3, "min": 1, "max": 121, "unit": "months",
//    "description_zh": "基线窗口内至少付款的不同月份数", "description_en": "distinct months paid in the baseline window"},
//   {"name": "baseline_days", "type": "days", "default": 365, "min": 30, "max": 3660, "unit": "days",
//    "description_zh": "基线窗口：诉讼开始前的天数", "description_en": "baseline window: days before litigation start"}
//  ]}
// ---
// Per open case: the regular payers of the baseline window (by holder; unknown holder: by
// account) with the debtor accounts they used (the usual accounts); then each payer's CNY
// transfers on or after litigation start to any account other than the usual ones that is held
// by the debtor or by a person with a relation (or, for a company debtor, a role) near the debtor.
// Relatedness on the day, new accounts and freezes are judged by the post-processor.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
CALL (d, c) {
  MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)<-[t:TRANSFER]-(s:Account)
  WHERE t.on >= c.litigation_start - duration({days: $baseline_days}) AND t.on < c.litigation_start
    AND coalesce(t.currency, 'CNY') = 'CNY' AND coalesce(t.kind, 'transfer') = 'transfer'
    AND NOT EXISTS { (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(s) }
  OPTIONAL MATCH (p)-[:HOLDS]->(s)
  WITH coalesce(p.person_id, p.company_id, 'account:' + s.account_id) AS payer, p, s, a, t
  WITH payer, collect(DISTINCT t.on.year * 100 + t.on.month) AS months, collect(DISTINCT a.account_id) AS usual,
       collect(DISTINCT s.account_id) AS seen_from, head(collect(p)) AS p, sum(t.amount_fen) AS base_fen
  WHERE size(months) >= $baseline_min_months
  RETURN payer, months, usual, seen_from, p, base_fen
}
CALL (d, c, p, seen_from, usual) {
  CALL (p, seen_from) {
    UNWIND seen_from AS sid
    MATCH (s:Account {account_id: sid})
    RETURN s
    UNION
    MATCH (p)-[:HOLDS]->(s:Account)
    RETURN s
  }
  MATCH (s)-[t:TRANSFER]->(b:Account)
  WHERE t.on >= c.litigation_start AND t.on <= $as_of AND s <> b
    AND coalesce(t.currency, 'CNY') = 'CNY' AND coalesce(t.kind, 'transfer') = 'transfer'
    AND NOT b.account_id IN usual
  OPTIONAL MATCH (h)-[:HOLDS]->(b)
  WITH t, s, b, h
  WHERE h = d OR EXISTS { (d)-[:SAME_AS*1..2]-(h) } OR (h:Person AND (EXISTS { (h)-[:RELATED]-(d) } OR EXISTS { (h)-[:ROLE]->(d) }
                   OR EXISTS { (h)-[:RELATED]-(:Person)-[:ROLE]->(d) }))
  RETURN collect(t {.transfer_id, .amount_fen, .at, .on, from_account: s.account_id, to_account: b.account_id,
                    holder_id: coalesce(h.person_id, h.company_id), holder_name: h.name,
                    own: h = d OR EXISTS { (d)-[:SAME_AS*1..2]-(h) }, opened_on: b.opened_on,
                    paid_before: EXISTS { MATCH (s)-[t0:TRANSFER]->(b)
                                          WHERE t0.on < c.litigation_start
                                            AND t0.on >= c.litigation_start - duration({days: $baseline_days}) }
                   }) AS moved
}
WITH d, c, payer, months, usual, p, base_fen, moved
WHERE size(moved) > 0
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       payer, p.name AS payer_name, months, usual, base_fen, moved,
       COLLECT {
         MATCH (d)-[:RESTRICTED_BY]->(r:Restriction {kind: 'account_freeze'})
         WHERE r.ordered_on <= $as_of
         RETURN r {.restriction_id, .ordered_on, .lifted_on, .target}
         ORDER BY r.ordered_on
       } AS freezes
ORDER BY subject_id, case.case_no, payer
