-- Running totals per account (ROWS UNBOUNDED PRECEDING) over DECIMAL amounts: SUM, AVG,
-- COUNT, MIN; a NULL account is a partition; equal timestamps keep arrival order.
CREATE TABLE tx (acct STRING, amt DECIMAL(8, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/tx.jsonl', 'format' = 'json');

CREATE TABLE `out` (acct STRING, ts TIMESTAMP(3), amt DECIMAL(8, 2), bal DECIMAL(38, 2),
  av DECIMAL(38, 6), n BIGINT, lo DECIMAL(8, 2))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT acct, ts, amt,
  SUM(amt) OVER w, AVG(amt) OVER w, COUNT(amt) OVER w, MIN(amt) OVER w
FROM tx
WINDOW w AS (PARTITION BY acct ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
