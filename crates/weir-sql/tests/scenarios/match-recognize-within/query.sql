-- WITHIN INTERVAL '3' SECOND: a partial match whose first row is 3 s or more before the current row is dropped
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
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A B+? C) WITHIN INTERVAL '3' SECOND
  DEFINE B AS B.price > 0, C AS C.price > 16
) MR;
