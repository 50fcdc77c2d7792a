-- Event-time temporal join of orders (2 s watermark delay, out of order) against a versioned
-- rate table read from a Canal binlog (PRIMARY KEY + watermark; updates, a delete and a
-- re-insert), then a 10 s tumbling window over the converted amounts per currency.
CREATE TABLE rates (
  cur STRING, rate DECIMAL(6, 2), ts TIMESTAMP(3),
  PRIMARY KEY (cur) NOT ENFORCED,
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/rates.json', 'format' = 'canal-json');

CREATE TABLE orders (
  oid INT, cur STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), cur STRING,
  n BIGINT, converted DECIMAL(38, 2), min_rate DECIMAL(6, 2)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW converted AS
SELECT o.oid, o.cur, o.ts, r.rate, o.amount * r.rate AS value_
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;

INSERT INTO `out`
SELECT window_start, window_end, cur, COUNT(*), SUM(value_), MIN(rate)
FROM TABLE(TUMBLE(TABLE converted, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, cur;
