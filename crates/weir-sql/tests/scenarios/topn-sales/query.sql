-- Top-3 per category over an insert-only input; the rank number is part of the output.
CREATE TABLE sales (
  category STRING, product STRING, amount INT, ts TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

SELECT * FROM (
  SELECT category, product, amount,
         ROW_NUMBER() OVER (PARTITION BY category ORDER BY amount DESC) AS rn
  FROM sales)
WHERE rn <= 3;
