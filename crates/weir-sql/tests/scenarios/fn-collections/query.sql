-- Collections: element access (1-based, out of range → NULL), CARDINALITY, ELEMENT of a
-- one-element array, ARRAY_CONTAINS, ARRAY_POSITION, ARRAY_DISTINCT / ARRAY_REMOVE joined,
-- MAP access by key, ARRAY[…] / MAP[…] / ROW(…) constructors with field access, SPLIT.
CREATE TABLE t (id INT, arr ARRAY<INT>, m MAP<STRING, INT>, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, first_e INT, far_e INT, card INT, card_m INT, contains3 BOOLEAN, pos5 INT,
  distinct_n INT, removed_n INT, m_a INT, m_missing INT, built INT, built_m STRING, r_f INT,
  split_n INT, split_2 STRING, el INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  arr[1],
  arr[10],
  CARDINALITY(arr),
  CARDINALITY(m),
  ARRAY_CONTAINS(arr, 3),
  ARRAY_POSITION(arr, 5),
  CARDINALITY(ARRAY_DISTINCT(arr)),
  CARDINALITY(ARRAY_REMOVE(arr, 3)),
  m['a'],
  m['nope'],
  ARRAY[id, id * 10, -id][2],
  MAP['one', CAST(id AS STRING), 'two', s]['two'],
  (ROW(id, s)).EXPR$0,
  CARDINALITY(SPLIT(s, ',')),
  SPLIT(s, ',')[2],
  CASE WHEN CARDINALITY(arr) = 1 THEN ELEMENT(arr) END
FROM t;
