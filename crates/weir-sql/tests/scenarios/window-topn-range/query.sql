-- Window Top-N straight on a window TVF with a rank range (2nd and 3rd place) and ties broken
-- by a second key; ascending with NULL scores first, and a late row (00:00:02 after 00:00:14)
-- dropped. (Flink's window Top-N takes ROW_NUMBER only: RANK and DENSE_RANK are refused.)
CREATE TABLE scores (
  player STRING, game STRING, score INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  kind STRING, window_start TIMESTAMP(3), game STRING, player STRING, score INT, r BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'desc', window_start, game, player, score, r FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, game ORDER BY score DESC, player) AS r
  FROM TABLE(TUMBLE(TABLE scores, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE r > 1 AND r <= 3
UNION ALL
SELECT 'asc', window_start, game, player, score, r FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, game ORDER BY score ASC, player DESC) AS r
  FROM TABLE(TUMBLE(TABLE scores, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE r <= 2;
