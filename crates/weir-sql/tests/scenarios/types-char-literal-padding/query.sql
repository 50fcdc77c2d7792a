-- String literals are CHAR(n) in Flink: CASE / COALESCE / IF / UNION ALL branches of literals of
-- different lengths become CHAR(max) and the shorter ones are padded with blanks; a STRING
-- branch makes the result VARCHAR (no padding). The bars show the padding.
CREATE TABLE t (id INT, code INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id, 'case' AS q,
  CONCAT('|', CASE WHEN code = 1 THEN 'a' WHEN code = 2 THEN 'abc' ELSE 'zz' END, '|') AS v,
  CHAR_LENGTH(CASE WHEN code = 1 THEN 'a' ELSE 'abcd' END) AS len
FROM t
UNION ALL
SELECT id, 'case_str',
  CONCAT('|', CASE WHEN code = 1 THEN 'a' ELSE s END, '|'),
  CHAR_LENGTH(CASE WHEN code = 1 THEN 'a' ELSE s END)
FROM t
UNION ALL
SELECT id, 'if',
  CONCAT('|', IF(code > 1, 'hi', 'hello'), '|'),
  CHAR_LENGTH(IF(code > 1, 'hi', 'hello'))
FROM t
UNION ALL
SELECT id, 'eq',
  CAST((CASE WHEN code = 1 THEN 'a' ELSE 'abc' END) = 'a' AS STRING),
  CAST(NULL AS INT)
FROM t
UNION ALL
SELECT id, 'coalesce',
  CONCAT('|', COALESCE(s, 'none'), '|'),
  CHAR_LENGTH(COALESCE(s, 'none'))
FROM t;
