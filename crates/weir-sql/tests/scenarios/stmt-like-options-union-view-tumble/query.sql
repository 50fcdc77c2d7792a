-- CREATE TABLE ... LIKE (default OVERWRITING OPTIONS: a new path; EXCLUDING OPTIONS with a csv format and an added computed column), UNION ALL of the three in a view then a TUMBLE window
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE orders_a (id INT, cust STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders_a.jsonl', 'format' = 'json');
CREATE TABLE orders_b WITH ('path' = '${DATA}/orders_b.jsonl') LIKE orders_a;
CREATE TABLE orders_c (doubled AS amount * 2)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders_c.csv', 'format' = 'csv')
LIKE orders_a (EXCLUDING OPTIONS);
CREATE TABLE `out` (src STRING, cust STRING, ws TIMESTAMP(3), n BIGINT, total DECIMAL(38, 2))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW all_orders AS
SELECT 'a' AS src, cust, amount, ts FROM orders_a
UNION ALL
SELECT 'b', cust, amount, ts FROM orders_b
UNION ALL
SELECT 'c', cust, doubled, ts FROM orders_c;

INSERT INTO `out`
SELECT src, cust, window_start, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE all_orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY src, cust, window_start, window_end;
