-- NULL and boundary handling of the array and map functions and of the new string
-- functions: single-argument ARRAY_CONCAT, a NULL element appended, NULL arrays and NULL
-- flags, slice bounds past either end, a NULL map in MAP_UNION, negative and missing regex
-- groups, NULL text, PRINTF with a NULL format or a missing argument.
CREATE TABLE t (id INT, a ARRAY<INT>, b ARRAY<INT>, m MAP<STRING, INT>, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, cat1 ARRAY<INT>, app_null ARRAY<INT>, pre ARRAY<INT>, sort_null ARRAY<INT>, sort_desc ARRAY<INT>,
  slice_null ARRAY<INT>, slice_past ARRAY<INT>, slice_before ARRAY<INT>, has1 BOOLEAN, pos1 INT,
  uni MAP<STRING, INT>, from_arr MAP<STRING, INT>, all_neg ARRAY<STRING>, sub STRING, sw BOOLEAN, ew BOOLEAN,
  pf_null STRING, pf_missing STRING, enc STRING, decoded STRING, q STRING, uq STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ARRAY_CONCAT(a),
  ARRAY_APPEND(a, CAST(NULL AS INT)),
  ARRAY_PREPEND(b, id),
  ARRAY_SORT(a, CAST(NULL AS BOOLEAN)),
  ARRAY_SORT(ARRAY_CONCAT(a, b), FALSE),
  ARRAY_SLICE(a, CAST(NULL AS INT)),
  ARRAY_SLICE(a, 5),
  ARRAY_SLICE(a, -10, 2),
  ARRAY_CONTAINS(a, 1),
  ARRAY_POSITION(a, 2),
  MAP_UNION(m, MAP['y', id]),
  MAP_FROM_ARRAYS(ARRAY['k1', 'k2'], ARRAY[id, id + 1]),
  REGEXP_EXTRACT_ALL(s, '(b)', -1),
  REGEXP_SUBSTR(s, 'b.*'),
  STARTSWITH(s, 'ab'),
  ENDSWITH(s, 'bc'),
  PRINTF(CAST(NULL AS STRING), id),
  PRINTF('%s %s', id),
  URL_ENCODE(s),
  URL_DECODE(s),
  JSON_QUOTE(s),
  JSON_UNQUOTE(s)
FROM t;
