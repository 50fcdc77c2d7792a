-- AVG(A.price) < 15 over the loop so far in DEFINE, greedy A+ then B (a row fitting both A and B), ties on rowtime within a key, AFTER MATCH SKIP PAST LAST ROW; COUNT(*), MIN/MAX, FIRST/LAST of a timestamp
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '3' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, avg_a INT, n_a BIGINT, n_all BIGINT, mn INT, mx INT, b INT,
  first_t TIMESTAMP(3), last_a_t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES AVG(A.price) AS avg_a, COUNT(A.price) AS n_a, COUNT(*) AS n_all, MIN(A.price) AS mn, MAX(A.price) AS mx,
    B.price AS b, FIRST(A.rowtime) AS first_t, LAST(A.rowtime) AS last_a_t
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A+ B)
  DEFINE A AS AVG(A.price) < 15, B AS B.price >= 20
) MR;
