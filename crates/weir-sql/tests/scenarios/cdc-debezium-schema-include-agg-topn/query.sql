-- Debezium events with their schema ('debezium-json.schema-include'): per region the sum,
-- distinct reps and the largest sale, then the top 3 regions by total over the updating
-- aggregate (an update moves a sale between regions, a delete removes a region).
CREATE TABLE sales (id INT, region STRING, rep STRING, amount BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.json', 'format' = 'debezium-json',
      'debezium-json.schema-include' = 'true');

CREATE VIEW per_region AS
SELECT region, SUM(amount) AS total, COUNT(DISTINCT rep) AS reps, MAX(amount) AS biggest
FROM sales GROUP BY region;

SELECT region, total, reps, biggest, rk FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY total DESC) AS rk FROM per_region)
WHERE rk <= 3;
