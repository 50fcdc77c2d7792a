-- No PARTITION BY: all rows in one partition (one subtask), reluctant B*?, COUNT of an unmatched variable is 0
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (a INT, c INT, nb BIGINT, t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  ORDER BY rowtime
  MEASURES A.price AS a, C.price AS c, COUNT(B.price) AS nb, MATCH_ROWTIME() AS t
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B*? C)
  DEFINE A AS A.price > 20, C AS C.price < 10
) MR;
