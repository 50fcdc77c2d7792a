CREATE TABLE events (
  id INT, k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.json', 'format' = 'debezium-json',
        'debezium-json.timestamp-format.standard' = 'ISO-8601');

SELECT window_start, window_end, k, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(SESSION(TABLE events PARTITION BY k, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, k;
