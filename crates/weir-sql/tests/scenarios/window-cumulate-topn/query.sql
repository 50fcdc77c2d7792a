-- Window Top-2 shops per CUMULATE window (5 s steps up to 10 s) by total quantity, ties by
-- shop name; each cumulative window of a cycle ranks on its own.
CREATE TABLE ev (shop STRING, qty INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (window_start TIMESTAMP(3), window_end TIMESTAMP(3), shop STRING, total INT, rn BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, shop, total, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC, shop) AS rn
  FROM (
    SELECT window_start, window_end, shop, SUM(qty) AS total
    FROM TABLE(CUMULATE(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, shop))
WHERE rn <= 2;
