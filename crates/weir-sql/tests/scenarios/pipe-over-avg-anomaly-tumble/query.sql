-- A moving average over the last 4 readings per host (OVER ROWS, event time), readings
-- more than 1.3x their moving average flagged, then flagged readings counted per host in
-- 5 s tumbling windows. Watermark 1 s: the reading at 10:00:02 arriving after 10:00:11 is
-- dropped by the OVER aggregate; the one at 10:00:05.5 is in time.
CREATE TABLE metrics (
  host STRING, cpu DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/metrics.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), host STRING, spikes BIGINT, worst DOUBLE, readings STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW smoothed AS
SELECT host, cpu, ts,
       AVG(cpu) OVER (PARTITION BY host ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS prev_avg
FROM metrics;

CREATE VIEW spikes AS
SELECT * FROM smoothed WHERE cpu > 1.3 * prev_avg;

INSERT INTO `out`
SELECT window_start, host, COUNT(*), MAX(cpu / prev_avg), LISTAGG(CAST(cpu AS STRING), ';')
FROM TABLE(TUMBLE(TABLE spikes, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, host;
