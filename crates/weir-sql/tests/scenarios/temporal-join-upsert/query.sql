-- Event-time temporal join against a versioned table read from a Debezium changelog (updates
-- and a delete that takes effect at the deleted version's time): each order sees the rate valid at
-- its time; GBP has no rate between its delete and its re-insert.
CREATE TABLE rates (
  cur STRING, rate DECIMAL(6, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts,
  PRIMARY KEY (cur) NOT ENFORCED
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/rates.json', 'format' = 'debezium-json',
        'debezium-json.timestamp-format.standard' = 'ISO-8601');

CREATE TABLE orders (
  oid INT, cur STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE `out` (oid INT, cur STRING, rate DECIMAL(6, 2), total DECIMAL(17, 2))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT o.oid, o.cur, r.rate, o.amount * r.rate
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;
