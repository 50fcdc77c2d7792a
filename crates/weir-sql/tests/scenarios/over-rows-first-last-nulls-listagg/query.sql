-- ROWS BETWEEN 2 PRECEDING AND CURRENT ROW per account: FIRST_VALUE/LAST_VALUE of a column with
-- NULLs (the window slides past the first value), LISTAGG of the window's values, SUM and
-- COUNT of a column with NULLs, COUNT(DISTINCT) over rows; equal timestamps keep arrival order.
CREATE TABLE tx (
  acct STRING, note STRING, ch STRING, amt INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/tx.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  acct STRING, ts TIMESTAMP(3), amt INT, fv STRING, lv STRING, notes STRING,
  sum_amt INT, n_amt BIGINT, chans BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT acct, ts, amt,
  FIRST_VALUE(note) OVER w, LAST_VALUE(note) OVER w, LISTAGG(ch, '|') OVER w,
  SUM(amt) OVER w, COUNT(amt) OVER w, COUNT(DISTINCT ch) OVER w
FROM tx
WINDOW w AS (PARTITION BY acct ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
