-- MATCH_ROWTIME() of spikes (a value at least double the average of the 2 rows before), filtered on a measure, then a HOP window counting spikes per sensor; a late row dropped by the 2 s watermark
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE readings (sensor STRING, v DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/readings.jsonl', 'format' = 'json');
CREATE TABLE `out` (sensor STRING, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT, max_ratio DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW spikes AS
SELECT * FROM readings MATCH_RECOGNIZE (
  PARTITION BY sensor ORDER BY ts
  MEASURES SP.v / AVG(N.v) AS ratio, SP.v AS peak, MATCH_ROWTIME() AS mt
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (N{2} SP)
  DEFINE N AS N.v > 0, SP AS SP.v >= 2 * AVG(N.v)
) MR;

INSERT INTO `out`
SELECT sensor, window_start, window_end, COUNT(*) AS n, MAX(ratio) AS max_ratio
FROM TABLE(HOP(TABLE spikes, DESCRIPTOR(mt), INTERVAL '10' SECOND, INTERVAL '20' SECOND))
WHERE peak < 1000
GROUP BY sensor, window_start, window_end;
