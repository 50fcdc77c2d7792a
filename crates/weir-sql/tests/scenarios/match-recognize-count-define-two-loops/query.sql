-- Two loops: a greedy A+ capped by COUNT(A.price) <= 3 in its DEFINE (B may start only when A cannot take the row), a reluctant B+? of negatives, then C; SUM and COUNT over both loops, AFTER MATCH SKIP PAST LAST ROW
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE flows (acct STRING, delta INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/flows.jsonl', 'format' = 'json');
CREATE TABLE `out` (acct STRING, n_in BIGINT, total_in INT, n_out BIGINT, total_out INT, c INT, first_t TIMESTAMP(3), last_t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM flows MATCH_RECOGNIZE (
  PARTITION BY acct ORDER BY ts
  MEASURES COUNT(A.delta) AS n_in, SUM(A.delta) AS total_in, COUNT(B.delta) AS n_out, SUM(B.delta) AS total_out,
    C.delta AS c, FIRST(A.ts) AS first_t, C.ts AS last_t
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A+ B+? C)
  DEFINE A AS A.delta > 0 AND COUNT(A.delta) <= 3,
    B AS B.delta < 0,
    C AS C.delta >= 0
) MR;
