-- Several OVER aggregates sharing one named window (PARTITION BY sym ORDER BY ts, RANGE 5 s
-- PRECEDING): rows at equal times are peers; the late row (00:00:02 after 00:00:12) is
-- dropped. (Flink refuses aggregates over different windows in one SELECT.)
CREATE TABLE trades (
  sym STRING, px DOUBLE, vol INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/trades.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  sym STRING, ts TIMESTAMP(3), px DOUBLE, n BIGINT, vol_sum INT, px_min DOUBLE, px_max DOUBLE,
  px_avg DOUBLE, vol_cnt BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT sym, ts, px,
  COUNT(*) OVER w, SUM(vol) OVER w, MIN(px) OVER w, MAX(px) OVER w, AVG(px) OVER w, COUNT(vol) OVER w
FROM trades
WINDOW w AS (PARTITION BY sym ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW);
