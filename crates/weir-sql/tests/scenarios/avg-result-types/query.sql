-- AVG keeps an integer argument's type (truncating), as Flink defines it; an expression
-- over the average is typed from it.
CREATE TABLE m (
  k STRING,
  i INT,
  b BIGINT,
  d DECIMAL(10, 2),
  x DOUBLE
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

SELECT k, AVG(i) AS ai, AVG(b) AS ab, AVG(d) AS ad, AVG(x) AS ax, AVG(i) * 3 AS ai3, SUM(i) AS si
FROM m
GROUP BY k;
