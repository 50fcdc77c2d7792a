-- Window LEFT join with an extra non-equi condition, beside a window anti join (NOT EXISTS):
-- left rows whose condition fails on every partner are padded; the anti join keeps orders
-- with no payment in their window.
CREATE TABLE orders (
  oid INT, cust STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE payments (
  pid INT, cust STRING, paid INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/payments.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  kind STRING, oid INT, cust STRING, amount INT, pid INT, paid INT, window_start TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'left', o.oid, o.cust, o.amount, p.pid, p.paid, o.window_start
FROM (SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))) o
LEFT JOIN (SELECT * FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '10' SECOND))) p
ON o.cust = p.cust AND o.window_start = p.window_start AND o.window_end = p.window_end
   AND p.paid >= o.amount / 2
UNION ALL
SELECT 'anti', oid, cust, amount, CAST(NULL AS INT), CAST(NULL AS INT), window_start
FROM (SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))) o
WHERE NOT EXISTS (
  SELECT * FROM (SELECT * FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '10' SECOND))) p
  WHERE o.cust = p.cust AND o.window_start = p.window_start AND o.window_end = p.window_end);
