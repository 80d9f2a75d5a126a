// ---
// {"id": "post_filing_transfer_to_related",
//  "title_zh": "诉讼开始后向关系人转款", "title_en": "Transfers to related persons after litigation began",
//  "description_zh": "诉讼开始（应诉通知送达日，未送达则立案日）当日及以后，被执行人账户向其关系人（配偶、前配偶、父母子女、兄弟姐妹、其他亲属、关联人；企业被执行人为其任职人员及其关系人）名下账户转款，按被执行人、案件、收款人合计不少于 min_total。对诉讼开始前 baseline_days 天内至少 baseline_min_months 个月有付款的收款人（如子女抚养费、父母赡养费），只计每月超过基线（月付款中位数）baseline_factor 倍的部分。",
//  "description_en": "Transfers from the debtor's accounts, on or after litigation start (served_on, else filed_on), to accounts held by persons related to the debtor at the transfer date (for a company debtor: its role holders and their related persons), totalled per debtor, case and recipient; a hit when the total reaches min_total. For a baseline payee (paid in at least baseline_min_months distinct months of the baseline_days before litigation start: child support, help to parents) only what a month carries beyond baseline_factor x its baseline (the median monthly total) counts.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条（诉讼开始后隐藏、转移财产）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6 (hiding or transferring property after litigation began)",
//  "post": "post_filing_transfer_to_related",
//  "pre": "tie_candidates",
//  "kind": "money",
//  "params": [
//   {"name": "min_total", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "每个收款人的最低合计金额（元）", "description_en": "minimum total per recipient (yuan)"},
//   {"name": "baseline_days", "type": "days", "default": 365, "min": 30, "max": 3660, "unit": "days",
//    "description_zh": "基线窗口：诉讼开始前的天数", "description_en": "baseline window: days before litigation start"},
//   {"name": "baseline_min_months", "type": "int", "default": 3, "min": 1, "max": 121, "unit": "months",
//    "description_zh": "基线窗口内至少付款的不同月份数（达到即为基线收款人）", "description_en": "distinct months paid in the baseline window that make a recipient a baseline payee"},
//   {"name": "baseline_factor", "type": "ratio", "default": 1.5, "min": 1, "max": 100, "unit": "",
//    "description_zh": "基线收款人每月超过基线该倍数的部分才计入", "description_en": "for a baseline payee only what a month carries beyond this multiple of its baseline counts"}
//  ]}
// ---
// Candidates: every CNY transfer from an open-case debtor's account to an account held by
// another person, on or after litigation start and not after as_of. Whether the recipient
// is related at the transfer date is decided by the post-processor (investigations.related).
// The debtor's accounts are those of every record of the debtor (SAME_AS, ingest.entities).
// Only recipients in $parties[debtor] are read: the person records Relatedness could tie to
// the debtor on some day (filled in before the read by the pre-step `tie_candidates`); a
// transfer to anyone else can never be kept, so the rows that can hit are the same.
// The same walk reads the baseline window (the baseline_days before litigation start): `base`
// holds per recipient the [yyyymm, fen] of its transfers there (the baseline window of
// docs/detection.md "Baselines", as fan_out_dispersal reads it: CNY, kind transfer, not into the
// debtor's own accounts), so the baselines need no second read.
// A (case, recipient) whose transfers after litigation start total less than min_total can never
// hit (the post-processor keeps a subset of them, and counts at most their sum): dropped here.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
WITH d, c, c.litigation_start AS start, c.litigation_start - duration({days: $baseline_days}) AS b0,
     COLLECT { MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(x:Account) RETURN DISTINCT x } AS own
UNWIND coalesce($parties[coalesce(d.person_id, d.company_id)], []) AS pid
MATCH (h:Person {person_id: pid})-[:HOLDS]->(b:Account)
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b)
WHERE b0 <= t.on <= $as_of
  AND coalesce(t.currency, 'CNY') = 'CNY'
  AND h <> d
WITH d, c, h, own, t, a, b, t.on >= start AS after
WITH d, c, h,
     collect(CASE WHEN after THEN [t, a, b] END) AS tab,
     sum(CASE WHEN after THEN t.amount_fen ELSE 0 END) AS total,
     collect(CASE WHEN NOT after AND coalesce(t.kind, 'transfer') = 'transfer' AND NOT b IN own
                  THEN [t.on.year * 100 + t.on.month, t.amount_fen] END) AS before
WHERE total >= $min_total_fen
WITH d, c, collect([h.person_id, before]) AS base, collect([h, tab]) AS per_h
// one row per case, its transfers in `each` (the runner makes them rows): the case's fields
// travel and are decoded once per case, not once per transfer (issue 11)
CALL (per_h) {
  UNWIND per_h AS x
  WITH x[0] AS h, x[1] AS tab
  UNWIND tab AS y
  WITH h, y[0] AS t, y[1] AS a, y[2] AS b
  ORDER BY t.at, t.transfer_id
  RETURN collect(t {.transfer_id, .amount_fen, .at, .on, from_account: a.account_id, to_account: b.account_id,
                    holder_id: h.person_id, holder_kind: 'person', holder_name: h.name}) AS each
}
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       each, [x IN base WHERE size(x[1]) > 0] AS base
ORDER BY subject_id, case.case_no
