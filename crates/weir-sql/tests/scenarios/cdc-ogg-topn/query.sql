-- An Oracle GoldenGate (ogg-json) changelog of player scores: the top 2 per team over the
-- updating table (a delete frees a place, an update moves a player to another team).
CREATE TABLE scores (player STRING, team STRING, score INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.json', 'format' = 'ogg-json');

SELECT team, player, score, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY team ORDER BY score DESC, player) AS rn FROM scores)
WHERE rn <= 2;
