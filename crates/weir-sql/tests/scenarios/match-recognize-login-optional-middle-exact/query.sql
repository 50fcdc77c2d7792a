-- Logins: exactly two failures, an optional reset in the middle (B? then C), then success; default AFTER MATCH (TO NEXT ROW) gives overlapping matches; NULL status rows, CASE and COUNT of the optional variable in MEASURES
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE logins (user_id INT, status STRING, ip STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/logins.jsonl', 'format' = 'json');
CREATE TABLE `out` (user_id INT, first_fail TIMESTAMP(3), last_fail TIMESTAMP(3), reset_t TIMESTAMP(3), ok_t TIMESTAMP(3),
  route STRING, n_reset BIGINT, ips STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM logins MATCH_RECOGNIZE (
  PARTITION BY user_id ORDER BY ts
  MEASURES FIRST(F.ts) AS first_fail, LAST(F.ts) AS last_fail, R.ts AS reset_t, OK.ts AS ok_t,
    CASE WHEN R.ts IS NULL THEN 'direct' ELSE 'via-reset' END AS route, COUNT(R.ts) AS n_reset,
    CONCAT(FIRST(F.ip), '>', OK.ip) AS ips
  PATTERN (F{2} R? OK)
  DEFINE F AS F.status = 'fail', R AS R.status = 'reset', OK AS OK.status = 'ok'
) MR;
