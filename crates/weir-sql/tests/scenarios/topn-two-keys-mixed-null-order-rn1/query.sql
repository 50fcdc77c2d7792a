-- Best row per (league, season) ordered by several keys in mixed directions with explicit
-- NULL placement (points DESC NULLS FIRST, goal difference ASC NULLS LAST, team DESC), rn = 1
-- over an insert-only table; NULL keys of the partition; the rank is not selected; CASE on it.
CREATE TABLE results (league STRING, season INT, team STRING, points INT, gd INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/results.jsonl', 'format' = 'json');

SELECT league, season, team, points, gd,
  CASE WHEN points IS NULL THEN 'unknown' WHEN points >= 80 THEN 'champion' ELSE 'leader' END AS label
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY league, season
      ORDER BY points DESC NULLS FIRST, gd ASC NULLS LAST, team DESC) AS rn
  FROM results WHERE team <> '')
WHERE rn = 1;
