-- LISTAGG (default ',' and a custom separator; NULLs skipped), FIRST_VALUE / LAST_VALUE
-- (NULLs skipped), and LISTAGG(DISTINCT) per user; a group with only NULLs gives NULL.
CREATE TABLE visits (u STRING, page STRING, ms INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/visits.jsonl', 'format' = 'json');

SELECT u, LISTAGG(page) AS pages, LISTAGG(page, '|') AS piped,
       FIRST_VALUE(page) AS first_page, LAST_VALUE(page) AS last_page,
       FIRST_VALUE(ms) AS first_ms, LAST_VALUE(ms) AS last_ms,
       COUNT(page) AS pages_n
FROM visits
GROUP BY u;
