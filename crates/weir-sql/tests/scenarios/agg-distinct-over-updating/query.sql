-- DISTINCT aggregates over an updating input: a Debezium changelog of users' scores per level
-- (creates, updates that change a score or move a user to another level, deletes), counted,
-- summed and averaged DISTINCT per level. A value leaves a level only when its last copy
-- does; FILTER on a DISTINCT call too.
CREATE TABLE scores (usr STRING, score INT, lvl STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.json', 'format' = 'debezium-json');

SELECT lvl,
       COUNT(DISTINCT score) AS scores,
       SUM(DISTINCT score) AS score_sum,
       AVG(DISTINCT CAST(score AS DOUBLE)) AS score_avg,
       COUNT(DISTINCT score) FILTER (WHERE score > 10) AS high_scores,
       COUNT(*) AS users
FROM scores
GROUP BY lvl;
