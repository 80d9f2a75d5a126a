// ---
// {"id": "sham_encumbrance",
//  "title_zh": "虚设抵押质押", "title_en": "Sham mortgage or pledge",
//  "description_zh": "被执行人的财产设立抵押或质押，登记日不早于诉讼开始前 lookback_days 天：权利人为关系方（关系人或关联企业）；或权利人为无关方、担保金额不低于评估价值的 ratio 倍，且登记日前后 match_days 天内该权利人没有资金进入被执行人账户。登记于诉讼开始前的为 before_litigation 阶段，评分较低：此时仅凭该行为不足以构成第313条之罪。",
//  "description_en": "An asset of the debtor mortgaged or pledged, registered on or after litigation start minus lookback_days, to a related party (related person or tied company); or to an unrelated party for at least ratio x the appraised value when no money from that party reached the debtor's accounts within match_days of registration. Registered before litigation start: stage before_litigation, scored lower, since art. 313 needs more than the act itself there.",
//  "legal_basis_zh": "《刑法》第313条；法释〔2024〕13号（虚构债务、设定虚假抵押转移财产）；(2018)浙08刑终33号（向朋友虚设300万元抵押，实际债务约30万元）",
//  "legal_basis_en": "Criminal Law art. 313; SPC/SPP interpretation 2024 No. 13 (fictitious debts and false security interests to move property); (2018) Zhe 08 Xing Zhong No. 33 (a 3,000,000-yuan mortgage to a friend for a real debt of about 300,000)",
//  "post": "sham_encumbrance",
//  "kind": "asset",
//  "params": [
//   {"name": "lookback_days", "type": "days", "default": 180, "min": 0, "max": 3660, "unit": "days",
//    "description_zh": "登记日可早于诉讼开始的天数", "description_en": "how many days before litigation start the registration may be"},
//   {"name": "ratio", "type": "ratio", "default": 0.5, "min": 0, "max": 100, "unit": "",
//    "description_zh": "无关方：担保金额不低于评估价值的比例", "description_en": "unrelated holder: secured amount at least this fraction of the appraised value"},
//   {"name": "match_days", "type": "days", "default": 30, "min": 0, "max": 3660, "unit": "days",
//    "description_zh": "登记日前后查找权利人来款的天数", "description_en": "days either side of registration searched for money from the holder"},
//   {"name": "min_share_pct", "type": "pct", "default": 5, "min": 0, "max": 100, "unit": "%",
//    "description_zh": "股东关联的最低持股比例", "description_en": "minimum shareholding for a shareholder tie"}
//  ]}
// ---
// Candidates: encumbrances registered in [litigation start - lookback_days, as_of] on assets the
// debtor owned on the registration day (the original owner with no conveyance away before it,
// or the last party it was conveyed to by then), with the holder and the money that reached the
// debtor's accounts from the holder's accounts within match_days of registration. Relatedness
// at the registration day and the ratio test are in the post-processor.
MATCH (d)-[:DEBTOR_IN]->(c:Case)
WHERE (c.unpaid_fen > 0 OR size(coalesce(c.paid_history, [])) > 1) AND c.litigation_start <= $as_of AND ($subject_id IS NULL OR c.debtor_id = $subject_id)
MATCH (e:Encumbrance)-[:ENCUMBERS]->(s:Asset), (e)-[:HELD_BY]->(h)
WHERE e.registered_on >= c.litigation_start - duration({days: $lookback_days}) AND e.registered_on <= $as_of
  AND h <> d
  AND coalesce(
        head(COLLECT { MATCH (s)<-[:OF_ASSET]-(x:AssetTransfer) WHERE x.on <= e.registered_on
                       RETURN x.to_id ORDER BY x.on DESC, x.transfer_id DESC }),
        s.owner_id) = coalesce(d.person_id, d.company_id)
RETURN coalesce(d.person_id, d.company_id) AS subject_id,
       CASE WHEN d:Person THEN 'person' ELSE 'company' END AS subject_kind, d.name AS subject_name,
       c {.case_no, .kind, .litigation_start, .effective_on, .enforcement_filed_on, .unpaid_fen} AS case,
       e.encumbrance_id AS encumbrance_id, e.kind AS encumbrance_kind, e.registered_on AS on,
       e.amount_fen AS secured_fen, e.released_on AS released_on,
       s.asset_id AS asset_id, s.kind AS asset_kind, s.description AS asset_description,
       s.appraised_value_fen AS appraised_value_fen,
       coalesce(h.person_id, h.company_id) AS counterparty_id,
       CASE WHEN h:Person THEN 'person' ELSE 'company' END AS counterparty_kind, h.name AS counterparty_name,
       COLLECT {
         MATCH (h)-[:HOLDS]->(ha:Account)-[t:TRANSFER]->(da:Account)<-[:HOLDS]-(:Person|Company)-[:SAME_AS*0..2]-(d)
         WHERE ha <> da AND abs(duration.inDays(e.registered_on, t.on).days) <= $match_days
           AND coalesce(t.kind, 'transfer') = 'transfer'
         RETURN t {.transfer_id, .amount_fen, .on, .at, from_account: ha.account_id, to_account: da.account_id}
         ORDER BY t.on, t.transfer_id
       } AS holder_money
ORDER BY subject_id, case.case_no, on, encumbrance_id
