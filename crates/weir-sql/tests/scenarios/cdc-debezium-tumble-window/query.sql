-- A 5 s tumbling window aggregate directly over a Debezium changelog (Flink 2.x accepts
-- updating input for window aggregation): an update retracts from the window of the old
-- row's time and adds to the new one's, a delete retracts, a window can empty.
CREATE TABLE events (
  id INT, k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.json', 'format' = 'debezium-json',
        'debezium-json.timestamp-format.standard' = 'ISO-8601');

SELECT window_start, window_end, k, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, k;
