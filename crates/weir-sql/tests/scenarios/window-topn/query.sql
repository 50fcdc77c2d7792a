-- Window Top-N over a window aggregate: one result per window when it ends.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), page STRING, clicks BIGINT, total_ms INT, rn BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, page, clicks, total_ms, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY clicks DESC, total_ms DESC) AS rn
  FROM (
    SELECT window_start, window_end, page, COUNT(*) AS clicks, SUM(ms) AS total_ms
    FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, page))
WHERE rn <= 2;
