-- LISTAGG(DISTINCT) with a separator, MIN/MAX of BOOLEAN and DATE, COUNT(DISTINCT) of a
-- BOOLEAN, SUM(DISTINCT) of negative numbers; per user, some users with only NULLs.
CREATE TABLE v (id INT, u STRING, page STRING, ok BOOLEAN, d DATE, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/v.jsonl', 'format' = 'json');

SELECT u, LISTAGG(DISTINCT page, ';') AS pages, MAX(ok) AS any_ok, MIN(ok) AS all_ok,
       COUNT(DISTINCT ok) AS kinds, MIN(d) AS d0, MAX(d) AS d1, SUM(DISTINCT n) AS sdn
FROM v
GROUP BY u;
