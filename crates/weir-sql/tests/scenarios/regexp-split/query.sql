-- REGEXP_REPLACE with an empty match, an escaped dot and a pattern from a column, '$0' in the
-- replacement; REGEXP_EXTRACT without a group index; REGEXP; SPLIT_INDEX over empty fields;
-- SPLIT with empty parts counted by CARDINALITY.
CREATE TABLE t (id INT, s STRING, csv STRING, p STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, rr_col STRING, rr_dot STRING, rr_all STRING, rr_zero STRING, rx STRING, rx_g1 STRING,
  rmatch BOOLEAN, si0 STRING, si1 STRING, si3 STRING, split_n INT, split_last STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  REGEXP_REPLACE(s, p, '_'),
  REGEXP_REPLACE(s, '\.', '/'),
  REGEXP_REPLACE(s, '', '-'),
  REGEXP_REPLACE(s, '[0-9]+', '<$0>'),
  REGEXP_EXTRACT(s, '[a-z]+[0-9]'),
  REGEXP_EXTRACT(s, '([a-z])([0-9]+)', 1),
  REGEXP(s, p),
  SPLIT_INDEX(csv, ',', 0),
  SPLIT_INDEX(csv, ',', 1),
  SPLIT_INDEX(csv, ',', 3),
  CARDINALITY(SPLIT(csv, ',')),
  SPLIT(csv, ',')[CARDINALITY(SPLIT(csv, ','))]
FROM t;
