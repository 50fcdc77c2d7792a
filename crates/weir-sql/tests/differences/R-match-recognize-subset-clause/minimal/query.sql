SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime MEASURES A.price AS a, LAST(U.price) AS lu, COUNT(U.price) AS nu AFTER MATCH SKIP PAST LAST ROW PATTERN (A B+? C) SUBSET U = (A, B) DEFINE A AS A.price < 10, C AS C.price > 20
) MR;
