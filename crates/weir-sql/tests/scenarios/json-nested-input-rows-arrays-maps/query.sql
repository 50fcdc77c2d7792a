-- Nested JSON input: a ROW column with fields in another order and extra fields, an
-- ARRAY<ROW<...>>, a MAP<STRING, INT>, numbers and booleans given as strings, NULLs at every
-- level; read with dot access, array indexing (out of range is NULL), map lookup, CARDINALITY.
CREATE TABLE t (
  id INT,
  customer ROW<name STRING, age INT, vip BOOLEAN, address ROW<city STRING, zip STRING>>,
  items ARRAY<ROW<sku STRING, qty INT, price DECIMAL(8, 2)>>,
  attrs MAP<STRING, INT>
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, name STRING, age INT, vip BOOLEAN, city STRING, zip STRING,
  n_items INT, first_sku STRING, first_qty INT, second_price DECIMAL(8, 2), third_sku STRING,
  color INT, n_attrs INT, customer_str STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, t.customer.name, t.customer.age, t.customer.vip, t.customer.address.city, t.customer.address.zip,
  CARDINALITY(items), items[1].sku, items[1].qty, items[2].price, items[3].sku,
  attrs['color'], CARDINALITY(attrs),
  COALESCE(t.customer.address.city, '-') || '/' || COALESCE(t.customer.address.zip, '-')
FROM t;
