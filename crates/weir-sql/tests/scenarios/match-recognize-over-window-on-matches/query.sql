-- A named OVER window (ROWS 1 PRECEDING: MIN, COUNT, SUM) over match results ordered by MATCH_ROWTIME(); the pattern uses PREV(price, 2) and an exact A{3} with the default skip (TO NEXT ROW), so matches overlap
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, a1 INT, a3 INT, mt TIMESTAMP(3), min2 INT, n BIGINT, s2 INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW runs AS
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES FIRST(A.price) AS a1, LAST(A.price) AS a3, MATCH_ROWTIME() AS mt
  PATTERN (A{3})
  DEFINE A AS PREV(price, 2) IS NULL OR A.price > PREV(price, 2)
) MR;

INSERT INTO `out`
SELECT symbol, a1, a3, mt,
  MIN(a3) OVER w AS min2, COUNT(*) OVER w AS n, SUM(a3) OVER w AS s2
FROM runs
WINDOW w AS (PARTITION BY symbol ORDER BY mt ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);
