CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (window_start TIMESTAMP(3), window_end TIMESTAMP(3), window_time TIMESTAMP(3), n BIGINT, vs STRING, lo INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, window_time, COUNT(*), LISTAGG(k || CAST(v AS STRING), ','), MIN(v)
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, window_time;
