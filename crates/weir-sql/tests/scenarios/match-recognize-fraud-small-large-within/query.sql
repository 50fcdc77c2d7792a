-- Fraud: a tiny charge then a large one on the same card within 5 minutes (reluctant M*? between, WITHIN edge exactly 5 min, NULL amount, unicode keys, a tie on rowtime), DECIMAL measures and TIMESTAMPDIFF
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE tx (card STRING, amount DECIMAL(10, 2), merchant STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/tx.jsonl', 'format' = 'json');
CREATE TABLE `out` (card STRING, small_amt DECIMAL(10, 2), small_merchant STRING, large_amt DECIMAL(10, 2),
  large_merchant STRING, n_between BIGINT, gap_s INT, jump DECIMAL(12, 2), mt TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM tx MATCH_RECOGNIZE (
  PARTITION BY card ORDER BY ts
  MEASURES S.amount AS small_amt, S.merchant AS small_merchant, L.amount AS large_amt, L.merchant AS large_merchant,
    COUNT(M.ts) AS n_between, TIMESTAMPDIFF(SECOND, S.ts, L.ts) AS gap_s,
    L.amount - S.amount AS jump, MATCH_ROWTIME() AS mt
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (S M*? L) WITHIN INTERVAL '5' MINUTE
  DEFINE S AS S.amount < 2, L AS L.amount > 500
) MR;
