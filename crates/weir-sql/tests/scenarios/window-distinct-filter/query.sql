-- Window aggregation with COUNT(DISTINCT), FILTER clauses and HAVING on a HOP window.
CREATE TABLE ev (u STRING, page STRING, ok BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), users BIGINT, pages BIGINT, ok_hits BIGINT,
  ok_users BIGINT, hits BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, COUNT(DISTINCT u), COUNT(DISTINCT page),
       COUNT(*) FILTER (WHERE ok), COUNT(DISTINCT u) FILTER (WHERE ok), COUNT(*)
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '20' SECOND))
GROUP BY window_start, window_end
HAVING COUNT(*) > 1;
