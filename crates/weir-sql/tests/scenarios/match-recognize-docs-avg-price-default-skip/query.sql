-- Flink's documentation example (AVG(A.price) < 15 over a greedy A+, B without DEFINE) but with the default AFTER MATCH (SKIP TO NEXT ROW): every start row gets its own match, which can wait for earlier-starting ones
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE Ticker (symbol STRING, price BIGINT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, start_tstamp TIMESTAMP(3), end_tstamp TIMESTAMP(3), avgPrice BIGINT, b_price BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM Ticker
MATCH_RECOGNIZE (
  PARTITION BY symbol
  ORDER BY rowtime
  MEASURES
    FIRST(A.rowtime) AS start_tstamp,
    LAST(A.rowtime) AS end_tstamp,
    AVG(A.price) AS avgPrice,
    B.price AS b_price
  ONE ROW PER MATCH
  PATTERN (A+ B)
  DEFINE
    A AS AVG(A.price) < 15
) MR;
