-- FIRST_VALUE / LAST_VALUE / LISTAGG(DISTINCT) / MAX over an updating input: per region, the
-- customers' running totals change, so earlier values are retracted.
CREATE TABLE orders (oid INT, region STRING, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE VIEW totals AS
SELECT region, cust, SUM(amount) AS total FROM orders GROUP BY region, cust;

SELECT region, FIRST_VALUE(cust) AS first_c, LAST_VALUE(cust) AS last_c,
       FIRST_VALUE(total) AS first_t, LAST_VALUE(total) AS last_t,
       MAX(total) AS mx, COUNT(*) AS n
FROM totals
GROUP BY region;
