-- What the json format writes for each type, nested in ROW / ARRAY / MAP so the text itself is
-- compared: TIMESTAMP(0/3/6), TIMESTAMP_LTZ(3), DATE, TIME, DECIMAL (trailing zeros dropped, negative,
-- zero), DOUBLE (large, small, integral), FLOAT, BOOLEAN, TINYINT, NULLs inside; a BYTES column
-- read from base64 JSON text and written back.
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE src (id INT, ts STRING, x DOUBLE, d DECIMAL(12, 4), s STRING, b BYTES)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/src.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT,
  t ROW<ts0 TIMESTAMP(0), ts3 TIMESTAMP(3), ts6 TIMESTAMP(6), lts TIMESTAMP_LTZ(3), d DATE, tm TIME(0)>,
  n ROW<dc DECIMAL(12, 4), dec0 DECIMAL(10, 0), dbl DOUBLE, dbl_big DOUBLE, dbl_small DOUBLE, f FLOAT, ti TINYINT, b BOOLEAN>,
  bin BYTES,
  arr ARRAY<DOUBLE>,
  m MAP<STRING, TIMESTAMP(3)>,
  top_dbl DOUBLE,
  top_bytes_str STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ROW(CAST(TO_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS TIMESTAMP(0)),
      CAST(TO_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS TIMESTAMP(3)),
      TO_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS'),
      TO_TIMESTAMP_LTZ(id * 1000 + 1, 3),
      CAST(TO_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS DATE),
      CAST(TO_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS TIME(0))),
  ROW(d, CAST(d AS DECIMAL(10, 0)), x, x * 1e20, x / 1e9, CAST(x AS FLOAT), CAST(id AS TINYINT), x > 0),
  b,
  ARRAY[x, CAST(NULL AS DOUBLE), x * 2],
  MAP['k', CAST(TO_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS TIMESTAMP(3)), 'n', CAST(NULL AS TIMESTAMP(3))],
  x,
  CAST(b AS STRING)
FROM src;
