-- Array slicing and building: ARRAY_SLICE with positive, negative, zero and out-of-range
-- bounds (and a column bound), ARRAY_CONCAT of several arrays (empty, NULL), ARRAY_APPEND /
-- ARRAY_PREPEND of a value or a NULL, ARRAY_REVERSE.
CREATE TABLE t (id INT, a ARRAY<INT>, b ARRAY<INT>, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, s_2_3 ARRAY<INT>, s_neg ARRAY<INT>, s_from ARRAY<INT>, s_n ARRAY<INT>,
  s_rev_bounds ARRAY<INT>, s_far ARRAY<INT>, cat2 ARRAY<INT>, cat3 ARRAY<INT>,
  app ARRAY<INT>, app_null ARRAY<INT>, pre ARRAY<INT>, rev ARRAY<INT>, rev_cat ARRAY<INT>
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ARRAY_SLICE(a, 2, 3),
  ARRAY_SLICE(a, -3, -1),
  ARRAY_SLICE(a, 2),
  ARRAY_SLICE(a, 1, n),
  ARRAY_SLICE(a, 3, 1),
  ARRAY_SLICE(a, 0, 100),
  ARRAY_CONCAT(a, b),
  ARRAY_CONCAT(b, a, ARRAY[id]),
  ARRAY_APPEND(a, id * 100),
  ARRAY_APPEND(b, n),
  ARRAY_PREPEND(a, -id),
  ARRAY_REVERSE(a),
  ARRAY_REVERSE(ARRAY_CONCAT(b, ARRAY[0]))
FROM t;
