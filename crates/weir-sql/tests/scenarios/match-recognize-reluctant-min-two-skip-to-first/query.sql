-- A reluctant U{2,}? (ends as soon as E can take a row once U has two), SUM(U.qty) and FIRST(U.price) arithmetic in DEFINE, AFTER MATCH SKIP TO FIRST U so the next match may start inside the last one
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE trades (acct STRING, price INT, qty INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/trades.jsonl', 'format' = 'json');
CREATE TABLE `out` (acct STRING, s_price INT, u_first INT, u_last INT, nu BIGINT, u_qty INT, e_price INT, e_t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM trades MATCH_RECOGNIZE (
  PARTITION BY acct ORDER BY ts
  MEASURES S.price AS s_price, FIRST(U.price) AS u_first, LAST(U.price) AS u_last, COUNT(U.price) AS nu,
    SUM(U.qty) AS u_qty, E.price AS e_price, E.ts AS e_t
  AFTER MATCH SKIP TO FIRST U
  PATTERN (S U{2,}? E)
  DEFINE S AS S.qty > 0,
    U AS U.price >= S.price AND SUM(U.qty) <= 10,
    E AS E.price >= FIRST(U.price) + 2 * (LAST(U.price) - FIRST(U.price)) + 1
) MR;
