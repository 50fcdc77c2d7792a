SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE tx (card STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/tx.jsonl', 'format' = 'json');
SELECT * FROM tx MATCH_RECOGNIZE (
  PARTITION BY card ORDER BY ts
  MEASURES L.amount / (S.amount + 1) AS r1, CAST(L.amount / (S.amount + 1) AS DECIMAL(38, 6)) AS r0,
    S.amount + 1 AS s1, L.amount / S.amount AS r2
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (S L)
  DEFINE S AS S.amount < 2, L AS L.amount > 500
) MR;
