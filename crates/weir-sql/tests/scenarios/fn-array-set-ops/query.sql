-- Set-like array functions on strings with duplicates, NULL elements, empty strings, accents:
-- ARRAY_UNION, ARRAY_INTERSECT, ARRAY_EXCEPT (both directions), ARRAY_DISTINCT, and
-- ARRAY_CONTAINS / ARRAY_POSITION of a NULL element and of an empty string.
CREATE TABLE t (id INT, a ARRAY<STRING>, b ARRAY<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, uni ARRAY<STRING>, inter ARRAY<STRING>, ex_ab ARRAY<STRING>, ex_ba ARRAY<STRING>,
  dist ARRAY<STRING>, has_null BOOLEAN, has_empty BOOLEAN, pos_null INT, pos_x INT,
  n_uni INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ARRAY_UNION(a, b),
  ARRAY_INTERSECT(a, b),
  ARRAY_EXCEPT(a, b),
  ARRAY_EXCEPT(b, a),
  ARRAY_DISTINCT(a),
  ARRAY_CONTAINS(a, CAST(NULL AS STRING)),
  ARRAY_CONTAINS(a, ''),
  ARRAY_POSITION(a, CAST(NULL AS STRING)),
  ARRAY_POSITION(a, 'x'),
  CARDINALITY(ARRAY_UNION(a, b))
FROM t;
