-- LISTAGG / FIRST_VALUE / LAST_VALUE with DISTINCT in a tumbling window: each distinct value
-- once, in the order it first arrived.
CREATE TABLE t (g INT, k STRING, s STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT k, LISTAGG(DISTINCT s) AS l, LISTAGG(s) AS a, FIRST_VALUE(DISTINCT s) AS f, LAST_VALUE(DISTINCT s) AS la
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY k, window_start, window_end;
