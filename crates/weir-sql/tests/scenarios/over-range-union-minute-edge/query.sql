-- OVER over a UNION ALL of two streams (web and app orders): RANGE BETWEEN INTERVAL '1' MINUTE
-- PRECEDING per customer, millisecond edges (exactly 60 000 ms back is in, 60 001 ms out), rows
-- of both streams on the same instant are peers; SUM of DECIMAL, COUNT, MAX of the source name.
CREATE TABLE web (cust STRING, total DECIMAL(8, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/web.jsonl', 'format' = 'json');
CREATE TABLE app (cust STRING, total DECIMAL(8, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/app.jsonl', 'format' = 'json');

CREATE VIEW orders AS
SELECT cust, total, ts, 'web' AS src FROM web
UNION ALL
SELECT cust, total, ts, 'app' AS src FROM app;

CREATE TABLE `out` (cust STRING, ts TIMESTAMP(3), src STRING, total DECIMAL(8, 2),
  spent DECIMAL(38, 2), n BIGINT, srcs STRING, big BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT cust, ts, src, total, spent, n, srcs, spent > 100 FROM (
  SELECT cust, ts, src, total,
    SUM(total) OVER w AS spent, COUNT(*) OVER w AS n, MAX(src) OVER w AS srcs
  FROM orders
  WINDOW w AS (PARTITION BY cust ORDER BY ts RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW));
