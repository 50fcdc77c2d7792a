CREATE TABLE v (user_id STRING, page STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/v.jsonl', 'format' = 'json');

CREATE VIEW pairs AS SELECT DISTINCT user_id, page FROM v;

CREATE VIEW per_page AS
SELECT page, COUNT(*) AS users, COUNT(user_id) AS named FROM pairs GROUP BY page HAVING COUNT(*) >= 2;

SELECT users, COUNT(*) AS pages, LISTAGG(COALESCE(page, '?')) AS names
FROM per_page GROUP BY users;
