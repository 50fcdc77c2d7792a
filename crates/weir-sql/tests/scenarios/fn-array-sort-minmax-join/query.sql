-- ARRAY_SORT ascending / descending / with NULLs first or last, ARRAY_MAX / ARRAY_MIN of
-- INT and STRING arrays (NULL elements, empty and all-NULL arrays), ARRAY_JOIN with and
-- without a NULL replacement, over a sorted array.
CREATE TABLE t (id INT, a ARRAY<INT>, s ARRAY<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, srt ARRAY<INT>, srt_desc ARRAY<INT>, srt_nl ARRAY<INT>, srt_s ARRAY<STRING>,
  mx INT, mn INT, mx_s STRING, mn_s STRING, j STRING, j_repl STRING, j_sorted STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ARRAY_SORT(a),
  ARRAY_SORT(a, FALSE),
  ARRAY_SORT(a, TRUE, FALSE),
  ARRAY_SORT(s),
  ARRAY_MAX(a),
  ARRAY_MIN(a),
  ARRAY_MAX(s),
  ARRAY_MIN(s),
  ARRAY_JOIN(s, '|'),
  ARRAY_JOIN(s, '|', '?'),
  ARRAY_JOIN(ARRAY_SORT(s, FALSE), '-')
FROM t;
