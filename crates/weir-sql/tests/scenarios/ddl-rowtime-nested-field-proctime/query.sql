-- Rowtime computed from a nested JSON field (CAST of meta.event_time), a fractional-second
-- watermark (0.5 s), an unused PROCTIME() column in the DDL, and a HOP window; rows late by
-- less and by more than half a second.
CREATE TABLE ev (
  id INT,
  meta ROW<event_time STRING, src STRING>,
  amount DOUBLE,
  ts AS CAST(meta.event_time AS TIMESTAMP(3)),
  src AS meta.src,
  pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '0.5' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (src STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, total DOUBLE, ids STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT src, window_start, window_end, COUNT(*), SUM(amount), LISTAGG(CAST(id AS STRING), ' ')
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '4' SECOND))
GROUP BY src, window_start, window_end;
