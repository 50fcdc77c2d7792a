-- LISTAGG in HOP and CUMULATE windows: Flink cuts a window into slices (the slide, the step),
-- each slice collecting in arrival order, and merges them when the window fires — a HOP window
-- latest slice first, a CUMULATE window earliest first. Rows arrive out of order (watermark
-- 3 s behind); HOP with three and with two slices per window, keyed and not.
CREATE TABLE t (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '3' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (w STRING, k STRING, ws TIMESTAMP(3), we TIMESTAMP(3), ids STRING, n BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'hop6', CAST(NULL AS STRING), window_start, window_end, LISTAGG(CAST(id AS STRING)), COUNT(*)
FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '6' SECOND)) GROUP BY window_start, window_end
UNION ALL
SELECT 'cum6', CAST(NULL AS STRING), window_start, window_end, LISTAGG(CAST(id AS STRING)), COUNT(*)
FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '6' SECOND)) GROUP BY window_start, window_end
UNION ALL
SELECT 'hop3k', k, window_start, window_end, LISTAGG(CAST(id AS STRING), '-'), COUNT(*)
FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '3' SECOND)) GROUP BY k, window_start, window_end;
