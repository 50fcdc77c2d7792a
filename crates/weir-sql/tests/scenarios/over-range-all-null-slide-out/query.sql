-- OVER RANGE BETWEEN INTERVAL '3' SECOND PRECEDING: a partition whose values are all NULL
-- (SUM/AVG/MIN/MAX/FIRST_VALUE/LAST_VALUE are NULL, COUNT(v) 0, COUNT(*) counts) and one whose
-- non-NULL values slide out of the window so the aggregates go back to NULL; DECIMAL AVG and
-- DOUBLE SUM; COALESCE on the result.
CREATE TABLE r (k STRING, d DECIMAL(9, 4), f DOUBLE, s STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/r.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, ts TIMESTAMP(3), n BIGINT, nd BIGINT, avg_d DECIMAL(38, 6),
  sum_f DOUBLE, mn STRING, mx STRING, fv STRING, lv STRING, label STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, ts, n, nd, avg_d, sum_f, mn, mx, fv, lv, COALESCE(mx, '<none>') FROM (
  SELECT k, ts,
    COUNT(*) OVER w AS n, COUNT(d) OVER w AS nd, AVG(d) OVER w AS avg_d, SUM(f) OVER w AS sum_f,
    MIN(s) OVER w AS mn, MAX(s) OVER w AS mx, FIRST_VALUE(s) OVER w AS fv, LAST_VALUE(s) OVER w AS lv
  FROM r
  WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW));
