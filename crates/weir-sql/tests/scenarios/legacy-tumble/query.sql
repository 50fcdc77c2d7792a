-- Legacy group window GROUP BY TUMBLE(...) with TUMBLE_START, TUMBLE_END and TUMBLE_ROWTIME
-- in SELECT, a HAVING clause and a qualified time attribute; late rows dropped.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  `user` STRING, wstart TIMESTAMP(3), wend TIMESTAMP(3), wrowtime TIMESTAMP(3),
  clicks BIGINT, pages BIGINT, total_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT c.`user`,
  TUMBLE_START(c.ts, INTERVAL '10' SECOND),
  TUMBLE_END(ts, INTERVAL '10' SECOND),
  TUMBLE_ROWTIME(c.ts, INTERVAL '10' SECOND),
  COUNT(*), COUNT(DISTINCT page), SUM(ms)
FROM clicks AS c
GROUP BY TUMBLE(c.ts, INTERVAL '10' SECOND), c.`user`
HAVING SUM(ms) > 2;
