-- PREV(price) (the row before within the match) in DEFINE, a greedy B+, AFTER MATCH SKIP PAST LAST ROW: matches do not overlap
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
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+ C)
  DEFINE B AS price < PREV(price), C AS C.price > 16
) MR;
