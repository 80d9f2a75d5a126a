// ---
// {"id": "restricted_consumption",
//  "title_zh": "违反限制消费令", "title_en": "Spending under a consumption ban",
//  "description_zh": "限制消费令有效期间（决定日当日起、解除日之前），被执行人（企业被执行人还包括其法定代表人）向限制类别商户付款：乘坐飞机、列车软卧与高铁一等座以上、星级宾馆与度假村、高尔夫与会所、夜总会与KTV、奢侈品、旅行社、购买不动产。类别由商户名称、收款户名和摘要按可配置的关键词表判断；合计不少于 min_total。",
//  "description_en": "The debtor's payments (for a company debtor also its legal representative's) while a consumption_ban is in force (on or after ordered_on, before lifted_on) to merchants of a restricted category: air travel, first/business-class rail, hotels and resorts, golf and clubs, nightclubs and KTV, luxury goods, travel agencies, real-estate purchase. The category comes from the merchant, the counterparty name and the memo through keyword lists that are configuration; at least min_total in all.",
//  "legal_basis_zh": "《最高人民法院关于限制被执行人高消费及有关消费的若干规定》（2015）第3条；法释〔2024〕13号（违反限制消费令，情节严重的拒不执行）",
//  "legal_basis_en": "SPC provisions on restricting high consumption of judgment debtors (2015), art. 3; SPC/SPP interpretation 2024 No. 13 (breaking a consumption ban as refusal to execute)",
//  "post": "restricted_consumption",
//  "kind": "money",
//  "params": [
//   {"name": "min_total", "type": "money", "default": "0", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "限制消费期间此类付款最低合计（元）", "description_en": "minimum total of such payments under the ban (yuan)"}
//  ]}
// ---
// Candidates: per consumption ban of an open-case debtor, the CNY payments (not cash) from the
// debtor's accounts (a company debtor: also from its legal representative's, role active on the
// day) made while the ban was in force, with every name the statement gives the payee. The
// category keywords (configuration) are matched by the post-processor.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[:RESTRICTED_BY]->(r:Restriction {kind: 'consumption_ban'})
WHERE r.ordered_on <= $as_of AND (r.case_no IS NULL OR r.case_no = c.case_no
      OR NOT EXISTS { MATCH (d)-[:DEBTOR_IN]->(k:Case {case_no: r.case_no}) WHERE k.unpaid_fen > 0 OR size(coalesce(k.paid_history, [])) > 1 })
CALL (d, r) {
  MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)
  WHERE a <> b AND t.on >= r.ordered_on AND (r.lifted_on IS NULL OR t.on < r.lifted_on) AND t.on <= $as_of
    AND coalesce(t.kind, 'transfer') = 'transfer' AND coalesce(t.currency, 'CNY') = 'CNY'
  RETURN t, a, b, null AS payer_id, 'debtor' AS payer_role
  UNION
  MATCH (d:Company)<-[ro:ROLE {role: 'legal_rep'}]-(lr:Person)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)
  WHERE a <> b AND t.on >= r.ordered_on AND (r.lifted_on IS NULL OR t.on < r.lifted_on) AND t.on <= $as_of
    AND (ro.since IS NULL OR ro.since <= t.on) AND (ro.until IS NULL OR t.on <= ro.until)
    AND coalesce(t.kind, 'transfer') = 'transfer' AND coalesce(t.currency, 'CNY') = 'CNY'
  RETURN t, a, b, lr.person_id AS payer_id, 'legal_rep' AS payer_role
}
OPTIONAL MATCH (h)-[:HOLDS]->(b)
WITH d, c, r, t, a, b, h, payer_id, payer_role
ORDER BY t.at, t.transfer_id
// one row per case and ban, its payments in `each` (the runner makes them rows)
WITH d, c, r, collect(t {.transfer_id, .amount_fen, .at, .on, from_account: a.account_id, to_account: b.account_id,
                         payer_id: payer_id, payer_role: payer_role, .merchant, .memo, .to_name,
                         holder_id: coalesce(h.person_id, h.company_id), holder_name: h.name,
                         stmt_names: coalesce(b.stmt_names, [])}) AS each
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       r {.restriction_id, .ordered_on, .lifted_on, .case_no} AS ban,
       each
ORDER BY subject_id, case.case_no, ban.restriction_id
