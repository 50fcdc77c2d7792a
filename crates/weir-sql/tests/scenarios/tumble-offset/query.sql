-- TUMBLE and HOP with an offset: 10 s windows starting at second 2 (…:02 – …:12), and 10 s / 5 s
-- hops shifted by -1 s; window_time is window_end minus 1 ms.
CREATE TABLE ev (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  kind STRING, k STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), wt TIMESTAMP(3), total INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'tumble', k, window_start, window_end, window_time, SUM(v)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '2' SECOND))
GROUP BY k, window_start, window_end, window_time
UNION ALL
SELECT 'hop', k, window_start, window_end, window_time, SUM(v)
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND, INTERVAL '-1' SECOND))
GROUP BY k, window_start, window_end, window_time;
