-- A TIMESTAMP(0) rowtime (whole seconds) with RANGE BETWEEN INTERVAL '2' SECOND PRECEDING per
-- (store, register): the moving SUM and MIN/MAX, then a regular join to a store table and a
-- filter on the joined result; a register that appears once; NULL register.
CREATE TABLE sales (store INT, reg STRING, amount INT, ts TIMESTAMP(0),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');
CREATE TABLE stores (store INT, city STRING, min_alert INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/stores.jsonl', 'format' = 'json');

CREATE VIEW moving AS
SELECT store, reg, ts, amount,
  SUM(amount) OVER w AS s2, MIN(amount) OVER w AS lo, MAX(amount) OVER w AS hi
FROM sales
WINDOW w AS (PARTITION BY store, reg ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW);

SELECT m.store, s.city, m.reg, m.ts, m.amount, m.s2, m.lo, m.hi
FROM moving AS m JOIN stores AS s ON m.store = s.store
WHERE m.s2 >= s.min_alert OR m.lo < 0;
