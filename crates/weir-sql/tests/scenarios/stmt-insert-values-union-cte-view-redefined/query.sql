-- CREATE VIEW IF NOT EXISTS twice (the second is a no-op), DROP TEMPORARY VIEW and a redefinition, a CTE over the view, and INSERT ... SELECT from VALUES UNION ALL the table with a column list
CREATE TABLE scores (player STRING, pts INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/scores.jsonl', 'format' = 'json');
CREATE TABLE `out` (player STRING, pts INT, src STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW IF NOT EXISTS good AS SELECT player, pts FROM scores WHERE pts > 10;
CREATE TEMPORARY VIEW IF NOT EXISTS good AS SELECT player, pts FROM scores WHERE pts > 1000;
CREATE TEMPORARY VIEW tmp AS SELECT player, pts * 100 AS pts FROM scores;
DROP TEMPORARY VIEW tmp;
CREATE TEMPORARY VIEW tmp AS SELECT UPPER(player) AS player, -pts AS pts FROM good;

INSERT INTO `out` (src, player, pts)
WITH neg AS (SELECT player, pts FROM tmp WHERE pts < -20)
SELECT 'const', p, v FROM (VALUES ('zoe', 1), ('ünï', CAST(NULL AS INT)), ('', 0)) AS t(p, v)
UNION ALL
SELECT 'good', player, pts FROM good
UNION ALL
SELECT 'neg', player, pts FROM neg;
