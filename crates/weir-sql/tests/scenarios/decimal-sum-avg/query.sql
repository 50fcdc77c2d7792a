-- SUM / AVG / MIN / MAX over DECIMAL(6, 3), SUM of a DECIMAL * INT product, AVG rounding,
-- result types made visible as STRING; a group of only NULLs sums to NULL.
CREATE TABLE t (g STRING, p DECIMAL(6, 3), q INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT g,
  CAST(SUM(p) AS STRING) AS s,
  CAST(AVG(p) AS STRING) AS a,
  CAST(MIN(p) AS STRING) AS mn,
  CAST(MAX(p) AS STRING) AS mx,
  CAST(SUM(p * q) AS STRING) AS sq,
  CAST(AVG(q) AS STRING) AS aq,
  CAST(SUM(q) / COUNT(q) AS STRING) AS ratio,
  CAST(AVG(CAST(q AS DOUBLE)) AS STRING) AS ad
FROM t
GROUP BY g;
