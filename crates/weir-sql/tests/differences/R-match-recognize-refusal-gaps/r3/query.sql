SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS a, B.price AS b, C.price AS c, D.price AS d
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A B{1,3} C? D)
  DEFINE A AS A.price < 15, B AS B.price >= 10, C AS C.price >= 20, D AS D.price < 10
) MR;
