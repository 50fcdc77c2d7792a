CREATE TABLE orders (
  oid INT, cust STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE limits (
  lid INT, cust STRING, cap INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/limits.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), oid INT, cust STRING, amount INT, lid INT, cap INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT o.window_start, o.oid, o.cust, o.amount, l.lid, l.cap
FROM (SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))) o
LEFT JOIN (SELECT * FROM TABLE(TUMBLE(TABLE limits, DESCRIPTOR(ts), INTERVAL '10' SECOND))) l
ON o.cust = l.cust AND o.window_start = l.window_start AND o.window_end = l.window_end
   AND o.amount <= l.cap;
