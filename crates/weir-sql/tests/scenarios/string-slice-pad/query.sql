-- SUBSTRING with a start past the end, a length of 0 and a length longer than the rest;
-- LEFT / RIGHT with 0, negative and over-long counts; LPAD / RPAD to 0, to shorter lengths and
-- with an empty pad; REPEAT; REVERSE of multi-byte text; INITCAP with punctuation and digits;
-- REPLACE with an empty search or replacement.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, sub_n STRING, sub_far STRING, sub_len0 STRING, sub_long STRING, lft STRING, rgt STRING,
  lpad0 STRING, rpad_n STRING, lpad_empty STRING, rep STRING, rev STRING, cap STRING,
  repl_empty STRING, repl_del STRING, len INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  SUBSTRING(s, n),
  SUBSTRING(s, 100),
  SUBSTRING(s, 2, 0),
  SUBSTRING(s, 2, 100),
  LEFT(s, n),
  RIGHT(s, n),
  LPAD(s, 0, '*'),
  RPAD(s, n, '<>'),
  LPAD(s, 5, ''),
  REPEAT(s, n),
  REVERSE(s),
  INITCAP(s),
  REPLACE(s, 'l', 'L'),
  REPLACE(s, 'o', ''),
  CHAR_LENGTH(s)
FROM t;
