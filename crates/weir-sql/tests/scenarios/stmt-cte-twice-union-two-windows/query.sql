-- WITH a AS (...), b AS (... FROM a ...) where a is used twice: UNION ALL of a 5 s and a 10 s TUMBLE aggregate over the same CTE, plus a filtered re-use; INSERT with a column list, a constant and a column left NULL
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE clicks (usr STRING, url STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');
CREATE TABLE `out` (kind STRING, usr STRING, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT, note STRING, avg_ms INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out` (usr, kind, ws, we, n, avg_ms)
WITH valid AS (
  SELECT usr, LOWER(url) AS url, ms, ts FROM clicks WHERE ms IS NOT NULL AND ms >= 0
), w5 AS (
  SELECT usr, window_start, window_end, COUNT(*) AS n, AVG(ms) AS avg_ms
  FROM TABLE(TUMBLE(TABLE valid, DESCRIPTOR(ts), INTERVAL '5' SECOND))
  GROUP BY usr, window_start, window_end
), w10 AS (
  SELECT usr, window_start, window_end, COUNT(DISTINCT url) AS n, MAX(ms) AS avg_ms
  FROM TABLE(TUMBLE(TABLE valid, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY usr, window_start, window_end
)
SELECT usr, 'w5', window_start, window_end, n, avg_ms FROM w5
UNION ALL
SELECT usr, 'w10-urls', window_start, window_end, n, avg_ms FROM w10
UNION ALL
SELECT usr, 'w5-busy', window_start, window_end, n, avg_ms FROM w5 WHERE n >= 2;
