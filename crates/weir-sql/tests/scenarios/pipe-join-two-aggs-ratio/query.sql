-- Two unbounded aggregates (orders and returns per customer) joined on the customer, then a
-- filter on a computed return ratio (a zero or negative denominator guarded), as a fraud
-- report: the join and the filter follow both aggregates as they update.
CREATE TABLE orders (oid INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE returns_ (rid INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/returns.jsonl', 'format' = 'json');

CREATE VIEW bought AS
SELECT cust, SUM(amount) AS spent, COUNT(*) AS orders FROM orders GROUP BY cust;
CREATE VIEW returned AS
SELECT cust, SUM(amount) AS back, COUNT(*) AS rets FROM returns_ GROUP BY cust;

SELECT b.cust, b.spent, r.back, b.orders, r.rets,
       CAST(r.back AS DOUBLE) / NULLIF(b.spent, 0) AS ratio
FROM bought AS b JOIN returned AS r ON b.cust = r.cust
WHERE b.spent <= 0 OR CAST(r.back AS DOUBLE) / b.spent > 0.2;
