-- CAST(COLLECT(x) AS STRING) for several element types: Flink writes a MULTISET as its map of
-- element to count, in its java.util.HashMap order (the elements' Java hash codes).
CREATE TABLE t (b BIGINT, d DOUBLE, `dec` DECIMAL(22, 2), bo BOOLEAN, dt DATE, t TIMESTAMP(3), s SMALLINT,
  ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (b STRING, d STRING, `dec` STRING, bo STRING, dt STRING, t STRING, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT CAST(COLLECT(b) AS STRING), CAST(COLLECT(d) AS STRING), CAST(COLLECT(`dec`) AS STRING),
  CAST(COLLECT(bo) AS STRING), CAST(COLLECT(dt) AS STRING), CAST(COLLECT(t) AS STRING), CAST(COLLECT(s) AS STRING)
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end;
