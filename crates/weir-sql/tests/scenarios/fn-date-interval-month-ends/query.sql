-- Calendar arithmetic at month ends and leap days: DATE +/- INTERVAL months and years,
-- TIMESTAMPADD of MONTH / QUARTER / WEEK / YEAR by a column amount, TIMESTAMPDIFF in months
-- and days across month ends (negative), and a YEAR TO MONTH interval literal.
CREATE TABLE t (id INT, d DATE, ts TIMESTAMP(0), n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  d + INTERVAL '1' MONTH AS d_p1m,
  d - INTERVAL '1' YEAR AS d_m1y,
  d + INTERVAL '1-1' YEAR TO MONTH AS d_p13m,
  TIMESTAMPADD(MONTH, n, ts) AS ts_pnm,
  TIMESTAMPADD(QUARTER, 1, d) AS d_pq,
  TIMESTAMPADD(WEEK, n, d) AS d_pnw,
  TIMESTAMPADD(YEAR, 1, ts) AS ts_p1y,
  TIMESTAMPDIFF(MONTH, ts, TIMESTAMPADD(MONTH, n, ts)) AS back_months,
  TIMESTAMPDIFF(DAY, CAST(d AS TIMESTAMP), ts) AS days_between,
  TIMESTAMPDIFF(MONTH, CAST(d AS TIMESTAMP), TIMESTAMP '2024-03-01 00:00:00') AS months_to_mar
FROM t;
