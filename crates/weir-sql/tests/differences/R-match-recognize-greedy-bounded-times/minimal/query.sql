SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS a, FIRST(B.price) AS b1, LAST(B.price) AS b2, C.price AS c
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B{1,2} C)
  DEFINE A AS A.price < 10, B AS B.price >= 10, C AS C.price >= 20
) MR;
