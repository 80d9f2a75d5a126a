// ---
// {"id": "small_fine_capacity",
//  "title_zh": "罪犯小额罚金刑履行能力", "title_en": "Small fine capacity of inmates",
//  "description_zh": "对有未履行罚金、没收财产、退赔案件的在押罪犯：余额 = as_of 当日或之前最近一次狱内账户余额之和；剩余月数 = 距刑满天数/30.4375 向上取整；预计消费 = 处遇级别月标准 × 剩余月数（未填为普管）；可支配 = 余额 − 预计消费；未履行金额按最早案件优先分配。可支配 ≥ 未履行为可全部履行，0 < 可支配 < 未履行为可部分履行。",
//  "description_en": "For each inmate with open criminal_fine, confiscation or restitution cases at as_of: balance = latest balances row on or before as_of of the prison account(s), summed; months_left = ceil(days to release_on / 30.4375), 0 if passed; projected = monthly standard of the treatment level x months_left (blank level: ordinary); disposable = balance - projected, allocated to the unpaid amounts oldest case first. can_pay_in_full where disposable >= unpaid, can_pay_in_part where 0 < disposable < unpaid.",
//  "legal_basis_zh": "罪犯小额罚金刑监督子模型（北京团河地区人民检察院）；《刑法》第53条（罚金缴纳）",
//  "legal_basis_en": "The small-fine supervision sub-model (Beijing Tuanhe District Procuratorate); Criminal Law art. 53 (payment of fines)",
//  "post": "small_fine_capacity",
//  "kind": "capacity",
//  "params": [
//   {"name": "lenient", "type": "money", "default": "800", "min": 0, "max": 100000, "unit": "yuan/month",
//    "description_zh": "宽管级月消费标准（元）", "description_en": "monthly standard, lenient level (yuan)"},
//   {"name": "ordinary", "type": "money", "default": "600", "min": 0, "max": 100000, "unit": "yuan/month",
//    "description_zh": "普管级月消费标准（元）", "description_en": "monthly standard, ordinary level (yuan)"},
//   {"name": "probation", "type": "money", "default": "400", "min": 0, "max": 100000, "unit": "yuan/month",
//    "description_zh": "考察级月消费标准（元）", "description_en": "monthly standard, probation level (yuan)"},
//   {"name": "strict", "type": "money", "default": "300", "min": 0, "max": 100000, "unit": "yuan/month",
//    "description_zh": "严管级月消费标准（元）", "description_en": "monthly standard, strict level (yuan)"}
//  ]}
// ---
// Per inmate: the open property-penalty cases filed by as_of, and for each prison account the
// latest balance row on or before as_of. The arithmetic (months, standards, allocation) is in
// the post-processor.
MATCH (p:Inmate)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.kind IN ['criminal_fine', 'confiscation', 'restitution'] AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
  AND c.filed_on <= $as_of
WITH p, collect(c {.case_no, .kind, .litigation_start, .filed_on, .judged_on, .effective_on,
                   .enforcement_filed_on, .unpaid_fen, .amount_due_fen}) AS cases
RETURN p.person_id AS subject_id, 'person' AS subject_kind, p.name AS subject_name,
       p.inmate_no AS inmate_no, p.prison AS prison, p.release_on AS release_on,
       p.treatment_level AS treatment_level, cases,
       COLLECT {
         MATCH (p)-[:SAME_AS*0..2]-(:Person)-[:HOLDS]->(a:Account)-[:HAS_BALANCE]->(b:Balance)
         WHERE a.kind = 'prison' AND b.as_of <= $as_of
         WITH a, b ORDER BY b.as_of DESC
         WITH a, head(collect(b)) AS latest
         RETURN {account_id: a.account_id, as_of: latest.as_of, balance_fen: latest.balance_fen}
       } AS balances
ORDER BY subject_id
