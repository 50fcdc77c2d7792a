-- Aggregate result types made visible as STRING: SUM of TINYINT / SMALLINT (overflowing their
-- type?), SUM of an INT that overflows, AVG of SMALLINT and INT (integer), SUM / AVG of
-- DECIMAL(5, 2), SUM / AVG of FLOAT; MIN / MAX of TIME, strings with empty and non-ASCII
-- values, timestamps; COUNT(DISTINCT) of a DECIMAL; a group of only NULLs.
CREATE TABLE t (g STRING, ti TINYINT, si SMALLINT, i INT, `dec` DECIMAL(5, 2), f FLOAT, tm TIME(0), s STRING, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT g,
  CAST(SUM(ti) AS STRING) AS sum_ti,
  CAST(SUM(si) AS STRING) AS sum_si,
  CAST(SUM(i) AS STRING) AS sum_i,
  CAST(AVG(si) AS STRING) AS avg_si,
  CAST(AVG(i) AS STRING) AS avg_i,
  CAST(SUM(`dec`) AS STRING) AS sum_dec,
  CAST(AVG(`dec`) AS STRING) AS avg_dec,
  CAST(SUM(f) AS STRING) AS sum_f,
  CAST(AVG(f) AS STRING) AS avg_f,
  CAST(MIN(tm) AS STRING) AS min_tm,
  CAST(MAX(tm) AS STRING) AS max_tm,
  MIN(s) AS min_s,
  MAX(s) AS max_s,
  CAST(MIN(ts) AS STRING) AS min_ts,
  COUNT(DISTINCT `dec`) AS nd_dec,
  COUNT(*) AS n,
  COUNT(i) AS n_i
FROM t
GROUP BY g;
