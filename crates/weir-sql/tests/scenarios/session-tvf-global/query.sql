-- Sessions over all users (no PARTITION BY, 2 s gap): one global sequence of sessions,
-- merged across users, with late rows dropped.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  clicks BIGINT, users BIGINT, pages BIGINT, total_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, COUNT(*), COUNT(DISTINCT `user`), COUNT(DISTINCT page), SUM(ms)
FROM TABLE(SESSION(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' SECOND))
GROUP BY window_start, window_end;
