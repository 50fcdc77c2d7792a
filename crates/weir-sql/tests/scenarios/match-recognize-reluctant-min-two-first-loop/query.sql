-- A reluctant A{2,}? loop as the first element, default skip (TO NEXT ROW) so every start row gets its own match
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES FIRST(A.price) AS fa, LAST(A.price) AS la, COUNT(A.price) AS na, FIRST(B.price) AS fb, LAST(B.price) AS lb, COUNT(B.price) AS nb, MATCH_ROWTIME() AS mt
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A{2,}? B)
  DEFINE A AS A.price < 15, B AS B.price >= 10
) MR;
