-- Top-2 artists per genre by total seconds, over an updating aggregation (totals go up and
-- down: negative plays), without the rank number: rows move in and out of the top as totals
-- change.
CREATE TABLE plays (artist STRING, genre STRING, secs INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/plays.jsonl', 'format' = 'json');

SELECT genre, artist, total FROM (
  SELECT genre, artist, total,
         ROW_NUMBER() OVER (PARTITION BY genre ORDER BY total DESC, artist ASC) AS rn
  FROM (SELECT genre, artist, SUM(secs) AS total FROM plays GROUP BY genre, artist))
WHERE rn <= 2;
