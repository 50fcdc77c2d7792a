-- COLLECT of strings per window: CAST to STRING in Flink's HashMap order, and a MULTISET<STRING>
-- column of a json sink written as an object of element to count.
CREATE TABLE t (g INT, v STRING, n INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (g INT, s STRING, ns STRING, m MULTISET<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT g, CAST(COLLECT(v) AS STRING), CAST(COLLECT(n) AS STRING), COLLECT(v)
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY g, window_start, window_end;
