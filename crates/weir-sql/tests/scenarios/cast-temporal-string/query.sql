-- Strings to TIMESTAMP / DATE / TIME with TRY_CAST (odd separators, missing seconds, blanks),
-- timestamps printed at precisions 0, 3, 6 and 9, TIMESTAMP to TIME and DATE, DATE and TIME
-- back to strings, and a TIMESTAMP compared with a string literal.
CREATE TABLE t (id INT, s STRING, ds STRING, tm STRING, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, s_ts3 STRING, s_ts6 STRING, ds_d STRING, tm_t STRING, ts_s STRING, ts0 STRING,
  ts6 STRING, ts9 STRING, ts_time STRING, ts_date STRING, d_ts STRING, after_lit BOOLEAN,
  t_s STRING, t3_s STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(TRY_CAST(s AS TIMESTAMP(3)) AS STRING),
  CAST(TRY_CAST(s AS TIMESTAMP(6)) AS STRING),
  CAST(TRY_CAST(ds AS DATE) AS STRING),
  CAST(TRY_CAST(tm AS TIME) AS STRING),
  CAST(ts AS STRING),
  CAST(CAST(ts AS TIMESTAMP(0)) AS STRING),
  CAST(CAST(ts AS TIMESTAMP(6)) AS STRING),
  CAST(CAST(ts AS TIMESTAMP(9)) AS STRING),
  CAST(CAST(ts AS TIME) AS STRING),
  CAST(CAST(ts AS DATE) AS STRING),
  CAST(CAST(CAST(ts AS DATE) AS TIMESTAMP(3)) AS STRING),
  ts > TIMESTAMP '2000-01-01 00:00:00',
  CAST(TIME '07:08:09' AS STRING),
  CAST(CAST(TIME '07:08:09.5' AS TIME(3)) AS STRING)
FROM t;
