-- An aggregate of the rows so far in DEFINE (SUM(A.tax)), FIRST in DEFINE, SUM/AVG (integer)/MIN/MAX and MATCH_ROWTIME() in MEASURES
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, s INT, av INT, mn INT, mx INT, t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES SUM(A.price) AS s, AVG(A.price) AS av, MIN(A.price) AS mn, MAX(A.price) AS mx, MATCH_ROWTIME() AS t
  PATTERN (A+ B)
  DEFINE A AS SUM(A.tax) <= 4, B AS B.price > FIRST(A.price)
) MR;
