-- Flink's casts, row by row; TRY_CAST where a CAST would fail the job.
CREATE TABLE t (id INT, s STRING, n STRING, d DOUBLE, b BOOLEAN, big BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/rows.jsonl', 'format' = 'json');

SELECT id,
  CAST(TRY_CAST(s AS TIMESTAMP(3)) AS STRING) AS ts3,
  CAST(CAST(TRY_CAST(s AS TIMESTAMP(3)) AS TIMESTAMP(0)) AS STRING) AS ts0,
  CAST(CAST(TRY_CAST(s AS TIMESTAMP(3)) AS DATE) AS STRING) AS dt,
  TRY_CAST(n AS INT) AS n_int,
  TRY_CAST(n AS BIGINT) AS n_big,
  CAST(d AS INT) AS d_int,
  CAST(d AS BIGINT) AS d_big,
  CAST(b AS STRING) AS b_str,
  CAST(big AS INT) AS big_int,
  CAST(CAST(big AS SMALLINT) AS STRING) AS big_small,
  CAST(CAST(id AS BOOLEAN) AS STRING) AS id_bool,
  CAST(DATE '2024-01-01' AS TIMESTAMP(3)) AS date_ts,
  CAST(CAST('2024-01-01 10:00:00' AS TIMESTAMP(3)) AS STRING) AS lit_ts,
  CAST(TIMESTAMP '2024-01-01 23:59:59.999' AS DATE) AS ts_date,
  CAST(12.345 AS STRING) AS dec_str,
  CAST(1.0E0 AS STRING) AS dbl_str,
  CAST('1e3' AS DOUBLE) AS str_dbl,
  CAST('yes' AS BOOLEAN) AS yes_bool,
  CAST(1.5E0 AS DECIMAL(5, 0)) AS half_up
FROM t
