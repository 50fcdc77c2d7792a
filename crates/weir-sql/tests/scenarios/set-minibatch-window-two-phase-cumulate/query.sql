-- Mini-batch and two-phase aggregation switched on for a CUMULATE window (5 s steps up to
-- 20 s) per shop: running totals and distinct buyers per step; watermark 2 s, the last row
-- (10:00:03 after 10:00:21) is late.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '5 s';
SET 'table.exec.mini-batch.size' = '100';
SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE';

CREATE TABLE orders (
  shop STRING, uid INT, amt INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), shop STRING, total INT, buyers BIGINT, n BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, shop, SUM(amt), COUNT(DISTINCT uid), COUNT(*)
FROM TABLE(CUMULATE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))
GROUP BY window_start, window_end, shop;
