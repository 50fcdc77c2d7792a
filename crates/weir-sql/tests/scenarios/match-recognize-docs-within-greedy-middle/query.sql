-- Flink's documentation time-constraint example: A B* C WITHIN 1 hour, B AS B.price > A.price - 10, C AS C.price < A.price - 10 (a greedy B*: C takes a row only when B cannot), minutes apart, a drop exactly one hour after the start
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE Ticker (symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' MINUTE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, dropTime TIMESTAMP(3), dropDiff INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM Ticker
MATCH_RECOGNIZE (
  PARTITION BY symbol
  ORDER BY rowtime
  MEASURES
    C.rowtime AS dropTime,
    A.price - C.price AS dropDiff
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B* C) WITHIN INTERVAL '1' HOUR
  DEFINE
    B AS B.price > A.price - 10,
    C AS C.price < A.price - 10
) MR;
