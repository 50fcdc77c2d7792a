SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS a, C.price AS c, COUNT(B.price) AS nb, FIRST(B.price) AS b1
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A B*? C)
  DEFINE A AS A.price < 10, C AS C.price > A.price + 5
) MR;
