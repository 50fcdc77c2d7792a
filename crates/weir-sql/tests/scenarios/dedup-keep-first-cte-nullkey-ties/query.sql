-- First order per (customer, coupon) by event time (ROW_NUMBER ORDER BY ts ASC = 1) in a WITH
-- query with computed columns: equal times keep the first to arrive, an earlier row that
-- arrives later (within the watermark) replaces the kept one, a late row is dropped, a NULL
-- coupon is a key; the outer query adds a flag.
CREATE TABLE orders (oid INT, cust STRING, coupon STRING, amount DECIMAL(6, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

WITH o AS (
  SELECT oid, LOWER(cust) AS cust, coupon, amount, ts FROM orders WHERE amount IS NOT NULL
)
SELECT cust, coupon, oid, amount, ts, amount >= 50 AS big FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cust, coupon ORDER BY ts ASC) AS rn FROM o)
WHERE rn = 1;
