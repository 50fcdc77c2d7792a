-- SUM and AVG over an OVER window keep the argument's type, as group aggregates do: TINYINT and
-- INT sums wrap at their width, a FLOAT sum stays FLOAT, a DECIMAL(5, 2) sum is DECIMAL(38, 2);
-- AVG of an INT is an INT (truncated); the result types made visible as STRING.
CREATE TABLE t (
  g STRING, ti TINYINT, i INT, k INT, f FLOAT, d DECIMAL(5, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  g STRING, ts TIMESTAMP(3), sum_ti STRING, sum_i STRING, sum_f STRING, sum_d STRING, avg_k STRING, avg_f STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT g, ts,
  CAST(SUM(ti) OVER w AS STRING),
  CAST(SUM(i) OVER w AS STRING),
  CAST(SUM(f) OVER w AS STRING),
  CAST(SUM(d) OVER w AS STRING),
  CAST(AVG(k) OVER w AS STRING),
  CAST(AVG(f) OVER w AS STRING)
FROM t
WINDOW w AS (PARTITION BY g ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
