// ---
// {"id": "round_trip",
//  "title_zh": "资金回流", "title_en": "Round trip",
//  "description_zh": "诉讼开始后资金离开被执行人账户，经1至 max_intermediates 个其他账户按时间顺序回到被执行人任一账户，全程不超过 max_days 天，每跳金额为上一跳的 min_ratio 至 max_ratio 倍，首跳不少于 min_amount。交易笔数超过 max_degree 的中间账户不继续追踪（界限，非规格要求）。",
//  "description_en": "A time-ordered path that leaves a debtor's account on or after litigation start and returns to any of the debtor's accounts through 1 to max_intermediates other accounts, all within max_days, each hop between min_ratio and max_ratio of the one before, first hop at least min_amount. Intermediaries with more than max_degree transfers are not followed (a search bound of ours).",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号（虚假交易、虚构债务转移财产）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13 (false transactions to move property)",
//  "post": "round_trip",
//  "kind": "money",
//  "params": [
//   {"name": "max_intermediates", "type": "int", "default": 4, "min": 1, "max": 6, "unit": "",
//    "description_zh": "最多中间账户数", "description_en": "maximum number of intermediary accounts"},
//   {"name": "max_days", "type": "days", "default": 60, "min": 1, "max": 3660, "unit": "days",
//    "description_zh": "首跳至末跳最多天数", "description_en": "maximum days from first to last hop"},
//   {"name": "min_ratio", "type": "ratio", "default": 0.5, "min": 0.1, "max": 1, "unit": "",
//    "description_zh": "每跳金额不低于上一跳的比例", "description_en": "each hop at least this fraction of the one before"},
//   {"name": "max_ratio", "type": "ratio", "default": 1.05, "min": 1, "max": 10, "unit": "",
//    "description_zh": "每跳金额不高于上一跳的比例", "description_en": "each hop at most this multiple of the one before"},
//   {"name": "min_amount", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "首跳最低金额（元）", "description_en": "minimum first hop (yuan)"},
//   {"name": "max_degree", "type": "int", "default": 200, "min": 1, "max": 5000, "unit": "",
//    "description_zh": "中间账户最多交易笔数（超过则不继续追踪）", "description_en": "intermediaries with more transfers than this are not followed"}
//  ]}
// ---
// Anchors: open cases with the debtor's accounts; the bounded subgraph and the time-ordered
// search are in the post-processor (same walk as layered_chain, different end condition).
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)
WITH d, c, collect(a.account_id) AS accounts
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       accounts
ORDER BY subject_id, case.case_no
