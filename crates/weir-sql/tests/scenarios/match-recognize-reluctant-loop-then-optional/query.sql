-- A reluctant B+? followed by an optional C? then D over two interleaved partitions with overlapping conditions (a row may fit A, B and C), AFTER MATCH SKIP PAST LAST ROW
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES FIRST(A.price) AS fa, LAST(A.price) AS la, COUNT(A.price) AS na, FIRST(B.price) AS fb, LAST(B.price) AS lb, COUNT(B.price) AS nb, FIRST(C.price) AS fc, LAST(C.price) AS lc, COUNT(C.price) AS nc, FIRST(D.price) AS fd, LAST(D.price) AS ld, COUNT(D.price) AS nd, MATCH_ROWTIME() AS mt
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+? C? D)
  DEFINE A AS A.price < 15, B AS B.price >= 10, C AS C.price >= 20, D AS D.price < 10
) MR;
