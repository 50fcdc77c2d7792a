-- Three tables joined in a chain: a BIGINT key against an INT key (coerced to one type),
-- a key computed by an expression (UPPER), and a condition across the first two tables.
-- Tables written in the FROM list with the conditions in WHERE, as Nexmark q3 does.
CREATE TABLE a (
  id INT,
  b_id BIGINT,
  x INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');

CREATE TABLE b (
  id INT,
  c_code STRING,
  y INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.jsonl', 'format' = 'json');

CREATE TABLE c (
  code STRING,
  label STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/c.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  a_id INT, b_id INT, label STRING, s INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT a.id, b.id, c.label, a.x + b.y
FROM a, b, c
WHERE a.b_id = b.id AND UPPER(b.c_code) = c.code AND a.x + b.y > 2;
