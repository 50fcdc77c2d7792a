-- Map functions: MAP_KEYS / MAP_VALUES (sorted so the order is deterministic), MAP_ENTRIES
-- cardinality, MAP_FROM_ARRAYS (duplicate keys, NULL values, NULL input), MAP_UNION (the
-- second map wins on a shared key; a NULL map), keys and values of the results.
CREATE TABLE t (id INT, m MAP<STRING, INT>, m2 MAP<STRING, INT>, ks ARRAY<STRING>, vs ARRAY<INT>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, keys_sorted ARRAY<STRING>, vals_sorted ARRAY<INT>, n_entries INT,
  from_arr MAP<STRING, INT>, from_arr_y_pos INT, uni MAP<STRING, INT>, uni_vals ARRAY<INT>, n_uni INT,
  lit_keys ARRAY<STRING>
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ARRAY_SORT(MAP_KEYS(m)),
  ARRAY_SORT(MAP_VALUES(m)),
  CARDINALITY(MAP_ENTRIES(m)),
  MAP_FROM_ARRAYS(ks, vs),
  ARRAY_POSITION(MAP_KEYS(MAP_FROM_ARRAYS(ks, vs)), 'y'),
  MAP_UNION(m, m2),
  ARRAY_SORT(MAP_VALUES(MAP_UNION(m, m2))),
  CARDINALITY(MAP_UNION(m, m2)),
  MAP_KEYS(MAP['k' || CAST(id AS STRING), id])
FROM t;
