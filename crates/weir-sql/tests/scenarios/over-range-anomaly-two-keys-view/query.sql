-- Anomaly detection: a view filters and normalises readings, an OVER RANGE of 10 s per
-- (host, metric) gives the moving average and count, the outer query keeps spikes
-- (v > 2 * AVG over the window, with at least 3 readings) and labels them with CASE.
CREATE TABLE readings (
  host STRING, metric STRING, v DOUBLE, status STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/readings.jsonl', 'format' = 'json');

CREATE VIEW ok_readings AS
SELECT LOWER(host) AS host, metric, ABS(v) AS v, ts
FROM readings WHERE status IS NULL OR status <> 'bad';

CREATE TABLE `out` (
  host STRING, metric STRING, ts TIMESTAMP(3), v DOUBLE, avg_v DOUBLE, cnt BIGINT, severity STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT host, metric, ts, v, avg_v, cnt,
  CASE WHEN v > 4 * avg_v THEN 'critical' WHEN v > 3 * avg_v THEN 'major' ELSE 'minor' END
FROM (
  SELECT host, metric, ts, v,
    AVG(v) OVER (PARTITION BY host, metric ORDER BY ts
                 RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) AS avg_v,
    COUNT(*) OVER (PARTITION BY host, metric ORDER BY ts
                 RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) AS cnt
  FROM ok_readings)
WHERE v > 2 * avg_v AND cnt >= 3;
