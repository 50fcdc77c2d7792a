-- CUMULATE windows (step 5 s, max 15 s): each window of a cycle includes the earlier ones.
-- The watermark trails the largest time by 3 s; rows arriving after their windows fired
-- (10:00:04 after 10:00:10, 10:00:12 after 10:00:21) are late. A NULL shop is a group of its
-- own; SUM skips NULL qty and sums negative ones.
CREATE TABLE sales (
  shop STRING, item STRING, qty INT, price DECIMAL(6, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  shop STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), rows_n BIGINT,
  qty INT, revenue DECIMAL(38, 2), max_ts TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT shop, window_start, window_end, COUNT(*), SUM(qty), SUM(qty * price), MAX(ts)
FROM TABLE(CUMULATE(TABLE sales, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))
GROUP BY shop, window_start, window_end;
