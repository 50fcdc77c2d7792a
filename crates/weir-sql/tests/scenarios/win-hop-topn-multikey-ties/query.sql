-- Top-2 items per hopping window: most sales first, then the smallest total, then by name.
CREATE TABLE sales (
  item STRING, qty INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), item STRING, cnt BIGINT, total INT, rn BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, item, cnt, total, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end
                               ORDER BY cnt DESC, total ASC, item ASC) AS rn
  FROM (
    SELECT window_start, window_end, item, COUNT(*) AS cnt, SUM(qty) AS total
    FROM TABLE(HOP(TABLE sales, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, item))
WHERE rn <= 2;
