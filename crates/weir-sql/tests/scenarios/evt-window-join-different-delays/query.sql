-- Two sources with different watermark delays (orders 1 s, payments 10 s), aggregated per
-- customer in 10 s tumbling windows and joined window by window (FULL OUTER window join).
-- Order 8 (10:00:05 after 10:00:21) is late for the orders window; the payments that arrive
-- out of order are within their 10 s delay.
CREATE TABLE orders (
  oid INT, cust STRING, total INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE payments (
  cust STRING, paid INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/payments.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  ws TIMESTAMP(3), cust STRING, ordered INT, paid INT, open_ INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW o AS
SELECT cust, window_start, window_end, SUM(total) AS ordered
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY cust, window_start, window_end;
CREATE VIEW p AS
SELECT cust, window_start, window_end, SUM(paid) AS paid
FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY cust, window_start, window_end;

INSERT INTO `out`
SELECT COALESCE(o.window_start, p.window_start), COALESCE(o.cust, p.cust),
       o.ordered, p.paid, COALESCE(o.ordered, 0) - COALESCE(p.paid, 0)
FROM o FULL OUTER JOIN p
  ON o.cust = p.cust AND o.window_start = p.window_start AND o.window_end = p.window_end;
