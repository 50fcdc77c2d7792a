-- Rows at or behind the watermark (1 s behind the latest rowtime, made per row) are late and dropped before matching
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, lo INT, hi INT, t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS lo, B.price AS hi, MATCH_ROWTIME() AS t
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B) DEFINE A AS A.price < 10, B AS B.price > 10
) MR
;
