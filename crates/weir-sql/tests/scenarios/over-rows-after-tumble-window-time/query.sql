-- A cascade: per-minute totals per sensor (TUMBLE), then a moving average and the change
-- against the previous minute over the last 3 windows (ROWS BETWEEN 2 PRECEDING, ordered by
-- window_time, the rowtime the window aggregate passes on); minutes without data are simply
-- absent; a late row is dropped by the window.
CREATE TABLE temps (sensor STRING, c DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/temps.jsonl', 'format' = 'json');

CREATE VIEW per_minute AS
SELECT sensor, window_start, window_time, AVG(c) AS avg_c, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE temps, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY sensor, window_start, window_end, window_time;

CREATE TABLE `out` (sensor STRING, window_start TIMESTAMP(3), avg_c DOUBLE, n BIGINT,
  moving DOUBLE, windows BIGINT, lo DOUBLE, hi DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT sensor, window_start, avg_c, n,
  AVG(avg_c) OVER w, COUNT(*) OVER w, MIN(avg_c) OVER w, MAX(avg_c) OVER w
FROM per_minute
WINDOW w AS (PARTITION BY sensor ORDER BY window_time ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
