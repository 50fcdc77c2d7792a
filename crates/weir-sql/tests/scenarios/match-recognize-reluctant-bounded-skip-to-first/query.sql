-- A reluctant bounded B{1,3}? between A and C, AFTER MATCH SKIP TO FIRST C (the next match may start at C), FIRST(B.price, 1) / LAST(B.price, 1) offsets in MEASURES, two partition columns
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (region STRING, symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (region STRING, symbol STRING, a INT, b1 INT, b2 INT, b_last INT, b_prev INT, c INT, nb BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY region, symbol ORDER BY rowtime
  MEASURES A.price AS a, FIRST(B.price) AS b1, FIRST(B.price, 1) AS b2, LAST(B.price) AS b_last,
    LAST(B.price, 1) AS b_prev, C.price AS c, COUNT(B.price) AS nb
  AFTER MATCH SKIP TO FIRST C
  PATTERN (A B{1,3}? C)
  DEFINE A AS A.price < 10, B AS B.price >= 10, C AS C.price >= 20
) MR;
