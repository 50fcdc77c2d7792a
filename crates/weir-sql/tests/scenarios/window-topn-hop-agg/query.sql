-- Top-2 players per HOP window (10 s / 5 s) by total score over a window aggregation, ties
-- broken by player, the rank number not selected.
CREATE TABLE scores (
  player STRING, game STRING, score INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), player STRING, total INT, plays BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, player, total, plays FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC, player) AS r
  FROM (
    SELECT window_start, window_end, player, SUM(score) AS total, COUNT(*) AS plays
    FROM TABLE(HOP(TABLE scores, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, player))
WHERE r <= 2;
