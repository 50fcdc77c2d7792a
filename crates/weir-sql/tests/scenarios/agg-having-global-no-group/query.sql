-- HAVING without GROUP BY (the one global group appears and disappears as the condition
-- flips), MAX/MIN of BOOLEAN and DATE, and a global aggregate whose HAVING is never true.
CREATE TABLE ev (id INT, ok BOOLEAN, d DATE, v INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE VIEW per_id AS SELECT id, SUM(v) AS sv FROM ev GROUP BY id;

SELECT 'global' AS q, COUNT(*) AS n, SUM(v) AS sv, MAX(ok) AS any_ok, MIN(ok) AS all_ok,
       MIN(d) AS first_d, MAX(d) AS last_d
FROM ev HAVING COUNT(*) >= 3
UNION ALL
SELECT 'never', COUNT(*), SUM(v), MAX(ok), MIN(ok), MIN(d), MAX(d)
FROM ev HAVING SUM(v) > 1000
UNION ALL
SELECT 'updating', COUNT(*), SUM(sv), CAST(NULL AS BOOLEAN), CAST(NULL AS BOOLEAN),
       CAST(NULL AS DATE), CAST(NULL AS DATE)
FROM per_id HAVING SUM(sv) < 10;
