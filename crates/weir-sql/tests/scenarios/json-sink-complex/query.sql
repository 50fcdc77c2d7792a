-- Writing ARRAY, MAP and nested ROW columns (with DECIMAL, TIMESTAMP, DATE and NULL fields)
-- to a JSON sink, and JSON_OBJECT / JSON_ARRAY strings of the same values.
CREATE TABLE t (id INT, name STRING, price DECIMAL(6, 2), ts TIMESTAMP(3), tags ARRAY<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT,
  r ROW<name STRING, price DECIMAL(6, 2), inner_r ROW<ts TIMESTAMP(3), d DATE>>,
  arr ARRAY<INT>,
  m MAP<STRING, DECIMAL(6, 2)>,
  tags ARRAY<STRING>,
  jo STRING,
  ja STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ROW(name, price, ROW(ts, CAST(ts AS DATE))),
  ARRAY[id, id * 10],
  MAP['p', price],
  tags,
  JSON_OBJECT('name' VALUE name, 'price' VALUE price, 'flag' VALUE id > 1, 'ts' VALUE ts),
  JSON_ARRAY(price, CAST(price AS DOUBLE), id / 2.0, tags)
FROM t;
