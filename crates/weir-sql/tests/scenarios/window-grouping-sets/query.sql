-- Window aggregation with GROUPING SETS / ROLLUP: per 10 s window, totals by (shop, item),
-- by shop, and overall, with GROUPING_ID.
CREATE TABLE ev (shop STRING, item STRING, qty INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), shop STRING, item STRING, gid BIGINT, total INT, n BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, shop, item, GROUPING_ID(shop, item), SUM(qty), COUNT(*)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, ROLLUP (shop, item);
