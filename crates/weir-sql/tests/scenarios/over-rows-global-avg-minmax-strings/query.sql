-- OVER without PARTITION BY: ROWS BETWEEN 3 PRECEDING AND CURRENT ROW over the whole stream,
-- AVG of INT (integer average), DOUBLE and DECIMAL, SUM of DECIMAL, MIN/MAX of strings with
-- NULLs, empty strings and unicode; rows on the same rowtime keep arrival order; one late row.
CREATE TABLE m (
  sensor STRING, r INT, d DOUBLE, amt DECIMAL(10, 3), label STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  sensor STRING, ts TIMESTAMP(3), r INT, avg_r INT, avg_d DOUBLE, avg_amt DECIMAL(38, 6),
  sum_amt DECIMAL(38, 3), mn STRING, mx STRING, n BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT sensor, ts, r,
  AVG(r) OVER w, AVG(d) OVER w, AVG(amt) OVER w, SUM(amt) OVER w,
  MIN(label) OVER w, MAX(label) OVER w, COUNT(label) OVER w
FROM m
WINDOW w AS (ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW);
