-- PRINTF of temporal, FLOAT, SMALLINT and BOOLEAN arguments: Flink hands the formatter its
-- internal values.
CREATE TABLE t (id INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (id INT, p_ts STRING, p_date STRING, p_time STRING, p_float STRING, p_small STRING, p_bool STRING, p_g STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  PRINTF('%s', TIMESTAMP '2024-01-02 03:04:05.678'),
  PRINTF('%s', DATE '2024-01-02'),
  PRINTF('%s', TIME '03:04:05'),
  PRINTF('%s|%.3f', CAST(0.1 AS FLOAT), CAST(0.1 AS FLOAT)),
  PRINTF('%x|%d', CAST(-2 AS SMALLINT), CAST(-2 AS SMALLINT)),
  PRINTF('%s|%B', TRUE, 'x'),
  PRINTF('%g|%g|%.3g', CAST(1234567.0 AS DOUBLE), CAST(100000 AS DOUBLE), CAST(0.00001234 AS DOUBLE))
FROM t;
