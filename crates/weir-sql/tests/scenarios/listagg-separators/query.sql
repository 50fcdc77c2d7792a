-- LISTAGG with the default separator, an empty separator and a multi-character one; of
-- numbers and decimals cast to STRING; of a CASE expression; with empty strings kept and NULLs
-- skipped; a group with only NULLs.
CREATE TABLE t (u STRING, page STRING, n INT, d DECIMAL(5, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT u,
  LISTAGG(page) AS pages,
  LISTAGG(page, '') AS glued,
  LISTAGG(page, ' > ') AS path,
  LISTAGG(CAST(n AS STRING), ';') AS ns,
  LISTAGG(CAST(d AS STRING), '/') AS ds,
  LISTAGG(CASE WHEN n > 0 THEN 'p' WHEN n < 0 THEN 'n' END, '') AS signs,
  COUNT(page) AS n_pages
FROM t
GROUP BY u;
