// ---
// {"id": "fan_out_dispersal",
//  "title_zh": "分散转出", "title_en": "Fan-out dispersal",
//  "description_zh": "诉讼开始后任一 window_days 天窗口内，被执行人向至少 min_recipients 个关系人以外、且非基线收款人（诉讼开始前 baseline_days 天内至少 baseline_min_months 个月有付款的收款人，如工资、房租、还贷）的不同收款人（按户主计；户主不明的按账户计）转款，每人合计不少于 min_each。",
//  "description_en": "In some window of window_days days after litigation start, the debtor pays at least min_recipients distinct recipients other than related persons and other than baseline payees (paid in at least baseline_min_months distinct months of the baseline_days before litigation start: payroll, rent, loan repayments) (counted by holder; unknown holders by account), each receiving in total at least min_each within the window.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6",
//  "post": "fan_out_dispersal",
//  "kind": "money",
//  "params": [
//   {"name": "window_days", "type": "days", "default": 30, "min": 1, "max": 3660, "unit": "days",
//    "description_zh": "窗口天数", "description_en": "window length in days"},
//   {"name": "min_recipients", "type": "int", "default": 5, "min": 2, "max": 1000, "unit": "",
//    "description_zh": "最少收款人数", "description_en": "minimum number of distinct recipients"},
//   {"name": "min_each", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "每个收款人窗口内最低合计（元）", "description_en": "minimum total per recipient in the window (yuan)"},
//   {"name": "baseline_days", "type": "days", "default": 365, "min": 30, "max": 3660, "unit": "days",
//    "description_zh": "基线窗口：诉讼开始前的天数", "description_en": "baseline window: days before litigation start"},
//   {"name": "baseline_min_months", "type": "int", "default": 3, "min": 1, "max": 121, "unit": "months",
//    "description_zh": "基线窗口内至少付款的不同月份数（达到即为基线收款人）", "description_en": "distinct months paid in the baseline window that make a recipient a baseline payee"}
//  ]}
// ---
// Candidates: CNY transfers from an open-case debtor's accounts to any account not the
// debtor's own, on or after litigation start. Windows and relatedness: post-processor.
// The read returns in full only what can change a result (issue 11; the same leads):
// - a case is a candidate only if at least min_recipients recipients (by holder, else account)
//   received at least min_each in all after litigation start and are not baseline payees, since
//   no window can hold more qualifying recipients than that;
// - `each`: the transfers of those recipients (only they can qualify in a window);
// - `days`: for every other recipient [key, holder_id, baseline payee?, its distinct days]: a
//   recipient below min_each in all never qualifies, but its days are window starts, and a
//   baseline payee is listed on the lead (when it is not related on some day it was paid);
// - `base_monthly`: the baseline payees' monthly totals in the baseline_days before litigation
//   start (the baseline window of docs/detection.md "Baselines": CNY, kind transfer, not into the
//   debtor's own accounts; read here in the same walk, so no
//   second read over every case's window).
// The debtor's own accounts are collected once per case (not tested again for every transfer),
// and each destination account's holders are read once per account, not once per transfer.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
// the day bounds as variables: compared per transfer without reading the case again (db hits halved)
WITH d, c, c.litigation_start AS start, COLLECT { MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(x:Account) RETURN DISTINCT x } AS own
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)
WHERE start <= t.on <= $as_of
  AND coalesce(t.currency, 'CNY') = 'CNY'
  AND NOT b IN own
WITH d, c, own, b, collect([t, a]) AS into_b
OPTIONAL MATCH (h)-[:HOLDS]->(b)
WITH d, c, own, b, h, into_b, coalesce(h.person_id, h.company_id, 'account:' + b.account_id) AS recipient
WITH d, c, own, recipient, coalesce(h.person_id, h.company_id) AS holder_id, collect([b, h, into_b]) AS sent,
     sum(reduce(s = 0, x IN into_b | s + x[0].amount_fen)) AS total
WITH d, c, own, collect({recipient: recipient, holder_id: holder_id, sent: sent, total: total}) AS per_recipient,
     count(CASE WHEN total >= $min_each_fen THEN 1 END) AS big
WHERE big >= $min_recipients
// the baseline payees among this case's recipients (months paid in the baseline window)
CALL (d, c, own, per_recipient) {
  WITH d, own, c.litigation_start - duration({days: $baseline_days}) AS b0, c.litigation_start AS b1
  MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)
  WHERE b0 <= t.on < b1
    AND coalesce(t.currency, 'CNY') = 'CNY' AND coalesce(t.kind, 'transfer') = 'transfer'
    AND NOT b IN own
  WITH b, t.on.year * 100 + t.on.month AS ym, sum(t.amount_fen) AS fen
  WITH b, collect([ym, fen]) AS b_months
  OPTIONAL MATCH (h)-[:HOLDS]->(b)
  WITH coalesce(h.person_id, h.company_id, 'account:' + b.account_id) AS payee, b_months
  WHERE payee IN [r IN per_recipient | r.recipient]
  UNWIND b_months AS m
  WITH payee, m[0] AS ym, sum(m[1]) AS fen
  ORDER BY payee, ym
  WITH payee, collect([ym, fen]) AS monthly
  WHERE size(monthly) >= $baseline_min_months
  RETURN collect(payee) AS base_payees, collect([payee, monthly]) AS base_monthly
}
WITH d, c, per_recipient, base_payees, base_monthly
WHERE size([r IN per_recipient WHERE r.total >= $min_each_fen AND NOT r.recipient IN base_payees]) >= $min_recipients
WITH d, c, base_monthly,
     [r IN per_recipient WHERE r.total >= $min_each_fen AND NOT r.recipient IN base_payees] AS full,
     [r IN per_recipient WHERE r.total < $min_each_fen OR r.recipient IN base_payees |
      [r.recipient, r.holder_id, r.recipient IN base_payees,
       COLLECT { UNWIND r.sent AS bh UNWIND bh[2] AS ta RETURN DISTINCT ta[0].on AS on ORDER BY on }]] AS days
// one row per case, its transfers in `each` (the runner makes them rows): the case's fields
// travel once, not once per transfer
CALL (full) {
  UNWIND full AS r
  UNWIND r.sent AS bh
  UNWIND bh[2] AS ta
  WITH ta[0] AS t, ta[1] AS a, bh[0] AS b, bh[1] AS h
  ORDER BY t.at, t.transfer_id
  RETURN collect(t {.transfer_id, .amount_fen, .at, .on, from_account: a.account_id, to_account: b.account_id,
                    holder_id: coalesce(h.person_id, h.company_id),
                    holder_kind: CASE WHEN h:Person THEN 'person' WHEN h:Company THEN 'company' END,
                    holder_name: coalesce(h.name, head(coalesce(b.stmt_names, [])), t.to_name)}) AS each
}
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       each, days, base_monthly
ORDER BY subject_id, case.case_no
