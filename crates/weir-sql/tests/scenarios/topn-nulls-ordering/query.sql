-- Top-2 per team over an updating SUM whose value is NULL while a player has only NULL scores:
-- DESC NULLS LAST, ASC NULLS FIRST, and the default null order of DESC and ASC.
CREATE TABLE scores (id INT, team STRING, player STRING, pts INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.jsonl', 'format' = 'json');

CREATE VIEW totals AS
SELECT team, player, SUM(pts) AS total FROM scores GROUP BY team, player;

SELECT 'desc_nulls_last' AS q, team, player, total, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY team ORDER BY total DESC NULLS LAST, player) AS rn FROM totals)
WHERE rn <= 2
UNION ALL
SELECT 'asc_nulls_first', team, player, total, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY team ORDER BY total ASC NULLS FIRST, player) AS rn FROM totals)
WHERE rn <= 2
UNION ALL
SELECT 'desc_default', team, player, total, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY team ORDER BY total DESC, player) AS rn FROM totals)
WHERE rn <= 2
UNION ALL
SELECT 'asc_default', team, player, total, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY team ORDER BY total, player) AS rn FROM totals)
WHERE rn <= 2;
