// ---
// {"id": "sham_divorce",
//  "title_zh": "假离婚转移财产", "title_en": "Sham divorce",
//  "description_zh": "被执行人的婚姻于 d 日终止，d 不早于诉讼开始前 before_days 天；诉讼开始后、且在 d 前后 window_days 天内向前配偶转款（合计不少于 min_total）或转让财产。离婚日期不明的不在此判断。",
//  "description_en": "The debtor's marriage ends on a day d no earlier than litigation start minus before_days; money transfers (total at least min_total) or asset conveyances to the former spouse on or after litigation start and within window_days of d. A marriage whose end date is unknown is not judged here.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号第6条；婚姻家庭编解释（二）第3条（以离婚协议逃避债务）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13, art. 6; Marriage and Family interpretation II art. 3 (divorce agreements made to evade debts)",
//  "post": "sham_divorce",
//  "kind": "money",
//  "params": [
//   {"name": "before_days", "type": "days", "default": 90, "min": 0, "max": 3660, "unit": "days",
//    "description_zh": "离婚日可早于诉讼开始的天数", "description_en": "how many days before litigation start the divorce may be"},
//   {"name": "window_days", "type": "days", "default": 180, "min": 1, "max": 3660, "unit": "days",
//    "description_zh": "离婚日前后的天数", "description_en": "days either side of the divorce day"},
//   {"name": "min_total", "type": "money", "default": "10000", "min": 0, "max": 10000000000, "unit": "yuan",
//    "description_zh": "向前配偶转款最低合计（元）", "description_en": "minimum total of money to the former spouse (yuan)"}
//  ]}
// ---
// The whole definition is here: the ended marriage (spouse with ended = true and a known
// until), then the debtor's CNY transfers to the former spouse's accounts and the debtor's
// conveyances to the former spouse, both on or after litigation start, within window_days
// of the divorce day and not after as_of.
MATCH (d:Person)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[m:RELATED]-(x:Person)
WHERE m.relation = 'spouse' AND m.ended AND m.until IS NOT NULL
  AND m.until >= c.litigation_start - duration({days: $before_days}) AND m.until <= $as_of
WITH d, c, m, x,
     COLLECT {
       MATCH (d)-[:SAME_AS*0..2]-(:Person|Company)-[:HOLDS]->(a:Account)-[t:TRANSFER]->(b:Account)<-[:HOLDS]-(:Person)-[:SAME_AS*0..2]-(x)
       WHERE t.on >= c.litigation_start AND t.on <= $as_of
         AND coalesce(t.currency, 'CNY') = 'CNY'
         AND abs(duration.inDays(m.until, t.on).days) <= $window_days
       RETURN t {.transfer_id, .amount_fen, .at, .on, from_account: a.account_id, to_account: b.account_id}
       ORDER BY t.at, t.transfer_id
     } AS transfers,
     COLLECT {
       MATCH (d)-[:CONVEYED]->(e:AssetTransfer)-[:CONVEYED_TO]->(x), (e)-[:OF_ASSET]->(s:Asset)
       WHERE e.on >= c.litigation_start AND e.on <= $as_of
         AND abs(duration.inDays(m.until, e.on).days) <= $window_days
       RETURN e {.transfer_id, .on, .price_fen, asset_id: s.asset_id, asset_kind: s.kind,
                 appraised_value_fen: s.appraised_value_fen}
       ORDER BY e.on, e.transfer_id
     } AS conveyances
WITH d, c, m, x, transfers, conveyances,
     reduce(s = 0, t IN transfers | s + t.amount_fen) AS money_fen
WHERE money_fen >= $min_total_fen OR size(conveyances) > 0
RETURN d.person_id AS subject_id, 'person' AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       m.until AS divorced_on, m.since AS married_on,
       x.person_id AS counterparty_id, x.name AS counterparty_name,
       transfers, conveyances, money_fen
ORDER BY subject_id, case.case_no
