CREATE TABLE events (
  id INT, k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.json', 'format' = 'debezium-json',
        'debezium-json.timestamp-format.standard' = 'ISO-8601');

SELECT k, TUMBLE_START(ts, INTERVAL '10' SECOND) AS ws, COUNT(*) AS n, SUM(v) AS s
FROM events GROUP BY k, TUMBLE(ts, INTERVAL '10' SECOND);
