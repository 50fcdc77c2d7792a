-- How the CSV format reads typed fields: DATE, TIME, TIMESTAMP(3) with and without fraction,
-- TIMESTAMP_LTZ, BOOLEAN spellings, DECIMAL with more digits than the scale, BIGINT
-- extremes, FLOAT; bad values become NULL under csv.ignore-parse-errors.
CREATE TABLE t (
  id INT,
  d DATE,
  tm TIME(3),
  ts TIMESTAMP(3),
  b BOOLEAN,
  dc DECIMAL(6, 2),
  big BIGINT,
  f FLOAT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv',
        'csv.ignore-parse-errors' = 'true');

CREATE TABLE `out` (id INT, d DATE, tm TIME(3), ts TIMESTAMP(3), b BOOLEAN, dc DECIMAL(6, 2), big BIGINT, f FLOAT,
  d_plus INT, ts_str STRING, tm_str STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, d, tm, ts, b, dc, big, f, DAYOFMONTH(d), CAST(ts AS STRING), CAST(tm AS STRING) FROM t;
