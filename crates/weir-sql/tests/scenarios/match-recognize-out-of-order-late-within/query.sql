-- Rows arrive out of order within a 5 s watermark delay (matched in rowtime order), one row behind the watermark is dropped; PATTERN (A B* C) with a greedy middle loop, WITHIN 10 s, SKIP PAST LAST ROW
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ev (dev STRING, temp INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');
CREATE TABLE `out` (dev STRING, start_temp INT, peak INT, n_mid BIGINT, end_temp INT, t0 TIMESTAMP(3), t1 TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ev MATCH_RECOGNIZE (
  PARTITION BY dev ORDER BY ts
  MEASURES A.temp AS start_temp, MAX(B.temp) AS peak, COUNT(B.temp) AS n_mid, C.temp AS end_temp,
    A.ts AS t0, C.ts AS t1
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B* C) WITHIN INTERVAL '10' SECOND
  DEFINE A AS A.temp >= 30, B AS B.temp >= 30 AND B.temp < 50, C AS C.temp < 30
) MR;
