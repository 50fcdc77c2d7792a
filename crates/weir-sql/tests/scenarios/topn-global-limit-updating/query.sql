CREATE TABLE scores (name STRING, pts INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.jsonl', 'format' = 'json');

SELECT name, total, plays FROM (
  SELECT name, SUM(pts) AS total, COUNT(*) AS plays FROM scores GROUP BY name)
ORDER BY total DESC, name ASC
LIMIT 3;
