-- Aggregates without GROUP BY on a stream: over rows that all fail the filter there is no
-- result row at all (a streaming global aggregate emits on input only); over matching rows,
-- COUNT(*) counts NULLs and COUNT(x) / SUM / AVG skip them.
CREATE TABLE t (k STRING, x INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT 'none' AS q, COUNT(*) AS n, COUNT(x) AS nx, SUM(x) AS s, AVG(x) AS a, MAX(k) AS mk FROM t WHERE x > 100
UNION ALL
SELECT 'some', COUNT(*), COUNT(x), SUM(x), AVG(x), MAX(k) FROM t WHERE k <> 'c';
