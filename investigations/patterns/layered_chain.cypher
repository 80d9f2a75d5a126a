// ---
// {"id": "layered_chain",
//  "title_zh": "多层转账链", "title_en": "Layered chain",
//  "description_zh": "诉讼开始后从被执行人账户出发、按时间顺序经过1至 max_intermediates 个无关方（含户主不明）账户、最终到达关系方（关系人或关联企业）账户的转账链；每一跳距上一跳不超过 max_gap_days 天，金额为上一跳的 min_ratio 至 max_ratio 倍；首跳不少于 min_amount；交易笔数超过 max_degree 的中间账户（支付平台、发薪单位）不继续追踪。",
//  "description_en": "A time-ordered path that starts at a debtor's account on or after litigation start, passes 1 to max_intermediates accounts held by unrelated parties (unknown holders included) and ends at an account of a related party (related person or tied company); each hop within max_gap_days of the one before and between min_ratio and max_ratio of its amount; intermediary accounts with more than max_degree transfers in all are not followed; first hop at least min_amount.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条（通过他人账户转移财产）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6 (transferring property through others' accounts)",
//  "post": "layered_chain",
//  "kind": "money",
//  "params": [
//   {"name": "max_intermediates", "type": "int", "default": 4, "min": 1, "max": 6, "unit": "",
//    "description_zh": "最多中间账户数", "description_en": "maximum number of intermediary accounts"},
//   {"name": "max_gap_days", "type": "days", "default": 7, "min": 0, "max": 366, "unit": "days",
//    "description_zh": "相邻两跳最大间隔天数", "description_en": "maximum days between consecutive hops"},
//   {"name": "min_ratio", "type": "ratio", "default": 0.5, "min": 0.1, "max": 1, "unit": "",
//    "description_zh": "每跳金额不低于上一跳的比例", "description_en": "each hop at least this fraction of the one before"},
//   {"name": "max_ratio", "type": "ratio", "default": 1.05, "min": 1, "max": 10, "unit": "",
//    "description_zh": "每跳金额不高于上一跳的比例", "description_en": "each hop at most this multiple of the one before"},
//   {"name": "max_degree", "type": "int", "default": 200, "min": 1, "max": 5000, "unit": "",
//    "description_zh": "中间账户最多交易笔数（超过则不继续追踪）", "description_en": "intermediaries with more transfers than this are not followed"},
//   {"name": "min_amount", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "首跳最低金额（元）", "description_en": "minimum first hop (yuan)"},
//   {"name": "min_share_pct", "type": "pct", "default": 5, "min": 0, "max": 100, "unit": "%",
//    "description_zh": "股东关联的最低持股比例", "description_en": "minimum shareholding for a shareholder tie"}
//  ]}
// ---
// Anchors: open cases with the debtor's accounts. The post-processor pulls, per debtor, the
// bounded subgraph of outgoing CNY transfers (graph.export.transfer_subgraph: max_intermediates+1
// hops from the debtor's accounts, from the earliest litigation start to as_of, busy accounts
// not expanded) and runs the time-ordered, ratio- and gap-bounded depth-first search in Python.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)
WITH d, c, collect(a.account_id) AS accounts
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       accounts
ORDER BY subject_id, case.case_no
