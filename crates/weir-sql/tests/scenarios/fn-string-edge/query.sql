-- String edge cases: UPPER of 'ß', CHAR_LENGTH of a character outside the BMP (Java counts
-- UTF-16 units), INITCAP of accented words, SUBSTRING with zero and negative starts, ELT,
-- PARSE_URL parts and query keys, REGEXP_EXTRACT of a missing group, SPLIT_INDEX out of
-- range, REPEAT 0 times, INSTR from the end.
CREATE TABLE t (id INT, s STRING, u STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, up STRING, len INT, cap STRING, sub0 STRING, subneg STRING, elt STRING, host STRING,
  path STRING, query_k STRING, proto STRING, re_missing STRING, split_neg STRING, rep0 STRING, instr_back INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  UPPER(s),
  CHAR_LENGTH(s),
  INITCAP(s),
  SUBSTRING(s, 0, 3),
  SUBSTRING(s, -3),
  ELT(id, 'one', 'two', 'three'),
  PARSE_URL(u, 'HOST'),
  PARSE_URL(u, 'PATH'),
  PARSE_URL(u, 'QUERY', 'k'),
  PARSE_URL(u, 'PROTOCOL'),
  REGEXP_EXTRACT(s, '(a)-(b)', 3),
  SPLIT_INDEX(s, '-', -1),
  REPEAT(s, 0),
  INSTR(s, 'e', -1, 1)
FROM t;
