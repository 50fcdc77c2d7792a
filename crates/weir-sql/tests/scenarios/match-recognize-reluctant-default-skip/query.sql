-- A reluctant B+? (C takes a row first whenever it can) with no AFTER MATCH clause (Flink's default: SKIP TO NEXT ROW); a variable without DEFINE is always true
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, a INT, b_first INT, b_last INT, c INT, nb BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS a, FIRST(B.price) AS b_first, LAST(B.price) AS b_last, C.price AS c, COUNT(B.price) AS nb
  PATTERN (A B+? C)
  DEFINE B AS B.price > 0, C AS C.price > 16
) MR;
