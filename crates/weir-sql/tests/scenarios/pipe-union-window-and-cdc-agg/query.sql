-- UNION ALL of a 10 s window aggregate over sales (a late sale is dropped there) and an
-- aggregate over a Debezium changelog of manual adjustments (updates, a delete, a row that
-- moves shop), summed per shop by an unbounded aggregate over the union.
CREATE TABLE sales (
  shop STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');
CREATE TABLE adjust (id INT, shop STRING, delta INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/adjust.json', 'format' = 'debezium-json');

CREATE VIEW windowed AS
SELECT shop, SUM(amount) AS amount, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY shop, window_start, window_end;

CREATE VIEW adjusted AS
SELECT shop, SUM(delta) AS amount, COUNT(*) AS n FROM adjust GROUP BY shop;

SELECT shop, SUM(amount) AS amount, SUM(n) AS n, COUNT(*) AS parts
FROM (SELECT * FROM windowed UNION ALL SELECT * FROM adjusted)
GROUP BY shop;
