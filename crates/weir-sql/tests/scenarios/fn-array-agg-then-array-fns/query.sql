-- Collect per key, then shape the collection in the same query: ARRAY_AGG of values and of
-- tags (NULLs kept), ARRAY_SORT / ARRAY_DISTINCT / ARRAY_JOIN / ARRAY_MAX / ARRAY_MIN over
-- the aggregated (retracted and re-emitted) arrays, CARDINALITY and ARRAY_CONTAINS.
CREATE TABLE t (k STRING, v INT, tag STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TEMPORARY VIEW per_key AS
SELECT k, ARRAY_AGG(v) AS vals, ARRAY_AGG(tag) AS tags FROM t GROUP BY k;

SELECT k,
  CARDINALITY(vals) AS n,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_DISTINCT(tags)), '|', 'NULL') AS distinct_tags,
  ARRAY_JOIN(tags, '+') AS tags_joined,
  ARRAY_MAX(vals) AS max_v,
  ARRAY_MIN(vals) AS min_v,
  ARRAY_CONTAINS(tags, 'x') AS has_x,
  ARRAY_POSITION(vals, 3) AS pos3
FROM per_key;
