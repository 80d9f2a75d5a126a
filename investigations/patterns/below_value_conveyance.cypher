// ---
// {"id": "below_value_conveyance",
//  "title_zh": "明显低价转让财产", "title_en": "Conveyance below value",
//  "description_zh": "诉讼开始当日及以后，被执行人以低于评估价值 ratio 倍的对价（未填对价视为0，即无偿）转让财产；列出受让人及其与被执行人的关系。无评估价值的财产不在此判断。",
//  "description_en": "An asset conveyed by the debtor on or after litigation start for a price (blank = 0, a gift) below ratio x its appraised value; the recipient and its relation to the debtor are shown. An asset without an appraisal is not judged here.",
//  "legal_basis_zh": "《刑法》第313条；全国人大常委会2002年解释（无偿转让、以明显不合理的低价转让）；合同法解释（二）第19条（低于市场价70%）",
//  "legal_basis_en": "Criminal Law art. 313; NPCSC 2002 interpretation (giving away or conveying at an obviously unreasonable low price); Contract Law interpretation II art. 19 (below 70% of market price)",
//  "post": "conveyance",
//  "kind": "asset",
//  "params": [
//   {"name": "ratio", "type": "ratio", "default": 0.7, "min": 0, "max": 1, "unit": "",
//    "description_zh": "对价低于评估价值的比例", "description_en": "price below this fraction of the appraised value"}
//  ]}
// ---
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (d)-[:CONVEYED]->(x:AssetTransfer)-[:OF_ASSET]->(s:Asset)
MATCH (x)-[:CONVEYED_TO]->(r)
WHERE x.on >= c.litigation_start AND x.on <= $as_of
  AND s.appraised_value_fen IS NOT NULL AND s.appraised_value_fen > 0
  AND toFloat(coalesce(x.price_fen, 0)) < $ratio * s.appraised_value_fen
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       x.transfer_id AS asset_transfer_id, x.on AS on, coalesce(x.price_fen, 0) AS price_fen,
       coalesce(x.price_given, false) AS price_given,
       s.asset_id AS asset_id, s.kind AS asset_kind, s.description AS asset_description,
       s.appraised_value_fen AS appraised_value_fen, s.appraised_on AS appraised_on,
       coalesce(r.person_id, r.company_id) AS counterparty_id,
       CASE WHEN r:Person THEN 'person' ELSE 'company' END AS counterparty_kind, r.name AS counterparty_name,
       s.appraised_value_fen - coalesce(x.price_fen, 0) AS amount_fen
ORDER BY subject_id, case.case_no, on, asset_transfer_id
