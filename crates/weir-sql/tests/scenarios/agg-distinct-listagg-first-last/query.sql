-- LISTAGG / FIRST_VALUE / LAST_VALUE with DISTINCT over an insert-only input: each distinct
-- value once, in the order it first arrived (repeats neither move nor duplicate it).
CREATE TABLE t (g INT, k STRING, s STRING, v INT, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT k, LISTAGG(DISTINCT s) AS l, LISTAGG(s) AS a, FIRST_VALUE(DISTINCT s) AS f, LAST_VALUE(DISTINCT s) AS la
FROM t GROUP BY k;
