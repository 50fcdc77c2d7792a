-- A reluctant A+? capped by SUM(A.price) < 30 AND MAX(A.price) < 20 in DEFINE, B compared with MIN(A.price) * 2, FIRST/LAST of the loop and of its rowtime
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime MEASURES FIRST(A.price) AS a1, LAST(A.price) AS a2, B.price AS b, FIRST(A.rowtime) AS t1 AFTER MATCH SKIP PAST LAST ROW PATTERN (A+? B) DEFINE A AS SUM(A.price) < 30 AND MAX(A.price) < 20, B AS B.price > MIN(A.price) * 2
) MR;
