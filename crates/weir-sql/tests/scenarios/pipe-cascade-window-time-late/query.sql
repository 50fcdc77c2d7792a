-- Cascaded windows: 5 s tumbling sums per sensor, then 15 s tumbling windows over their
-- window_time (max of the per-sensor sums, number of sensor-windows, all-NULL sums).
-- Watermark 2 s: the readings at 10:00:03 (after 10:00:07) and 10:00:02 (after 10:00:14)
-- arrive after their window fired and are dropped.
CREATE TABLE readings (
  sensor STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/readings.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), window_time TIMESTAMP(3),
  sensor_windows BIGINT, best INT, total INT, null_sums BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW five AS
SELECT sensor, window_start AS ws, window_time AS wt, SUM(v) AS s
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY sensor, window_start, window_end, window_time;

INSERT INTO `out`
SELECT window_start, window_end, window_time, COUNT(*), MAX(s), SUM(s),
       COUNT(*) FILTER (WHERE s IS NULL)
FROM TABLE(TUMBLE(TABLE five, DESCRIPTOR(wt), INTERVAL '15' SECOND))
GROUP BY window_start, window_end, window_time;
