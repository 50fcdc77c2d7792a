-- CAST of ROW, MAP and ARRAY values to STRING: `(f1, f2)`, `{k=v}`, `[e1, e2]`, each element
-- written as its own CAST to STRING (TRUE, Java's doubles, timestamps with their fraction
-- digits, decimals with their scale) and a NULL inside written NULL; nested values, empty
-- ones and NULL columns (a NULL result); intervals as `+1 00:00:00.000` / `+1-02`.
CREATE TABLE t (
  id INT,
  customer ROW<name STRING, age INT, vip BOOLEAN, address ROW<city STRING, zip STRING>>,
  items ARRAY<ROW<sku STRING, qty INT, price DECIMAL(8, 2)>>,
  attrs MAP<STRING, INT>
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, customer_str STRING, address_str STRING, items_str STRING, attrs_str STRING, mixed STRING, arr STRING, short_row VARCHAR(6), iv STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, CAST(customer AS STRING), CAST(t.customer.address AS STRING), CAST(items AS STRING),
  CAST(attrs AS STRING),
  CAST(ROW(id * 1.5e0, TIMESTAMP '2024-01-01 10:00:00.120', DATE '2024-01-02', CAST(NULL AS STRING),
      ARRAY[CAST(id AS DOUBLE), 1e10], MAP['k', id > 2]) AS STRING),
  CAST(ARRAY[ARRAY[id], ARRAY[CAST(NULL AS INT), 2]] AS STRING),
  CAST(customer AS VARCHAR(6)),
  CAST(ARRAY[INTERVAL '1' DAY] AS STRING) || CAST(INTERVAL '14' MONTH AS STRING) || CAST(INTERVAL '-2 03:04:05.006' DAY TO SECOND AS STRING)
FROM t;
