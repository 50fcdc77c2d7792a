-- Window FULL OUTER join of orders and payments per 10 s tumbling window and customer:
-- pairs within the window, orders without payment and payments without order padded with
-- nulls, NULL customers never match.
CREATE TABLE orders (
  oid INT, cust STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE payments (
  pid INT, cust STRING, paid INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/payments.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  oid INT, ocust STRING, amount INT, pid INT, pcust STRING, paid INT,
  window_start TIMESTAMP(3), window_end TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT o.oid, o.cust, o.amount, p.pid, p.cust, p.paid,
       COALESCE(o.window_start, p.window_start), COALESCE(o.window_end, p.window_end)
FROM (SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))) o
FULL OUTER JOIN (SELECT * FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '10' SECOND))) p
ON o.cust = p.cust AND o.window_start = p.window_start AND o.window_end = p.window_end;
