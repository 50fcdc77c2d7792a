-- Left outer join, printed as a changelog: orders without a customer (unknown or NULL
-- key) are padded with nulls; when a customer arrives after its orders, the padded rows
-- are retracted and the joined rows emitted. Customers without orders do not appear.
CREATE TABLE orders (
  order_id INT,
  customer_id INT,
  amount INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE customers (
  id INT,
  name STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/customers.jsonl', 'format' = 'json');

SELECT o.order_id, o.customer_id, c.name, o.amount
FROM orders AS o
LEFT JOIN customers AS c ON o.customer_id = c.id;
