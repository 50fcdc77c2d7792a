-- UNION ALL of INT / BIGINT / DECIMAL columns of different scales / DOUBLE: the union's type
-- is the common type (printed through CAST AS STRING), and VALUES mixing INT and BIGINT.
CREATE TABLE a (id INT, i INT, d DECIMAL(5, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');
CREATE TABLE b (id INT, big BIGINT, d4 DECIMAL(10, 4), x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.jsonl', 'format' = 'json');

SELECT src, id, CAST(n AS STRING) AS n, CAST(dd AS STRING) AS dd, CAST(mix AS STRING) AS mix FROM (
  SELECT 'a' AS src, id, i AS n, d AS dd, d AS mix FROM a
  UNION ALL
  SELECT 'b', id, big, d4, x FROM b
  UNION ALL
  SELECT 'v', c1, c2, c3, c4 FROM (VALUES (100, 1, 1.5, 2), (101, 3000000000, -0.125, 3)) AS v(c1, c2, c3, c4)
);
