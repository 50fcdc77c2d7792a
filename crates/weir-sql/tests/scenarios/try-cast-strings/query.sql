-- TRY_CAST of strings to every basic type: unparseable text and overflow give NULL instead of
-- failing; CAST of a string to a DECIMAL rounds; numbers to BOOLEAN; BOOLEAN to INT.
CREATE TABLE t (id INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, i INT, b BIGINT, ti TINYINT, d DOUBLE, dec2 DECIMAL(5, 2), bo BOOLEAN, dt DATE,
  tm TIME(0), ts TIMESTAMP(3), num_bool BOOLEAN, bool_int INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  TRY_CAST(s AS INT),
  TRY_CAST(s AS BIGINT),
  TRY_CAST(s AS TINYINT),
  TRY_CAST(s AS DOUBLE),
  TRY_CAST(s AS DECIMAL(5, 2)),
  TRY_CAST(s AS BOOLEAN),
  TRY_CAST(s AS DATE),
  TRY_CAST(s AS TIME(0)),
  TRY_CAST(s AS TIMESTAMP(3)),
  CAST(id - 1 AS BOOLEAN),
  CAST(id > 6 AS INT)
FROM t;
