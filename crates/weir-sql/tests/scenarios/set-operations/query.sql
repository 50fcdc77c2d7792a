-- UNION, INTERSECT, EXCEPT (set semantics: duplicates removed, NULLs equal to each other)
-- and UNION ALL, INTERSECT ALL, EXCEPT ALL (bag semantics), tagged in one result.
CREATE TABLE a (k INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');
CREATE TABLE b (k INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.jsonl', 'format' = 'json');

SELECT 'union' AS op, k, s FROM (SELECT k, s FROM a UNION SELECT k, s FROM b)
UNION ALL
SELECT 'intersect', k, s FROM (SELECT k, s FROM a INTERSECT SELECT k, s FROM b)
UNION ALL
SELECT 'except', k, s FROM (SELECT k, s FROM a EXCEPT SELECT k, s FROM b)
UNION ALL
SELECT 'intersect all', k, s FROM (SELECT k, s FROM a INTERSECT ALL SELECT k, s FROM b)
UNION ALL
SELECT 'except all', k, s FROM (SELECT k, s FROM a EXCEPT ALL SELECT k, s FROM b)
UNION ALL
SELECT 'union all', k, s FROM (SELECT k, s FROM a WHERE k > 4 UNION ALL SELECT k, s FROM b WHERE k > 4);
