-- Nested ROW / ARRAY / MAP input from JSON: field access through NULL rows, an array of ROWs
-- indexed then dotted, a MAP of ARRAYs, CARDINALITY of NULL and empty collections, ELEMENT of
-- a one-element array, constructed ROW / ARRAY / MAP read back, a NULL element.
CREATE TABLE t (
  id INT,
  r ROW<name STRING, addr ROW<city STRING, zip INT>>,
  tags ARRAY<STRING>,
  m MAP<STRING, ARRAY<INT>>,
  items ARRAY<ROW<sku STRING, q INT>>
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, name STRING, city STRING, zip INT, tag1 STRING, tag2 STRING, n_tags INT, n_m INT,
  mx2 INT, my_n INT, sku1 STRING, q1 INT, n_items INT, el STRING, built STRING, built_arr INT,
  built_map STRING, m_empty_key INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  r.name,
  r.addr.city,
  t.r.addr.zip,
  tags[1],
  tags[2],
  CARDINALITY(tags),
  CARDINALITY(m),
  m['x'][2],
  CARDINALITY(m['y']),
  items[1].sku,
  items[1].q,
  CARDINALITY(items),
  CASE WHEN CARDINALITY(tags) = 1 THEN ELEMENT(tags) END,
  (ROW(COALESCE(r.name, '?'), id * 2)).EXPR$0,
  ARRAY[id, CAST(NULL AS INT), -id][3],
  MAP[COALESCE(tags[1], 'none'), 'first', 'k', 'v'][COALESCE(tags[1], 'none')],
  m[''][1]
FROM t;
