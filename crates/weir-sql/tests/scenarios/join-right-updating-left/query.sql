CREATE TABLE users (uid INT, name STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/users.jsonl', 'format' = 'json');
CREATE TABLE visits (name STRING, seq INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/visits.jsonl', 'format' = 'json');

SELECT u.uid, u.name, c.visits, c.last_seq
FROM (SELECT name, COUNT(*) AS visits, MAX(seq) AS last_seq FROM visits GROUP BY name) AS c
RIGHT JOIN users AS u ON c.name = u.name
WHERE c.visits IS NULL OR c.visits < 3;
