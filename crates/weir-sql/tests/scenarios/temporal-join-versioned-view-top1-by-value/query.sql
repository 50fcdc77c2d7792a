-- A temporal join against a view keeping the highest rate per currency (ROW_NUMBER() = 1
-- ordered by a value, not by time): Flink infers its key (the PARTITION BY column) and it
-- keeps the rowtime, so it is a versioned view; a lower rate is no new version.
CREATE TABLE rates_log (cur STRING, rate INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/rates.jsonl', 'format' = 'json');
CREATE TABLE orders (oid INT, cur STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE VIEW best_rates AS
SELECT cur, rate, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cur ORDER BY rate DESC) AS rn FROM rates_log)
WHERE rn = 1;
CREATE TABLE `out` (oid INT, rate INT, rate_ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT o.oid, r.rate, r.ts FROM orders AS o
JOIN best_rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;
