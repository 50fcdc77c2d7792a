-- A group aggregate over MATCH_RECOGNIZE results (updating): count, sum, max and LISTAGG of drops per symbol, with a HAVING; skip mode TO NEXT ROW so matches overlap
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');

CREATE TEMPORARY VIEW drops AS
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS hi, B.price AS lo, A.price - B.price AS drop_size
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A B)
  DEFINE B AS B.price < A.price
) MR;

SELECT symbol, COUNT(*) AS n, SUM(drop_size) AS total, MAX(drop_size) AS biggest,
  LISTAGG(CAST(drop_size AS STRING)) AS sizes
FROM drops GROUP BY symbol HAVING COUNT(*) >= 2;
