// ---
// {"id": "above_value_purchase",
//  "title_zh": "明显高价受让财产", "title_en": "Purchase above value",
//  "description_zh": "诉讼开始当日及以后，被执行人以高于评估价值 ratio 倍的对价受让财产；列出出让人及其与被执行人的关系。无评估价值的财产不在此判断。",
//  "description_en": "An asset conveyed to the debtor on or after litigation start for a price above ratio x its appraised value; the seller and its relation to the debtor are shown. An asset without an appraisal is not judged here.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号（以明显不合理的高价受让他人财产）；合同法解释（二）第19条（高于市场价30%）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13 (buying at an unreasonably high price); Contract Law interpretation II art. 19 (more than 30% above market price)",
//  "post": "conveyance",
//  "kind": "asset",
//  "params": [
//   {"name": "ratio", "type": "ratio", "default": 1.3, "min": 1, "max": 100, "unit": "",
//    "description_zh": "对价高于评估价值的比例", "description_en": "price above this multiple of the appraised value"}
//  ]}
// ---
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (r)-[:CONVEYED]->(x:AssetTransfer)-[:CONVEYED_TO]->(d)
MATCH (x)-[:OF_ASSET]->(s:Asset)
WHERE x.on >= c.litigation_start AND x.on <= $as_of
  AND s.appraised_value_fen IS NOT NULL AND s.appraised_value_fen > 0
  AND toFloat(coalesce(x.price_fen, 0)) > $ratio * s.appraised_value_fen
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       x.transfer_id AS asset_transfer_id, x.on AS on, coalesce(x.price_fen, 0) AS price_fen,
       coalesce(x.price_given, false) AS price_given,
       s.asset_id AS asset_id, s.kind AS asset_kind, s.description AS asset_description,
       s.appraised_value_fen AS appraised_value_fen, s.appraised_on AS appraised_on,
       coalesce(r.person_id, r.company_id) AS counterparty_id,
       CASE WHEN r:Person THEN 'person' ELSE 'company' END AS counterparty_kind, r.name AS counterparty_name,
       coalesce(x.price_fen, 0) - s.appraised_value_fen AS amount_fen
ORDER BY subject_id, case.case_no, on, asset_transfer_id
