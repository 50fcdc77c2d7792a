-- Event-time temporal join: each order with the exchange rate valid at the order's time
-- (the latest rate of its currency not after it), from a versioned table (primary key and
-- watermark). Left join: orders before their currency's first rate, of unknown or NULL
-- currencies, or failing the condition are padded with nulls. Insert-only output.
CREATE TABLE rates (
  currency STRING,
  cents INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND,
  PRIMARY KEY (currency) NOT ENFORCED
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/rates.jsonl', 'format' = 'json');

CREATE TABLE orders (
  order_id INT,
  currency STRING,
  amount INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  order_id INT, currency STRING, amount INT, cents INT, total INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT o.order_id, o.currency, o.amount, r.cents, o.amount * r.cents
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r
  ON o.currency = r.currency AND o.amount * r.cents < 2500;
