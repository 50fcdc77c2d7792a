-- SET state TTL and mini-batch options (results unchanged for this bounded input): a group aggregate with COUNT DISTINCT and AVG, then Top-2 per region by revenue
SET 'table.exec.state.ttl' = '1 h';
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '1 s';
SET 'table.exec.mini-batch.size' = '3';
CREATE TABLE orders (region STRING, shop STRING, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT region, shop, revenue, custs, rn FROM (
  SELECT region, shop, revenue, custs,
    ROW_NUMBER() OVER (PARTITION BY region ORDER BY revenue DESC, shop) AS rn
  FROM (
    SELECT region, shop, SUM(amount) AS revenue, COUNT(DISTINCT cust) AS custs
    FROM orders GROUP BY region, shop
  )
) WHERE rn <= 2;
