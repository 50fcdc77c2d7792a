-- LISTAGG, FIRST_VALUE and LAST_VALUE over the changes of a group aggregation: Flink's
-- result follows every change the inner aggregation makes, row by row.
CREATE TABLE o (r STRING, c STRING, a INT)
  WITH ('connector' = 'filesystem', 'path' = '${DATA}/o.jsonl', 'format' = 'json');
SELECT r, LISTAGG(c || ':' || CAST(s AS STRING)) AS totals, FIRST_VALUE(c) AS first_c, LAST_VALUE(s) AS last_s,
       COUNT(*) AS n
FROM (SELECT r, c, SUM(a) AS s FROM o GROUP BY r, c)
GROUP BY r;
