-- Rowtime computed from a string column with TO_TIMESTAMP, a second computed column of
-- DECIMAL arithmetic, a 2 s watermark on the computed column; late rows dropped by TUMBLE.
CREATE TABLE ev (
  id INT,
  usr STRING,
  s STRING,
  amount DECIMAL(8, 2),
  ts AS TO_TIMESTAMP(s),
  amt2 AS amount * 2,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.csv', 'format' = 'csv');

CREATE TABLE `out` (usr STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT,
  total DECIMAL(10, 2), max_amt2 DECIMAL(10, 2), last_ts TIMESTAMP(3), ids STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT usr, window_start, window_end, COUNT(*), SUM(amount), MAX(amt2), MAX(ts), LISTAGG(CAST(id AS STRING))
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY usr, window_start, window_end;
