-- JSON sink options: 'json.encode.decimal-as-plain-number' (tiny and large decimals in a ROW
-- and an ARRAY), 'json.map-null-key.mode' = 'LITERAL' with a literal for a MAP's NULL key,
-- and 'json.encode.ignore-null-fields'.
CREATE TABLE src (id INT, k STRING, d DECIMAL(20, 10))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/src.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT,
  r ROW<d DECIMAL(20, 10), d2 DECIMAL(20, 2), big DECIMAL(30, 0)>,
  a ARRAY<DECIMAL(20, 10)>,
  m MAP<STRING, INT>,
  maybe STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json',
        'json.encode.decimal-as-plain-number' = 'true',
        'json.map-null-key.mode' = 'LITERAL', 'json.map-null-key.literal' = 'NULLKEY',
        'json.encode.ignore-null-fields' = 'true');

INSERT INTO `out`
SELECT id,
  ROW(d, CAST(d AS DECIMAL(20, 2)), CAST(d * 1000000000 AS DECIMAL(30, 0))),
  ARRAY[d, d / 10],
  MAP[k, id, 'fixed', 0],
  k
FROM src;
