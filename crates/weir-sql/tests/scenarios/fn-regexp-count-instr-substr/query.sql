-- The newer regex functions over log-like text: REGEXP_COUNT, REGEXP_INSTR, REGEXP_SUBSTR,
-- REGEXP_EXTRACT_ALL (whole match and a group), with \d, \s, (?i) and a unicode class;
-- overlapping matches ('aa' in 'aaa'), empty and NULL text.
CREATE TABLE t (id INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, n_num INT, n_aa INT, n_word INT, pos_num INT, pos_none INT, first_num STRING,
  first_word STRING, all_nums ARRAY<STRING>, all_ids ARRAY<STRING>, all_upper ARRAY<STRING>,
  ci BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  REGEXP_COUNT(s, '\d+'),
  REGEXP_COUNT(s, 'aa'),
  REGEXP_COUNT(s, '(?i)[a-z]+'),
  REGEXP_INSTR(s, '\d'),
  REGEXP_INSTR(s, 'zzz'),
  REGEXP_SUBSTR(s, '\d+'),
  REGEXP_SUBSTR(s, '\S+'),
  REGEXP_EXTRACT_ALL(s, '\d+'),
  REGEXP_EXTRACT_ALL(s, 'order-(\d+)', 1),
  REGEXP_EXTRACT_ALL(s, '\p{Lu}\p{L}*'),
  REGEXP(s, '(?i)^\s*mixed')
FROM t;
